"""Trusting a certificate from the TUI alone: a refused certificate is pinned (or any trusted)
from the test pane, and the next send goes through; a self-signed server on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit
from textual.widgets import Button, Input

from mailgw.config import store
from mailgw.tui.app import MailgwApp
from mailgw.tui.dialogs.choice import ChoiceDialog
from mailgw.tui.widgets.run_panel import RunPanel
from tests.smtp.conftest import RECIPIENT
from tests.support.smtpserver import self_signed, smtp_server

from .pilot_helpers import type_into
from .send_helpers import custom_config, open_test_pane, run_to_end, wait_until


@pytest.fixture(scope="module")
def self_signed_pair() -> tuple[bytes, bytes]:
    return self_signed()


def _panel(app: MailgwApp) -> RunPanel:
    return app.query_one("#test-run", RunPanel)


def _offered(panel: RunPanel) -> bool:
    """The Pin and Trust any buttons are on screen."""
    actions = panel.query_one(".certificate-actions")
    return actions.display and all(b.display for b in actions.query(Button))


async def _dialog(pilot, title: str) -> ChoiceDialog:  # type: ignore[no-untyped-def]
    """Wait for the dialog titled `title`; the dialog."""

    def shown() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, ChoiceDialog) and screen.title_text == title

    await wait_until(pilot, shown, f"the dialog {title!r}")
    return pilot.app.screen


async def _press(pilot, selector: str) -> None:  # type: ignore[no-untyped-def]
    pilot.app.query_one(selector).focus()
    await pilot.press("enter")


async def _failed_send(pilot) -> RunPanel:  # type: ignore[no-untyped-def]
    await open_test_pane(pilot)
    await type_into(pilot, "#test-recipient", RECIPIENT)
    panel = _panel(pilot.app)
    await run_to_end(pilot, panel, "#test-send-button")
    return panel


def _saved_smtp(config_path: Path) -> dict[str, object]:
    return tomlkit.parse(config_path.read_text("utf-8"))["smtp"].unwrap()


async def test_pin_from_a_failed_send_saves_the_fingerprint_and_the_next_send_works(
    config_path: Path, self_signed_pair: tuple[bytes, bytes]
) -> None:
    with smtp_server("starttls", cert=self_signed_pair) as server:
        custom_config(config_path, server.port, "starttls")
        app = MailgwApp(config_path)
        async with app.run_test(size=(80, 24)) as pilot:
            panel = await _failed_send(pilot)
            failed = panel.verdict()
            fingerprint = panel.result.tls.fingerprint_sha256
            offered = _offered(panel)
            await _press(pilot, "#test-run .pin-certificate")
            pin = await _dialog(pilot, "Pin this certificate?")
            asked = str(pin.query_one("#dialog-body").render()) + pin.detail
            await pilot.press("p")
            save = await _dialog(pilot, "Save")
            diff = save.detail
            await pilot.press("enter")
            await wait_until(pilot, lambda: not app.session.is_modified(), "the save")
            await wait_until(pilot, lambda: not _offered(panel), "the buttons to go")
            settled = panel.verdict()
            saved = _saved_smtp(config_path)
            await run_to_end(pilot, panel, "#test-send-button")
            second = panel.verdict()
            tls = str(panel.query_one(".tls-details").render())
    assert "✗ Failed at TLS handshake: the certificate is not trusted" in failed
    assert "pin its certificate (button below)" in failed and "`" not in failed
    assert offered
    assert fingerprint in asked and "DNS:mail.example.test" in asked and "IP:127.0.0.1" in asked
    assert f'+tls_fingerprint = "{fingerprint}"' in diff
    assert "Certificate pinned and saved" in settled
    assert saved["tls_fingerprint"] == fingerprint and not saved.get("trust_all", False)
    assert "✓ Success" in second
    assert "certificate pinned" in tls and "verified" not in tls
    assert len(server.recorder.messages) == 1


async def test_declining_the_pin_changes_nothing(
    config_path: Path, self_signed_pair: tuple[bytes, bytes]
) -> None:
    with smtp_server("starttls", cert=self_signed_pair) as server:
        custom_config(config_path, server.port, "starttls")
        before = config_path.read_bytes()
        app = MailgwApp(config_path)
        async with app.run_test(size=(80, 24)) as pilot:
            panel = await _failed_send(pilot)
            await _press(pilot, "#test-run .pin-certificate")
            await _dialog(pilot, "Pin this certificate?")
            await pilot.press("escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, ChoiceDialog), "the pane")
            still_offered = _offered(panel)
            modified = app.session.is_modified()
    assert still_offered and not modified
    assert config_path.read_bytes() == before


async def test_trust_any_from_a_failed_probe_asks_then_saves_trust_all(
    config_path: Path, self_signed_pair: tuple[bytes, bytes]
) -> None:
    with smtp_server("ssl", cert=self_signed_pair) as server:
        custom_config(config_path, server.port, "ssl")
        app = MailgwApp(config_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_test_pane(pilot)
            panel = _panel(app)
            await run_to_end(pilot, panel, "#test-probe-button")
            await _press(pilot, "#test-run .trust-any")
            trust = await _dialog(pilot, "Trust any certificate?")
            warning = str(trust.query_one("#dialog-body").render())
            await pilot.press("t")
            await _dialog(pilot, "Save")
            await pilot.press("enter")
            await wait_until(pilot, lambda: not app.session.is_modified(), "the save")
            await run_to_end(pilot, panel, "#test-probe-button")
            probed = panel.verdict()
    assert "could then read the mail and the password" in warning
    assert store.load(config_path).settings.smtp.trust_all is True
    assert "works; nothing was sent" in probed and "NOT verified" in probed


async def test_a_pin_is_refused_when_the_form_names_another_server_since_the_run(
    config_path: Path, self_signed_pair: tuple[bytes, bytes]
) -> None:
    with smtp_server("starttls", cert=self_signed_pair) as server:
        custom_config(config_path, server.port, "starttls")
        app = MailgwApp(config_path)
        async with app.run_test(size=(80, 24)) as pilot:
            panel = await _failed_send(pilot)
            app.query_one("#host", Input).value = "other.example.test"  # edited meanwhile
            await _press(pilot, "#test-run .pin-certificate")
            await wait_until(pilot, lambda: bool(app._notifications), "the notice")
            notice = list(app._notifications)[-1].message
            dialog = isinstance(app.screen, ChoiceDialog)
            still_offered = _offered(panel)
    assert "changed since this run" in notice and not dialog and still_offered
    assert app.session.settings.smtp.tls_fingerprint == ""
