"""The DKIM check pane: a pasted (bracketed paste) or saved message, verified over loopback DNS."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from mailgw.tui.app import MailgwApp
from tests.dns.keys import MESSAGE, rsa_key, sign
from tests.support.dnsserver import Zone, serving

from .domain_helpers import open_tab, use_resolver, wait_for, write_config
from .pilot_helpers import focus, press_and_finish, settled

SIZE = (80, 24)
RECEIVED = (
    b"Authentication-Results: mx.customer.test; dkim=pass header.d=example.test;"
    b" spf=pass smtp.mailfrom=example.test; dmarc=pass header.from=example.test\r\n"
)


def _signed() -> bytes:
    return RECEIVED + sign(MESSAGE, rsa_key(2048), "example.test", "mte1")


def _key_zone() -> Zone:
    return Zone().add_txt("mte1._domainkey.example.test", rsa_key(2048).record)


async def _paste_and_verify(pilot: Pilot[None], message: bytes) -> str:
    """Paste as a terminal does (bracketed paste), F5, and the verdict shown."""
    section = await open_tab(pilot, "dkim-check")
    area = section.query_one("#dkim-message", TextArea)
    await focus(pilot, "#dkim-message")
    pasted = message.decode().replace("\r\n", "\n")  # as a terminal delivers it
    pilot.app.post_message(events.Paste(pasted))  # what the driver posts for a bracketed paste
    await wait_for(pilot, lambda: area.text == pasted, "the pasted message")
    await settled(pilot)
    return await _verdict(pilot)


async def _verdict(pilot: Pilot[None]) -> str:
    """F5, and the verdict shown once the verification has ended."""
    await press_and_finish(pilot, "f5", "dkim")
    return str(pilot.app.query_one("#dkim-result", Static).content)


async def test_a_pasted_signed_message_passes(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(_key_zone()) as server:
        use_resolver(monkeypatch, server.nameserver, server.port)
        async with MailgwApp(write_config(config_path)).run_test(size=SIZE) as pilot:
            shown = await _paste_and_verify(pilot, _signed())
    assert shown.startswith("✓ dkim=pass")
    assert "✓ Signature 1: pass" in shown and "d=example.test s=mte1 a=rsa-sha256" in shown
    assert "key 2048 bits" in shown and "(strict)" in shown
    assert "mx.customer.test: dkim=pass" in shown and "mx.customer.test: dmarc=pass" in shown


async def test_a_message_changed_in_transit_fails_with_what_to_do(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tampered = _signed().replace(b"00:00.", b"09:30.")
    with serving(_key_zone()) as server:
        use_resolver(monkeypatch, server.nameserver, server.port)
        async with MailgwApp(write_config(config_path)).run_test(size=SIZE) as pilot:
            shown = await _paste_and_verify(pilot, tampered)
    assert shown.startswith("✗ Not dkim=pass")
    assert "✗ Signature 1: fail" in shown and "body" in shown
    assert "changed in transit" in shown


async def test_a_missing_key_says_publish_the_cnames(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = config_path.parent / "received.eml"
    message.write_bytes(_signed())
    with serving(Zone()) as server:
        use_resolver(monkeypatch, server.nameserver, server.port)
        async with MailgwApp(write_config(config_path)).run_test(size=SIZE) as pilot:
            section = await open_tab(pilot, "dkim-check")
            section.query_one("#dkim-file", Input).value = str(message)
            shown = await _verdict(pilot)
    assert "permerror" in shown and "publish the two DKIM CNAMEs" in shown


async def test_escape_cancels_a_verification_waiting_on_a_silent_server(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(Zone()) as server:
        server.silent = True
        use_resolver(monkeypatch, server.nameserver, server.port, timeout=30)
        async with MailgwApp(write_config(config_path)).run_test(size=SIZE) as pilot:
            section = await open_tab(pilot, "dkim-check")
            pilot.app.post_message(events.Paste(_signed().decode()))
            await pilot.press("f5")
            await wait_for(pilot, lambda: bool(server.queries))
            (worker,) = [w for w in pilot.app.workers if w.group == "dkim"]
            await pilot.press("escape")
            await wait_for(pilot, lambda: worker.is_finished)
            shown = str(section.query_one("#dkim-result", Static).content)
    assert worker.is_cancelled and shown == "Verification cancelled."


async def test_an_unsigned_message_says_the_domain_is_not_authorised(config_path: Path) -> None:
    async with MailgwApp(write_config(config_path)).run_test(size=SIZE) as pilot:
        shown = await _paste_and_verify(pilot, RECEIVED + MESSAGE)
    assert shown.startswith("✗ No DKIM signature")
    assert "the gateway did not sign" in shown and "not authorised yet" in shown


@pytest.mark.parametrize("lang", ["C.UTF-8", "pt_BR.UTF-8"], ids=["en", "pt"])
def test_looks_after_a_failed_verification(
    snap_compare, config_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    monkeypatch.chdir(config_path.parent)
    monkeypatch.setenv("LANG", lang)
    write_config(config_path)
    tampered = _signed().replace(b"00:00.", b"09:30.")

    async def run_before(pilot: Pilot[None]) -> None:
        await _paste_and_verify(pilot, tampered)
        pilot.app.query_one("#dkim-result").scroll_visible(animate=False)
        await settled(pilot)

    with serving(_key_zone()) as server:
        use_resolver(monkeypatch, server.nameserver, server.port)
        app = MailgwApp(Path(config_path.name))
        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
