"""Send and verify receipt in the console: the same real parts as the command (aiosmtpd relaying
a signed copy into Dovecot, the key on a loopback DNS server), the same stages in the timeline
and the same verdict as `test-send --receive`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import tomlkit
import trustme

from mailgw.tui.app import MailgwApp
from mailgw.tui.widgets.timeline import RowState
from tests.support.dovecot import PASSWORD, USER, RunningDovecot
from tests.support.smtpserver import Behaviour, RunningServer, smtp_server
from tests.tui.pilot_helpers import focus, save_and_confirm, type_into, wait_until
from tests.tui.send_helpers import custom_config, open_test_pane, run_to_end

from .conftest import Relay, signed

RECEIPT_ROWS = ["mailbox_login", "waiting", "found", "verified"]


@pytest.fixture
def mailbox_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ca: trustme.CA, nameserver: str
) -> Path:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("MAILGW_CA_FILE", str(ca_file))
    monkeypatch.setenv("MAILGW_NAMESERVERS", nameserver)
    password = tmp_path / "mailbox.password"
    password.write_text(PASSWORD + "\n")
    password.chmod(0o600)
    return password


@contextmanager
def relaying(dovecot: RunningDovecot, relay: Relay = signed) -> Iterator[RunningServer]:
    def deliver(message: bytes) -> None:
        relayed = relay(message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        if relayed:
            dovecot.deliver(relayed)

    with smtp_server(behaviour=Behaviour(on_message=deliver)) as server:
        yield server


def with_mailbox(config: Path, dovecot: RunningDovecot, password: Path, wait: int = 20) -> None:
    config.write_text(
        config.read_text()
        + f'\n[receive]\nhost = "127.0.0.1"\nport = {dovecot.imaps_port}\nsecurity = "ssl"\n'
        f'username = "{USER}"\npassword_file = "{password}"\nwait = {wait}\n'
    )


def command_verdict(config: Path) -> str:
    """`test-send --receive` with the same file: its last line is the verdict."""
    done = subprocess.run(
        [sys.executable, "-m", "mailgw", "--config", str(config), "test-send", "--to", USER,
         "--receive"],
        capture_output=True, text=True, env=dict(os.environ), timeout=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip().splitlines()[-1]


def rows(app: MailgwApp) -> dict[str, RowState]:
    panel = app.query_one("#test-run")
    return {row.name: row.state for row in panel.timeline.rows}


async def test_send_and_verify_shows_the_stages_and_the_commands_verdict(
    config_path: Path, dovecot: RunningDovecot, mailbox_env: Path
) -> None:
    with relaying(dovecot) as server:
        custom_config(config_path, server.port)
        with_mailbox(config_path, dovecot, mailbox_env)
        app = MailgwApp(config_path)
        async with app.run_test(size=(100, 60)) as pilot:
            pane = await open_test_pane(pilot)
            await type_into(pilot, "#test-recipient", USER)
            await run_to_end(pilot, pane.panel, "#test-verify-button")
            verdict, states = pane.panel.verdict(), rows(app)
            timeline = pane.panel.timeline.text()
            screen = "\n".join(str(w.render()) for w in app.screen.query("Static, Input"))
        cli_verdict = command_verdict(config_path)
    assert [name for name in states if name in RECEIPT_ROWS] == RECEIPT_ROWS
    assert all(states[name] == RowState.OK for name in RECEIPT_ROWS), timeline
    assert "mailbox login" in timeline and "DKIM verified" in timeline
    assert cli_verdict.startswith("proven: dkim=pass aligned with example.com, in INBOX")
    assert cli_verdict in verdict.splitlines()
    assert "found in INBOX" in verdict and "our DKIM check: d=example.com s=mte1: pass" in verdict
    assert PASSWORD not in screen


async def test_a_copy_that_never_comes_is_cancelled_with_esc(
    config_path: Path, dovecot: RunningDovecot, mailbox_env: Path
) -> None:
    with relaying(dovecot, relay=lambda message: b"") as server:
        custom_config(config_path, server.port)
        with_mailbox(config_path, dovecot, mailbox_env, wait=600)
        app = MailgwApp(config_path)
        async with app.run_test(size=(100, 60)) as pilot:
            pane = await open_test_pane(pilot)
            await type_into(pilot, "#test-recipient", USER)
            await pilot.click("#test-verify-button")
            waiting = pane.panel.timeline
            await wait_until(
                pilot, lambda: any(r.name == "waiting" and r.detail for r in waiting.rows),
                "the wait for the copy to show its seconds",
            )  # fmt: skip
            closed_before = dovecot.log().count("Disconnected")
            await pilot.press("escape")
            await wait_until(pilot, lambda: pane.panel.runs_ended == 1, "the cancel")
            states, verdict = rows(app), pane.panel.verdict()
            await wait_until(
                pilot, lambda: dovecot.log().count("Disconnected") > closed_before,
                "the mailbox connection to be closed (long before the 600 s wait ends)",
            )  # fmt: skip
    assert states["mailbox_login"] == RowState.OK and states["waiting"] == RowState.CANCELLED
    assert "✓ Success" in verdict and "Cancelled while looking for the copy" in verdict


async def test_without_a_mailbox_nothing_is_sent_and_the_fix_is_named(
    config_path: Path, mailbox_env: Path
) -> None:
    with smtp_server() as server:
        custom_config(config_path, server.port)
        app = MailgwApp(config_path)
        async with app.run_test(size=(100, 60)) as pilot:
            pane = await open_test_pane(pilot)
            await type_into(pilot, "#test-recipient", USER)
            await pilot.click("#test-verify-button")
            await wait_until(pilot, lambda: "mailbox" in pane.panel.verdict(), "the refusal")
            verdict = pane.panel.verdict()
        assert server.recorder.messages == []
    assert "no receiving mailbox is configured" in verdict
    assert "mailgw set receive.host=HOST" in verdict


async def test_the_wizards_test_step_offers_it_when_a_mailbox_is_configured(
    config_path: Path, dovecot: RunningDovecot, mailbox_env: Path
) -> None:
    from mailgw.delivery.setup_flow import StepId, StepStatus
    from tests.tui.test_tui_wizard import _at, _key

    with relaying(dovecot) as server:
        custom_config(config_path, server.port)
        with_mailbox(config_path, dovecot, mailbox_env)
        app = MailgwApp(config_path, wizard=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await _at(pilot, StepId.GATEWAY)
            for step in (StepId.SERVER, StepId.AUTH, StepId.SENDER, StepId.TEST_SEND):
                screen = await _key(pilot, "f9", step)
            await type_into(pilot, "#q-test-recipient", USER)
            panel = screen.query_one("#wizard-run")
            await run_to_end(pilot, panel, "#wizard-send-verify")
            verdict, status = panel.verdict(), screen.wizard.statuses()[StepId.TEST_SEND]
    assert "proven: dkim=pass aligned with example.com, in INBOX" in verdict
    assert status == StepStatus.DONE


async def test_the_wizard_offers_no_receipt_check_without_a_mailbox(config_path: Path) -> None:
    from mailgw.delivery.setup_flow import StepId
    from tests.tui.test_tui_wizard import _at, _key

    custom_config(config_path, 2525)
    app = MailgwApp(config_path, wizard=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await _at(pilot, StepId.GATEWAY)
        for step in (StepId.SERVER, StepId.AUTH, StepId.SENDER, StepId.TEST_SEND):
            screen = await _key(pilot, "f9", step)
        offered = bool(screen.query("#wizard-send-verify"))
        plain = bool(screen.query("#wizard-send"))
    assert plain and not offered


async def open_mailbox_fields(pilot) -> None:
    """Expand Receiving mailbox with the keyboard, as a person would."""
    from textual.widgets import Collapsible

    await focus(pilot, "#test-mailbox CollapsibleTitle")
    await pilot.press("enter")
    group = pilot.app.query_one("#test-mailbox", Collapsible)
    await wait_until(pilot, lambda: not group.collapsed, "the mailbox fields")


async def test_the_mailbox_is_filled_in_the_console_saved_and_used(
    config_path: Path, dovecot: RunningDovecot, mailbox_env: Path
) -> None:
    with relaying(dovecot) as server:
        custom_config(config_path, server.port)
        app = MailgwApp(config_path)
        async with app.run_test(size=(100, 60)) as pilot:
            pane = await open_test_pane(pilot)
            await open_mailbox_fields(pilot)
            await type_into(pilot, "#receive-host", "127.0.0.1")
            await type_into(pilot, "#receive-port", str(dovecot.imaps_port))
            await type_into(pilot, "#receive-username", USER)
            await type_into(pilot, "#receive-password-file", str(mailbox_env))
            await save_and_confirm(pilot)
            await wait_until(pilot, lambda: not app.session.is_modified(), "the save")
            await type_into(pilot, "#test-recipient", USER)
            await run_to_end(pilot, pane.panel, "#test-verify-button")
            verdict = pane.panel.verdict()
    saved = tomlkit.parse(config_path.read_text())["receive"].unwrap()
    assert saved == {"host": "127.0.0.1", "port": dovecot.imaps_port, "username": USER,
                     "password_file": str(mailbox_env)}  # fmt: skip
    assert "proven: dkim=pass aligned with example.com, in INBOX" in verdict
    assert PASSWORD not in config_path.read_text()


async def test_an_oauth2_mailbox_hides_the_password_file(config_path: Path) -> None:
    custom_config(config_path, 2525)
    app = MailgwApp(config_path)
    async with app.run_test(size=(100, 60)) as pilot:
        await open_test_pane(pilot)
        await open_mailbox_fields(pilot)
        field = app.query_one("#receive-password-file-field")
        shown_before = field.display
        await focus(pilot, "#receive-method")
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: not field.display, "the password file to hide")
        method = app.session.settings.receive.auth.method.value
    assert shown_before and method == "oauth2"
