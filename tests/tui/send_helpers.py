"""Helpers for the test-send pane and wizard tests: configs for loopback servers, waiting."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import TabbedContent

from mailgw.tui.app import SECTIONS
from mailgw.tui.sections.test_send import TestSendSection
from mailgw.tui.widgets.run_panel import RunPanel

from .pilot_helpers import focus, settled, wait_until

__all__ = ["custom_config", "open_test_pane", "run_to_end", "wait_until"]


def custom_config(
    path: Path, port: int, security: str = "none", *, login: tuple[str, str] | None = None
) -> Path:
    """A config for a custom server on 127.0.0.1:`port`, with an optional login."""
    auth = ""
    if login:
        auth = f'[smtp.auth]\nenabled = true\nusername = "{login[0]}"\npassword = "{login[1]}"\n'
    path.write_text(
        "schema_version = 1\n\n[smtp]\n"
        f'gateway = "custom"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "{security}"\n'
        'helo_name = "client.example.test"\ntimeout = 10.0\n\n'
        f"{auth}\n"
        '[email]\nfrom_address = "alerts@example.com"\nfrom_name = "Fleet Alerts"\n',
        "utf-8",
    )
    path.chmod(0o600)
    return path


async def open_test_pane(pilot: Pilot[None]) -> TestSendSection:
    """F6 to the test-send tab; the pane once it is mounted and loaded."""
    tabs = pilot.app.query_one(TabbedContent)
    for _ in range(len(SECTIONS)):  # F6 until it is shown, each press seen to move the tab
        if tabs.active == "test-send":
            break
        before = tabs.active
        await pilot.press("f6")
        await wait_until(pilot, lambda b=before: tabs.active != b, f"F6 to leave the {before} tab")
    await wait_until(pilot, lambda: _test_pane_shown(pilot), "the test pane")
    await settled(pilot)
    return pilot.app.query_one(TestSendSection)


def _test_pane_shown(pilot: Pilot[None]) -> bool:
    found = list(pilot.app.query(TestSendSection))
    return bool(found) and found[0].is_mounted and pilot.app.active_section() is found[0]


async def run_to_end(pilot: Pilot[None], panel: RunPanel, button: str) -> None:
    """Press a button of the pane and wait for its run to end."""
    ended = panel.runs_ended
    await focus(pilot, button)
    await pilot.press("enter")
    await wait_until(pilot, lambda: panel.runs_ended > ended, "the run to end")
    await settled(pilot)
