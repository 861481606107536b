"""The wizard does itself what it would otherwise send the admin elsewhere for: it pins a
certificate (from detect or from a failed test send), probes the port typed first, and offers
the last recipient; against self-signed servers on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from mailgw.config.model import Security
from mailgw.delivery.detect import Candidate
from mailgw.delivery.setup_flow import StepId
from mailgw.tui import state
from mailgw.tui.app import MailgwApp
from mailgw.tui.dialogs.choice import ChoiceDialog
from mailgw.tui.widgets.run_panel import RunPanel
from tests.smtp.conftest import RECIPIENT
from tests.support.ports import free_port
from tests.support.smtpserver import self_signed, smtp_server

from .send_helpers import custom_config, wait_until
from .test_tui_wizard import _at, _choose, _key, _typed


@pytest.fixture(scope="module")
def self_signed_pair() -> tuple[bytes, bytes]:
    return self_signed()


async def _answer(pilot, title: str, key: str) -> ChoiceDialog:  # type: ignore[no-untyped-def]
    """Wait for the dialog titled `title`, press `key` in it; the dialog."""

    def shown() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, ChoiceDialog) and screen.title_text == title

    await wait_until(pilot, shown, f"the dialog {title!r}")
    dialog = pilot.app.screen
    await pilot.press(key)
    await wait_until(pilot, lambda: pilot.app.screen is not dialog, "the dialog to close")
    return dialog


async def _press(pilot, selector: str) -> None:  # type: ignore[no-untyped-def]
    pilot.app.screen.query_one(selector).focus()
    await pilot.press("enter")


async def _to_test_send(pilot):  # type: ignore[no-untyped-def]
    await _at(pilot, StepId.GATEWAY)
    pilot.app.screen.query_one("#wizard-steps").focus()
    await pilot.press("end", "up", "up", "enter")  # straight to the test send
    return await _at(pilot, StepId.TEST_SEND)


async def test_detect_in_the_wizard_probes_the_typed_port_first_and_pins_when_asked(
    config_path: Path, self_signed_pair: tuple[bytes, bytes]
) -> None:
    with smtp_server("starttls", cert=self_signed_pair) as server:
        app = MailgwApp(config_path, wizard=True)
        app.detect_candidates = (Candidate(free_port(), Security.SSL),)
        async with app.run_test(size=(80, 24)) as pilot:
            await _at(pilot, StepId.GATEWAY)
            await _choose(pilot, "#q-smtp-gateway", 1)
            screen = await _key(pilot, "f9", StepId.SERVER)
            await _typed(pilot, "#q-smtp-host", "127.0.0.1")
            await _typed(pilot, "#q-smtp-port", str(server.port))
            panel = screen.query_one(RunPanel)
            await _press(pilot, "#wizard-detect")
            await wait_until(pilot, lambda: panel.runs_ended == 1, "detect")
            first = panel.timeline.rows[0].name
            fingerprint = panel.report.recommended.tls.fingerprint_sha256
            await _press(pilot, "#wizard-use")
            dialog = await _answer(pilot, "Pin this certificate?", "p")
            await wait_until(pilot, lambda: "pinned" in panel.verdict(), "the pin")
            await _key(pilot, "f9", StepId.AUTH)
            smtp = screen.wizard.settings.smtp
    assert first == f"port-{server.port}"
    assert fingerprint in dialog.detail
    assert (smtp.port, smtp.security) == (server.port, Security.STARTTLS)
    assert (smtp.tls_fingerprint, smtp.trust_all) == (fingerprint, False)


async def test_a_refused_test_send_is_pinned_in_the_wizard_and_sent_again(
    config_path: Path, self_signed_pair: tuple[bytes, bytes]
) -> None:
    with smtp_server("starttls", cert=self_signed_pair) as server:
        custom_config(config_path, server.port, "starttls")
        app = MailgwApp(config_path, wizard=True)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _to_test_send(pilot)
            await _typed(pilot, "#q-test-recipient", RECIPIENT)
            panel = screen.query_one(RunPanel)
            await _press(pilot, "#wizard-send")
            await wait_until(pilot, lambda: panel.runs_ended == 1, "the refused send")
            failed = panel.verdict()
            await _press(pilot, "#wizard-run .pin-certificate")
            await _answer(pilot, "Pin this certificate?", "p")
            await _press(pilot, "#wizard-send")
            await wait_until(pilot, lambda: panel.runs_ended == 2, "the second send")
            second = panel.verdict()
            tls = str(panel.query_one(".tls-details").render())
            review = await _key(pilot, "f9", StepId.REVIEW)
            diff = str(review.query_one("#wizard-review").render())
    assert "the certificate is not trusted" in failed and "`mailgw" not in failed
    assert "✓ Success" in second and "certificate pinned" in tls
    assert "+tls_fingerprint = " in diff
    assert len(server.recorder.messages) == 1


async def test_the_test_send_step_offers_the_last_recipient_or_a_hint(config_path: Path) -> None:
    custom_config(config_path, free_port())
    async with MailgwApp(config_path, wizard=True).run_test(size=(80, 24)) as pilot:
        screen = await _to_test_send(pilot)
        field = screen.query_one("#q-test-recipient", Input)
        empty = (field.value, field.placeholder)
    state.remember(**{state.LAST_RECIPIENT: "night@example.net"})
    async with MailgwApp(config_path, wizard=True).run_test(size=(80, 24)) as pilot:
        screen = await _to_test_send(pilot)
        remembered = screen.query_one("#q-test-recipient", Input).value
    assert empty == ("", "e.g. you@example.com")
    assert remembered == "night@example.net"
