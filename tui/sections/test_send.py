"""Test send: send a sample mail, probe the server or detect its ports, with the current settings.

Works on the session's settings as edited (saved or not). The recipient defaults to the last
one used (kept in mailgw's state file, not in the config). Esc cancels a running action.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Input, Select

from mailgw.config.model import Gateway, Settings
from mailgw.config.validate import Problem, Severity
from mailgw.delivery.errors import MessageInvalid
from mailgw.i18n import N_, _
from mailgw.tui import state
from mailgw.tui.bindings import translate_bindings
from mailgw.tui.dialogs.choice import CANCEL, Choice, ChoiceDialog
from mailgw.tui.sections.base import Section
from mailgw.tui.widgets.field import Field
from mailgw.tui.widgets.run_panel import RunPanel

if TYPE_CHECKING:
    from mailgw.delivery.detect import Candidate, PortReport
    from mailgw.tui.app import MailgwApp

RECIPIENT_KEY = "test.recipient"  # not a config key: the problem line of the recipient field
KIND_LABELS = {
    "test": N_("Test message"),
    "event": N_("Event notification"),
    "report": N_("Scheduled report (PDF, Excel)"),
    "billing": N_("Low-balance billing alert"),
}


def kind_options() -> list[tuple[str, str]]:
    return [(_(label), kind) for kind, label in KIND_LABELS.items()]


PIN = Choice("pin", N_("Pin and apply"), "p")


class TestSendSection(Section):
    """Recipient, message kind, Send / Probe / Detect / Apply, and the run below."""

    __test__ = False  # pytest: not a test class despite the name
    TITLE = "Test send"
    BINDINGS = [
        Binding("escape", "cancel_run", N_("Cancel"), key_display="Esc", id="test.cancel"),
        Binding("ctrl+t", "toggle_transcript", N_("Transcript"), key_display="^T", id="test.log"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        translate_bindings(self)
        self._own_problems: list[Problem] = []

    def compose(self) -> ComposeResult:
        recipient = Input(id="test-recipient", placeholder="ops@example.com")
        yield Field(RECIPIENT_KEY, recipient, label=_("Recipient"))
        kind = Select(kind_options(), id="test-kind", value="test", allow_blank=False, compact=True)
        yield Field("test.kind", kind, label=_("Message kind"))
        with Horizontal(id="test-actions", classes="actions"):
            yield Button(_("Send"), id="test-send-button", compact=True)
            yield Button(_("Probe"), id="test-probe-button", compact=True)
            yield Button(_("Detect"), id="test-detect-button", compact=True)
            yield Button(_("Apply"), id="test-apply-button", compact=True, disabled=True)
            yield Button(_("Transcript"), id="test-transcript-button", compact=True)
        yield RunPanel(id="test-run")

    def on_mount(self) -> None:
        self.query_one("#test-recipient", Input).value = state.load().get(state.LAST_RECIPIENT, "")
        super().on_mount()

    @property
    def panel(self) -> RunPanel:
        return self.query_one(RunPanel)

    def show_problems(self, problems: list[Problem]) -> None:
        super().show_problems([*problems, *self._own_problems])

    # ------------------------------------------------------------ actions

    @on(Button.Pressed, "#test-send-button")
    def send(self) -> None:
        from mailgw.delivery.messages import build_message, parse_recipient

        settings = self._current_settings()
        recipient = self.query_one("#test-recipient", Input).value.strip()
        kind = str(self.query_one("#test-kind", Select).value)
        try:
            parse_recipient(recipient)
        except MessageInvalid as exc:
            self._recipient_problem(str(exc) if recipient else _("type the address to send to"))
            return
        self._recipient_problem("")
        try:
            message = build_message(settings, kind, recipient)
        except MessageInvalid as exc:
            self.panel.timeline.clear()
            self.panel.show_verdict(_("✗ Cannot build the message: {error}").format(error=exc))
            return
        self._remember(recipient)
        self.panel.send(settings, message)

    @on(Button.Pressed, "#test-probe-button")
    def probe(self) -> None:
        self.panel.probe(self._current_settings())

    @on(Button.Pressed, "#test-detect-button")
    def detect(self) -> None:
        from mailgw.delivery.target import helo_name

        settings = self._current_settings()
        host = settings.smtp.host.strip()
        if settings.smtp.gateway != Gateway.CUSTOM or not host:
            self.panel.timeline.clear()
            self.panel.show_verdict(
                _("Detect needs a custom server: choose it under SMTP server and fill in the host.")
            )
            return
        self.panel.detect(host, self.candidates(), helo_name(settings))

    @on(Button.Pressed, "#test-apply-button")
    def apply_detected(self) -> None:
        report = self.panel.report
        best = report.recommended if report else None
        if report is None or best is None:
            return
        self._apply(report.host, best)

    @work(exclusive=True, group="apply")
    async def _apply(self, host: str, best: PortReport) -> None:
        """Apply, asking first when only pinning the certificate would make the port usable."""
        pin = best.certificate_valid is False
        if pin:
            answer = await self.app.push_screen_wait(
                ChoiceDialog(
                    _("Certificate not valid"),
                    _(
                        "The certificate on port {port} is not valid ({problem}): mail could not "
                        "be sent with it. Pin it if you trust this server: exactly this "
                        "certificate will be accepted.\nSHA-256 {fingerprint}"
                    ).format(
                        port=best.port,
                        problem=best.certificate_problem,
                        fingerprint=best.tls.fingerprint_sha256 if best.tls else "?",
                    ),
                    [PIN, CANCEL],
                )
            )
            if answer != PIN.value:
                return
        write_detected(self.console, host, best, pin=pin)
        self.notify(
            _("SMTP server set to {host} port {port} with {security} (not saved yet).").format(
                host=host, port=best.port, security=best.security
            )
        )

    @on(Button.Pressed, "#test-transcript-button")
    def action_toggle_transcript(self) -> None:
        self.panel.toggle_transcript()

    def action_cancel_run(self) -> None:
        self.panel.cancel()

    @on(RunPanel.Detected)
    def _detected(self, event: RunPanel.Detected) -> None:
        self.query_one("#test-apply-button", Button).disabled = event.report.recommended is None
        self.call_after_refresh(self.scroll_end, animate=False)

    @on(RunPanel.Finished)
    def _ran(self) -> None:
        self.query_one("#test-apply-button", Button).disabled = True
        self.call_after_refresh(self.scroll_end, animate=False)  # the verdict and the fix

    # ------------------------------------------------------------ helpers

    def candidates(self) -> Sequence[Candidate]:
        """The ports detect tries (the app may narrow them, as `--detect-ports` does)."""
        from mailgw.delivery.detect import DEFAULT_CANDIDATES

        return getattr(self.app, "detect_candidates", None) or DEFAULT_CANDIDATES

    def _current_settings(self) -> Settings:
        """The settings as edited now, saved or not (a copy: a run never changes the form)."""
        return self.console.session.settings.copy()

    def _recipient_problem(self, message: str) -> None:
        self._own_problems = [Problem(RECIPIENT_KEY, Severity.ERROR, message)] if message else []
        for field in self.query(Field):
            field.show_problems(self._own_problems)

    def _remember(self, recipient: str) -> None:
        try:
            state.remember(**{state.LAST_RECIPIENT: recipient})
        except OSError as exc:
            self.notify(
                _("Could not remember the recipient in {path}: {error}").format(
                    path=state.state_path(), error=exc.strerror or exc
                ),
                severity="warning",
            )


def write_detected(app: MailgwApp, host: str, best: PortReport, *, pin: bool = False) -> None:
    """Put a detect result into the session's settings and the SMTP server form."""
    from mailgw.delivery.detect import recommended_values

    app.edit_many(recommended_values(host, best, pin=pin))
