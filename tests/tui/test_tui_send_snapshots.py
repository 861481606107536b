"""How the test-send pane and the wizard look at 80x24, in English and Portuguese.

The pane's runs are fed a fixed record (stages with fixed milliseconds, a fixed certificate):
live runs vary in timing, port and certificate, so they are asserted in test_tui_test_send.py,
and these pictures show only the drawing. Run with `--snapshot-update` after a deliberate change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from mailgw.delivery.receipt_check import ReceiptRun
from mailgw.delivery.results import Category, ReceiptStageName, SendResult, Stage
from mailgw.delivery.transcript import TranscriptLine
from mailgw.tui.app import MailgwApp
from mailgw.tui.widgets.run_panel import RunPanel
from tests.support.tls import SAMPLE_TLS, sample_tls

from .pilot_helpers import focus, settled, wait_until
from .send_helpers import open_test_pane

SIZE = (80, 24)
NAME = Path("email-gateway.toml")  # relative: the same path on screen on every machine

TLS = SAMPLE_TLS
STARTTLS_STAGES = ["resolve", "connect", "ehlo", "tls", "certificate", "ehlo", "auth"]
SENT = ["mail_from", "rcpt_to", "data", "quit"]


def _success() -> SendResult:
    stages = [Stage(name, True, 12.0) for name in STARTTLS_STAGES + SENT]
    line = TranscriptLine(0.1, "C", "AUTH PLAIN ********")
    message = "the server mail.example.com accepted the message"
    return SendResult(True, "quit", None, message, stages=stages, tls=TLS, transcript=[line])


def _auth_failure() -> SendResult:
    stages = [Stage(name, True, 12.0) for name in STARTTLS_STAGES[:-1]]
    stages.append(Stage("auth", False, 40.0))
    return SendResult(
        False,
        "auth",
        Category.AUTH_FAILED,
        "the server refused the login: 535 5.7.8 Authentication credentials invalid",
        "check smtp.auth.username and the password",
        stages=stages,
        tls=TLS,
    )


def _certificate_refused() -> SendResult:
    stages = [Stage(name, True, 12.0) for name in STARTTLS_STAGES[:3]]
    stages.append(Stage("tls", False, 20.0))
    problem = "the server's certificate was refused: the certificate is self-signed"
    tls = sample_tls(verified=False, self_signed=True, problem=problem, issuer="CN=mail")
    return SendResult(
        False, "tls", Category.CERTIFICATE, problem, "(the fix)", stages=stages, tls=tls
    )


def _verified_receipt() -> ReceiptRun:
    """A copy found in INBOX, signed and aligned, as `test-send --receive` would judge it."""
    from mailgw.delivery.dkim import AuthResult, SignatureResult
    from mailgw.delivery.receipt import Hop, Receipt

    mx = "mx.receiver.example"
    receipt = Receipt(
        True, "INBOX", 3.4,
        [AuthResult(mx, "dkim", "pass"), AuthResult(mx, "spf", "pass")],
        dkim=[SignatureResult(0, "example.com", "mte1", "rsa-sha256", "pass", "", 2048,
                              aligned=True)],
        hops=[Hop("mail.example.com", mx, "ESMTPS", True, "", 1.0)],
        verdict="proven: dkim=pass aligned with example.com, in INBOX", proven=True,
    )  # fmt: skip
    stages = [Stage(name.value, True, 12.0) for name in ReceiptStageName]
    return ReceiptRun(receipt, stages, folders=["INBOX", "Junk"])


async def _pane_with_mailbox_fields(pilot: Pilot[None]) -> None:
    from textual.widgets import Collapsible

    await open_test_pane(pilot)
    await focus(pilot, "#test-mailbox CollapsibleTitle")
    await pilot.press("enter")
    group = pilot.app.query_one("#test-mailbox", Collapsible)
    await wait_until(pilot, lambda: not group.collapsed, "the mailbox fields")
    await focus(pilot, "#receive-host")
    await pilot.press(*"imap.example.com")
    await settled(pilot)


async def _pane_after_verified_receipt(pilot: Pilot[None]) -> None:
    run = _verified_receipt()
    await _feed(pilot, _success(), receipt=run)


async def _feed(pilot: Pilot[None], result: SendResult, receipt: ReceiptRun | None = None) -> None:
    """Draw a run as the pane does: planned rows, each stage as it ends, then the outcome."""
    await open_test_pane(pilot)
    panel = pilot.app.query_one("#test-run", RunPanel)
    receipt_rows = [name.value for name in ReceiptStageName] if receipt else []
    panel.timeline.plan(STARTTLS_STAGES + SENT + receipt_rows)
    for stage in [*result.stages, *(receipt.stages if receipt else [])]:
        panel.post_message(RunPanel.StageDone(stage))
    panel.post_message(RunPanel.Finished(panel, result, cancelled=False, receipt=receipt))
    await wait_until(pilot, lambda: panel.runs_ended == 1, "the fed run to be drawn")
    await focus(pilot, "#test-recipient")


@pytest.fixture
def fresh(config_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(config_path.parent)
    return config_path


async def _pane_with_recipient(pilot: Pilot[None]) -> None:
    await open_test_pane(pilot)
    await focus(pilot, "#test-recipient")
    await pilot.press(*"ops@example.net")
    field = pilot.app.query_one("#test-recipient", Input)
    await wait_until(pilot, lambda: field.value.endswith("ops@example.net"), "the typed recipient")
    await settled(pilot)


async def _pane_after_success(pilot: Pilot[None]) -> None:
    await _feed(pilot, _success())


async def _pane_after_failure(pilot: Pilot[None]) -> None:
    await _feed(pilot, _auth_failure())


async def _pane_after_certificate_refused(pilot: Pilot[None]) -> None:
    await _feed(pilot, _certificate_refused())


async def _wizard_review(pilot: Pilot[None]) -> None:
    from mailgw.delivery.setup_flow import StepId

    from .test_tui_wizard import _at

    await _at(pilot, StepId.GATEWAY)
    await pilot.press("f9")
    await _at(pilot, StepId.SENDER)
    await focus(pilot, "#q-email-from_name")
    await pilot.press(*"Fleet", "f9")
    await _at(pilot, StepId.TEST_SEND)
    await pilot.press("f8")
    await _at(pilot, StepId.REVIEW)


def _wizard_custom_until(step_name: str):
    """Through the custom-server path, to the step named: each step is pictured once."""
    from mailgw.delivery.setup_flow import StepId

    from .test_tui_wizard import _at, _choose

    target = StepId(step_name)

    async def run_before(pilot: Pilot[None]) -> None:
        await _at(pilot, StepId.GATEWAY)
        await _choose(pilot, "#q-smtp-gateway", 1)
        path = [
            ("f9", StepId.SERVER),
            ("f9", StepId.AUTH),
            ("f9", StepId.SENDER),
            ("f9", StepId.TEST_SEND),
            ("f8", StepId.REVIEW),
            ("f9", StepId.SAVE),
        ]
        for key, step in path:
            if _wizard_at(pilot) == target:
                break
            if step == StepId.AUTH:
                await focus(pilot, "#q-smtp-host")
                await pilot.press(*"mail.example.com")
            await pilot.press(key)
            await _at(pilot, step)
        await settled(pilot)

    return run_before


def _wizard_at(pilot: Pilot[None]):
    from mailgw.tui.wizard import WizardScreen

    screen = pilot.app.screen
    return screen.shown_step if isinstance(screen, WizardScreen) else None


@pytest.mark.usefixtures("language")
class TestTestSendPane:
    def test_before_a_run(self, snap_compare, existing: Path) -> None:
        app = MailgwApp(NAME)
        assert snap_compare(app, terminal_size=SIZE, run_before=_pane_with_recipient)

    def test_after_success(self, snap_compare, existing: Path) -> None:
        app = MailgwApp(NAME)
        assert snap_compare(app, terminal_size=SIZE, run_before=_pane_after_success)

    def test_receiving_mailbox_fields(self, snap_compare, existing: Path) -> None:
        app = MailgwApp(NAME)
        assert snap_compare(app, terminal_size=SIZE, run_before=_pane_with_mailbox_fields)

    def test_after_send_and_verify_receipt(self, snap_compare, existing: Path) -> None:
        app = MailgwApp(NAME)
        assert snap_compare(app, terminal_size=SIZE, run_before=_pane_after_verified_receipt)

    def test_after_failure(self, snap_compare, existing: Path) -> None:
        app = MailgwApp(NAME)
        assert snap_compare(app, terminal_size=SIZE, run_before=_pane_after_failure)

    def test_certificate_refused_offers_pin_and_trust_any(
        self, snap_compare, existing: Path
    ) -> None:
        app = MailgwApp(NAME)
        assert snap_compare(app, terminal_size=SIZE, run_before=_pane_after_certificate_refused)


@pytest.mark.usefixtures("language")
class TestWizard:
    def test_first_step(self, snap_compare, fresh: Path) -> None:
        assert snap_compare(MailgwApp(NAME, wizard=True), terminal_size=SIZE)

    def test_review(self, snap_compare, fresh: Path) -> None:
        app = MailgwApp(NAME, wizard=True)
        assert snap_compare(app, terminal_size=SIZE, run_before=_wizard_review)

    @pytest.mark.parametrize("step", ["server", "auth", "sender", "test_send", "save"])
    def test_each_step(self, snap_compare, fresh: Path, step: str) -> None:
        app = MailgwApp(NAME, wizard=True)
        assert snap_compare(app, terminal_size=SIZE, run_before=_wizard_custom_until(step))
