"""The test-send pane against real loopback SMTP servers: send, fail, cancel, probe, detect."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import tomlkit
from textual.widgets import Button, Input, RadioSet

from mailgw.config.model import Security
from mailgw.delivery.detect import Candidate
from mailgw.delivery.results import Category
from mailgw.delivery.smtp import planned_stages
from mailgw.tui import state
from mailgw.tui.app import MailgwApp
from mailgw.tui.widgets.run_panel import RunPanel
from mailgw.tui.widgets.status_line import StatusLine
from mailgw.tui.widgets.timeline import RowState
from tests.smtp import conftest as smtp_fixtures
from tests.smtp.conftest import RECIPIENT, SENTINEL_PASSWORD, SENTINEL_USER, secret_forms
from tests.support.ports import free_port
from tests.support.smtpserver import Behaviour, RawServer, raw_server, smtp_server

from .pilot_helpers import (
    focus,
    press_and_finish,
    settled,
    type_into,
    wait_for_dialog,
    workers_done,
)
from .send_helpers import custom_config, open_test_pane, run_to_end, wait_until

# The live SMTP fixtures of tests/smtp, shared (not copied).
ca, ca_file, good_cert = smtp_fixtures.ca, smtp_fixtures.ca_file, smtp_fixtures.good_cert
unknown_ca_cert = smtp_fixtures.unknown_ca_cert
LOGIN = Behaviour(username=SENTINEL_USER, password=SENTINEL_PASSWORD)


def _panel(app: MailgwApp) -> RunPanel:
    return app.query_one("#test-run", RunPanel)


async def _send_to(pilot, recipient: str = RECIPIENT) -> RunPanel:  # type: ignore[no-untyped-def]
    await open_test_pane(pilot)
    await type_into(pilot, "#test-recipient", recipient)
    panel = _panel(pilot.app)
    await run_to_end(pilot, panel, "#test-send-button")
    return panel


async def test_send_succeeds_with_a_mark_and_ms_for_every_stage(
    config_path: Path, ca_file: str, good_cert, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILGW_CA_FILE", ca_file)
    with smtp_server("starttls", cert=good_cert) as server:
        custom_config(config_path, server.port, "starttls")
        app = MailgwApp(config_path)
        async with app.run_test(size=(80, 24)) as pilot:
            panel = await _send_to(pilot)
            rows = panel.timeline.rows
            tls = panel.query_one(".tls-details").render()
            verdict = panel.verdict()
    expected = planned_stages(app.session.settings, sending=True)
    assert [row.name for row in rows] == expected
    assert all(row.state == RowState.OK and row.ms is not None for row in rows)
    assert all(" ms  ok" in row.line() and "✓" in row.line() for row in rows)
    assert "✓ Success" in verdict and "accepted the message" in verdict
    shown = str(tls)
    assert "TLS: TLSv1." in shown and "Issuer:" in shown and "Expires:" in shown
    assert "mail.example.test" in shown  # the certificate's subject
    assert "; certificate verified" in shown  # as `mailgw test-send` says it
    assert "Self-signed: no · host name matches: yes" in shown
    assert panel.result is not None and panel.result.tls is not None
    assert panel.result.tls.fingerprint_sha256 in shown
    assert len(server.recorder.messages) == 1


async def test_auth_failure_shows_category_and_fix(config_path: Path) -> None:
    with smtp_server("plain", behaviour=LOGIN) as server:
        custom_config(config_path, server.port, login=(SENTINEL_USER, "wrong-password"))
        async with MailgwApp(config_path).run_test(size=(80, 24)) as pilot:
            panel = await _send_to(pilot)
            rows = {row.name: row.state for row in panel.timeline.rows}
            verdict = panel.verdict()
    assert "✗ Failed at login (AUTH): the login was refused" in verdict
    assert "Fix: check smtp.auth.username and the password" in verdict
    assert rows["auth"] == RowState.FAILED
    assert rows["mail_from"] == rows["data"] == RowState.NOT_RUN
    assert server.recorder.messages == []


async def test_refused_port_says_what_to_check(config_path: Path) -> None:
    custom_config(config_path, free_port())
    async with MailgwApp(config_path).run_test(size=(80, 24)) as pilot:
        panel = await _send_to(pilot)
        verdict = panel.verdict()
    assert "✗ Failed at connect: the connection was refused" in verdict
    assert "Fix: check smtp.host and smtp.port" in verdict


def _greets_then_hangs(state: RawServer):  # type: ignore[no-untyped-def]
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 slow.example.test ESMTP\r\n")
        await writer.drain()
        await reader.readline()
        await asyncio.sleep(30)  # never answers EHLO: the send waits until cancelled

    return handle


async def test_escape_cancels_a_slow_send_and_keys_work_meanwhile(config_path: Path) -> None:
    with raw_server(_greets_then_hangs) as server:
        custom_config(config_path, server.port)
        async with MailgwApp(config_path).run_test(size=(80, 24)) as pilot:
            await open_test_pane(pilot)
            await type_into(pilot, "#test-recipient", RECIPIENT)
            panel = _panel(pilot.app)
            await focus(pilot, "#test-send-button")
            await pilot.press("enter")
            await wait_until(pilot, lambda: _state(panel, "ehlo") == RowState.RUNNING, "EHLO")
            recipient = pilot.app.query_one("#test-recipient", Input)
            await focus(pilot, "#test-recipient")
            await pilot.press("end", "x")  # the UI answers keys while the send waits
            await wait_until(pilot, lambda: recipient.value.endswith("x"), "the typed x")
            typed = recipient.value
            still_running = panel.running
            await pilot.press("escape")
            await wait_until(pilot, lambda: panel.runs_ended == 1, "the cancel")
            verdict = panel.verdict()
    assert typed == RECIPIENT + "x" and still_running
    assert _state(panel, "connect") == RowState.OK
    assert _state(panel, "ehlo") == RowState.CANCELLED
    assert _state(panel, "quit") == RowState.NOT_RUN
    assert "⊘ Cancelled during EHLO" in verdict
    assert panel.result is not None and panel.result.category == Category.CANCELLED
    assert any("220 slow.example.test" in line.text for line in panel.result.transcript)


def _state(panel: RunPanel, name: str) -> RowState | None:
    return next((row.state for row in panel.timeline.rows if row.name == name), None)


async def test_probe_uses_the_unsaved_port_logs_in_and_sends_nothing(config_path: Path) -> None:
    with smtp_server("plain", behaviour=LOGIN) as server:
        custom_config(config_path, free_port(), login=(SENTINEL_USER, SENTINEL_PASSWORD))
        async with MailgwApp(config_path).run_test(size=(80, 24)) as pilot:
            await type_into(pilot, "#port", str(server.port))  # edited, not saved
            await open_test_pane(pilot)
            panel = _panel(pilot.app)
            await run_to_end(pilot, panel, "#test-probe-button")
            names = [row.name for row in panel.timeline.rows]
            verdict = panel.verdict()
    assert "works; nothing was sent" in verdict
    assert names == ["resolve", "connect", "ehlo", "auth", "quit"]
    assert server.recorder.messages == [] and server.recorder.logins


async def test_detect_then_apply_writes_port_and_security_into_the_form(
    config_path: Path, ca_file: str, good_cert, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILGW_CA_FILE", ca_file)
    closed, typed = free_port(), free_port()
    with smtp_server("starttls", cert=good_cert) as server:
        custom_config(config_path, typed, "none")
        app = MailgwApp(config_path)
        app.detect_candidates = (
            Candidate(closed, Security.SSL),
            Candidate(server.port, Security.STARTTLS),
        )
        async with app.run_test(size=(80, 24)) as pilot:
            await open_test_pane(pilot)
            panel = _panel(app)
            await run_to_end(pilot, panel, "#test-detect-button")
            verdict = panel.verdict()
            apply = app.query_one("#test-apply-button", Button)
            assert not apply.disabled
            await focus(pilot, "#test-apply-button")
            await press_and_finish(pilot, "enter", "apply")
            port_field = app.query_one("#port", Input).value
            pressed = app.query_one("#security", RadioSet).pressed_button
            modified = app.query_one(StatusLine).modified
    assert f"Recommended: 127.0.0.1 port {server.port} with starttls" in verdict
    assert [row.name for row in panel.timeline.rows][0] == f"port-{typed}"  # the form's first
    assert _state(panel, f"port-{typed}") == _state(panel, f"port-{closed}") == RowState.FAILED
    assert _state(panel, f"port-{server.port}") == RowState.OK
    smtp = app.session.settings.smtp
    assert (smtp.port, smtp.security) == (server.port, Security.STARTTLS)
    assert port_field == str(server.port)
    assert pressed is not None and pressed.id == "security-starttls"
    assert modified
    assert f"port = {typed}" in config_path.read_text("utf-8")  # nothing saved by Apply


async def test_transcript_toggles_and_masks_the_login(config_path: Path) -> None:
    with smtp_server("plain", behaviour=LOGIN) as server:
        custom_config(config_path, server.port, login=(SENTINEL_USER, SENTINEL_PASSWORD))
        async with MailgwApp(config_path).run_test(size=(80, 24)) as pilot:
            panel = await _send_to(pilot)
            hidden = panel.query_one(".transcript").display
            await pilot.press("ctrl+t")
            await settled(pilot)
            shown = panel.query_one(".transcript").display
            text = panel.transcript_text()
            await pilot.press("ctrl+t")
            await settled(pilot)
            hidden_again = panel.query_one(".transcript").display
    assert (hidden, shown, hidden_again) == (False, True, False)
    assert "C: AUTH PLAIN ********" in text or "C: AUTH LOGIN" in text
    assert "********" in text and "250 2.0.0 Ok: queued" in text
    for form in secret_forms():
        assert form not in text
    assert server.recorder.logins


async def test_last_recipient_is_remembered_across_runs_outside_the_config(
    config_path: Path,
) -> None:
    with smtp_server("plain") as server:
        custom_config(config_path, server.port)
        before = config_path.read_bytes()
        async with MailgwApp(config_path).run_test(size=(80, 24)) as pilot:
            await _send_to(pilot, "Night Desk <night@example.net>")
        async with MailgwApp(config_path).run_test(size=(80, 24)) as pilot:
            pane = await open_test_pane(pilot)
            shown = pane.query_one("#test-recipient", Input).value
    assert shown == "Night Desk <night@example.net>"
    saved = tomlkit.parse(state.state_path().read_text("utf-8"))
    assert saved[state.LAST_RECIPIENT] == shown
    assert config_path.read_bytes() == before


async def test_a_bad_recipient_is_shown_under_the_field_and_nothing_runs(
    config_path: Path,
) -> None:
    custom_config(config_path, free_port())
    async with MailgwApp(config_path).run_test(size=(80, 24)) as pilot:
        await open_test_pane(pilot)
        await type_into(pilot, "#test-recipient", "not an address")
        await focus(pilot, "#test-send-button")
        await pilot.press("enter")
        await settled(pilot)
        problem = str(pilot.app.query_one("#test-send-form .problem").render())
        running = _panel(pilot.app).running
    assert "is not one email address" in problem and not running
    assert not state.state_path().exists()


def test_every_message_kind_the_engine_builds_is_offered() -> None:
    from mailgw.delivery.messages import KINDS
    from mailgw.tui.sections.test_send import KIND_LABELS

    assert tuple(KIND_LABELS) == KINDS


@pytest.mark.parametrize("answer", ["escape", "p"])
async def test_apply_asks_before_pinning_a_certificate_that_is_not_valid(
    config_path: Path, ca_file: str, unknown_ca_cert, monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    monkeypatch.setenv("MAILGW_CA_FILE", ca_file)  # the server's CA is not among these
    with smtp_server("starttls", cert=unknown_ca_cert) as server:
        typed = free_port()
        custom_config(config_path, typed, "none")
        app = MailgwApp(config_path)
        app.detect_candidates = (Candidate(server.port, Security.STARTTLS),)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_test_pane(pilot)
            panel = _panel(app)
            await run_to_end(pilot, panel, "#test-detect-button")
            fingerprint = panel.report.recommended.tls.fingerprint_sha256
            await focus(pilot, "#test-apply-button")
            await pilot.press("enter")
            await wait_for_dialog(pilot, "the pin dialog")
            body = str(app.screen.query_one("#dialog-body").render()) + app.screen.detail
            await pilot.press(answer)
            await wait_until(pilot, lambda: workers_done(app, "apply"), "the answer to be applied")
            await settled(pilot)
    assert "is not trusted" in body and fingerprint in body
    smtp = app.session.settings.smtp
    if answer == "escape":  # cancelled: the form keeps what it had
        assert (smtp.port, smtp.tls_fingerprint) == (typed, "")
    else:
        assert (smtp.port, smtp.security) == (server.port, Security.STARTTLS)
        assert (smtp.tls_fingerprint, smtp.trust_all) == (fingerprint, False)
    assert f"port = {typed}" in config_path.read_text("utf-8")  # nothing saved by Apply


async def test_detect_probes_the_port_in_the_form_first_and_recommends_it(
    config_path: Path,
) -> None:
    with smtp_server("plain") as server:
        custom_config(config_path, free_port(), "none")
        app = MailgwApp(config_path)
        app.detect_candidates = (Candidate(free_port(), Security.SSL),)
        async with app.run_test(size=(80, 24)) as pilot:
            await type_into(pilot, "#port", str(server.port))  # typed, not saved
            await open_test_pane(pilot)
            panel = _panel(app)
            await run_to_end(pilot, panel, "#test-detect-button")
            first = panel.timeline.rows[0].name
            verdict = panel.verdict()
    assert first == f"port-{server.port}"
    assert f"Recommended: 127.0.0.1 port {server.port} with none" in verdict


def _answers_as_a_web_server(state: RawServer):  # type: ignore[no-untyped-def]
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await writer.drain()
        writer.close()

    return handle


async def test_no_working_port_after_a_connection_does_not_blame_the_firewall(
    config_path: Path,
) -> None:
    with raw_server(_answers_as_a_web_server) as server:
        custom_config(config_path, server.port, "none")
        app = MailgwApp(config_path)
        app.detect_candidates = (Candidate(free_port(), Security.SSL),)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_test_pane(pilot)
            panel = _panel(app)
            await run_to_end(pilot, panel, "#test-detect-button")
            verdict = panel.verdict()
    assert f"port {server.port} took a connection" in verdict and "firewall" not in verdict


async def test_the_recipient_placeholder_reads_as_a_hint_not_an_address(
    config_path: Path,
) -> None:
    custom_config(config_path, free_port())
    async with MailgwApp(config_path).run_test(size=(80, 24)) as pilot:
        pane = await open_test_pane(pilot)
        recipient = pane.query_one("#test-recipient", Input)
        shown = (recipient.value, recipient.placeholder)
    assert shown == ("", "e.g. you@example.com")
