"""Shared by the sender-domain and DKIM pane tests: a config, the resolver env, opening a tab."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import TabbedContent

from mailgw.tui.sections.base import Section
from mailgw.tui.sections.sender_domain import SenderDomainSection

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
    monkeypatch: pytest.MonkeyPatch, nameserver: str, authoritative_port: int, timeout: float = 1
) -> None:
    """Point the console's DNS checks at loopback servers (as an admin would with the env)."""
    monkeypatch.setenv("MAILGW_NAMESERVERS", nameserver)
    monkeypatch.setenv("MAILGW_AUTHORITATIVE_PORT", str(authoritative_port))
    monkeypatch.setenv("MAILGW_DNS_TIMEOUT", str(timeout))


async def open_tab(pilot: Pilot[None], tab_id: str) -> Section:
    """Show a tab and wait until its section is mounted and loaded."""
    pilot.app.query_one(TabbedContent).active = tab_id
    for _ in range(50):
        await pilot.pause()
        found = list(pilot.app.query(f"#{tab_id}-form").results(Section))
        if found and found[0].is_mounted:
            found[0].focus_first()
            await pilot.pause()
            return found[0]
    raise AssertionError(f"the {tab_id} tab was never mounted")


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], seconds: float = 10) -> None:
    """Let the app run until `condition` holds (bounded: fails after `seconds`)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.05)


async def run_check(pilot: Pilot[None], section: SenderDomainSection) -> None:
    """F5, then wait for the check to end."""
    await pilot.press("f5")
    await pilot.pause()
    await wait_for(pilot, lambda: not _dns_running(section))
    await pilot.pause()


def _dns_running(section: Section) -> bool:
    return any(w.group == "dns" and w.is_running for w in section.app.workers)
