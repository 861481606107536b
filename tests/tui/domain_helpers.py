"""Shared by the sender-domain and DKIM pane tests: a config, the resolver env, opening a tab."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import TabbedContent

from mailgw.tui.sections.base import Section
from mailgw.tui.sections.sender_domain import SenderDomainSection

from .pilot_helpers import press_and_finish, settled, wait_until

PLATFORM_CONFIG = """\
schema_version = 1

[email]
from_address = "{from_address}"

[sender_domain]
domain = "{domain}"
verification_key = "{key}"
"""


def write_config(
    path: Path, *, from_address: str = "alerts@example.test", domain: str = "", key: str = "K1"
) -> Path:
    path.write_text(PLATFORM_CONFIG.format(from_address=from_address, domain=domain, key=key))
    path.chmod(0o600)
    return path


def use_resolver(
    monkeypatch: pytest.MonkeyPatch, nameserver: str, authoritative_port: int, timeout: float = 5
) -> None:
    """Point the console's DNS checks at loopback servers (as an admin would with the env)."""
    monkeypatch.setenv("MAILGW_NAMESERVERS", nameserver)
    monkeypatch.setenv("MAILGW_AUTHORITATIVE_PORT", str(authoritative_port))
    monkeypatch.setenv("MAILGW_DNS_TIMEOUT", str(timeout))


async def open_tab(pilot: Pilot[None], tab_id: str) -> Section:
    """Show a tab and wait until its section is mounted and loaded."""
    pilot.app.query_one(TabbedContent).active = tab_id

    def mounted() -> Section | None:
        found = list(pilot.app.query(f"#{tab_id}-form").results(Section))
        return found[0] if found and found[0].is_mounted else None

    await wait_until(pilot, mounted, f"the {tab_id} tab to be mounted")
    section = mounted()
    assert section is not None
    await settled(pilot)
    section.focus_first()
    await settled(pilot)
    return section


async def wait_for(pilot: Pilot[None], condition: Callable[[], object], what: str = "") -> None:
    """Let the app run until `condition` holds (bounded: fails naming `what`)."""
    await wait_until(pilot, condition, what or "the condition")


async def run_check(pilot: Pilot[None], section: SenderDomainSection) -> None:
    """F5, then wait for the check to start and end."""
    await press_and_finish(pilot, "f5", "dns")
