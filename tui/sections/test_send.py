"""Test send: send a sample mail, probe the server or detect its ports, with the current settings.

Works on the session's settings as edited (saved or not). The recipient defaults to the last
one used (kept in mailgw's state file, not in the config). Esc cancels a running action.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Collapsible, Input, Select, Static

from mailgw.config.model import Gateway, Settings
from mailgw.config.printable import printable
from mailgw.config.validate import Problem, Severity
from mailgw.delivery.errors import MessageInvalid
from mailgw.i18n import N_, _
from mailgw.tui import flows, state
from mailgw.tui.bindings import translate_bindings
from mailgw.tui.dialogs.downgrade import confirm_downgrade
from mailgw.tui.dialogs.pin import confirm_pin, server_name, trust_values
from mailgw.tui.sections.base import Section
from mailgw.tui.sections.mailbox_fields import MailboxFields
from mailgw.tui.widgets.field import Field, example
from mailgw.tui.widgets.menu import Menu
from mailgw.tui.widgets.run_panel import RunPanel

if TYPE_CHECKING:
    from email.message import EmailMessage

    from mailgw.delivery.detect import Candidate, PortReport
    from mailgw.delivery.results import SendResult
    from mailgw.delivery.tls import TlsInfo

RECIPIENT_KEY = "test.recipient"  # not a config key: the problem line of the recipient field
KIND_LABELS = {
    "test": N_("Test message"),
    "event": N_("Event notification"),
    "report": N_("Scheduled report (PDF, Excel)"),
    "billing": N_("Low-balance billing alert"),
}


def kind_options() -> list[tuple[str, str]]:
    return [(_(label), kind) for kind, label in KIND_LABELS.items()]


class TestSendSection(Section):
    """Recipient, message kind, Send / Probe / Detect / Apply, and the run below."""

    __test__ = False  # pytest: not a test class despite the name
    BINDINGS = [
        Binding("escape", "cancel_run", N_("Cancel"), key_display="Esc", id="test.cancel"),
        Binding("ctrl+t", "toggle_transcript", N_("Transcript"), key_display="^T", id="test.log"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        translate_bindings(self)
        self._own_problems: list[Problem] = []

    def compose(self) -> ComposeResult:
        recipient = Input(id="test-recipient", placeholder=example("you@example.com"))
        yield Field(RECIPIENT_KEY, recipient, label=_("Recipient"))
        kind = Menu(kind_options(), id="test-kind", value="test", allow_blank=False, compact=True)
        yield Field("test.kind", kind, label=_("Message kind"))
        with Horizontal(id="test-actions", classes="actions"):
            yield Button(_("Send"), id="test-send-button", compact=True)
            yield Button(_("Probe"), id="test-probe-button", compact=True)
            yield Button(_("Detect"), id="test-detect-button", compact=True)
            yield Button(_("Apply"), id="test-apply-button", compact=True, disabled=True)
            yield Button(_("Transcript"), id="test-transcript-button", compact=True)
        with Horizontal(id="test-receipt-actions", classes="actions"):
            verify = _("Send and verify receipt")
            yield Button(verify, id="test-verify-button", compact=True)
            yield Static("", id="test-receipt-mailbox", markup=False)
        with Collapsible(title=_("Receiving mailbox"), id="test-mailbox"):
            yield MailboxFields()
        yield RunPanel(id="test-run")

    def on_mount(self) -> None:
        self.query_one("#test-recipient", Input).value = state.load().get(state.LAST_RECIPIENT, "")
        super().on_mount()

    def model_shown(self, settings: Settings) -> None:
        """Which mailbox Send and verify reads (the [receive] table; mailgw set edits it)."""
        receive = settings.receive
        if receive.host.strip():
            note = _("the copy is looked for in {user} on {host}").format(
                user=receive.username, host=receive.host
            )
        else:
            note = _("no receiving mailbox yet: fill in Receiving mailbox below")
        self.query_one("#test-receipt-mailbox", Static).update(printable(note))
        self.query_one(MailboxFields).show_for(settings)

    @property
    def panel(self) -> RunPanel:
        return self.query_one(RunPanel)

    def show_problems(self, problems: list[Problem]) -> None:
        super().show_problems([*problems, *self._own_problems])

    # ------------------------------------------------------------ actions

    @on(Button.Pressed, "#test-send-button")
    def send(self) -> None:
        settings = self._current_settings()
        message = self._message(settings)
        if message is not None:
            self.panel.send(settings, message)

    @on(Button.Pressed, "#test-verify-button")
    def send_and_verify(self) -> None:
        """Send, then find the copy in the [receive] mailbox: as `test-send --receive`."""
        from mailgw.delivery.mailbox import unusable
        from mailgw.delivery.receipt_text import mailbox_failure_lines

        settings = self._current_settings()
        problem = unusable(settings)
        if problem is not None:  # said before anything is sent
            self.panel.timeline.clear()
            self.panel.show_verdict("\n".join(["✗", *mailbox_failure_lines(problem)]))
            return
        message = self._message(settings)
        if message is not None:
            self.panel.send_and_verify(settings, message)

    def _message(self, settings: Settings) -> EmailMessage | None:
        """The message to the recipient in the form, or None with the reason shown."""
        from mailgw.delivery.messages import build_message, parse_recipient

        recipient = self.query_one("#test-recipient", Input).value.strip()
        kind = str(self.query_one("#test-kind", Select).value)
        try:
            parse_recipient(recipient)
        except MessageInvalid as exc:
            self._recipient_problem(str(exc) if recipient else _("type the address to send to"))
            return None
        self._recipient_problem("")
        try:
            message = build_message(settings, kind, recipient)
        except MessageInvalid as exc:
            self.panel.timeline.clear()
            self.panel.show_verdict(_("✗ Cannot build the message: {error}").format(error=exc))
            return None
        self._remember(recipient)
        return message

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
        self.panel.detect(host, self.candidates(settings), helo_name(settings))

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
        from mailgw.delivery.detect import downgrade_risk, is_downgrade, recommended_values

        configured = self._current_settings().smtp.security
        weaker = is_downgrade(configured, best.security)
        risk = downgrade_risk(best.port, configured)
        if weaker and not await confirm_downgrade(self.app, risk):
            return
        pin = best.certificate_valid is False
        if pin and not await self._confirm_detected_pin(host, best):
            return
        values = recommended_values(
            host, best, pin=pin, configured=configured, allow_downgrade=weaker
        )
        self.console.edit_many(values)
        self.notify(
            _("SMTP server set to {host} port {port} with {security} (not saved yet).").format(
                host=host, port=best.port, security=best.security
            )
        )

    async def _confirm_detected_pin(self, host: str, best: PortReport) -> bool:
        where = server_name(host, best.port)
        tls = best.tls
        return tls is not None and await confirm_pin(self.app, tls, where, best.certificate_problem)

    @on(RunPanel.TrustAsked)
    def _trust_asked(self, event: RunPanel.TrustAsked) -> None:
        self._trust(event.result, event.tls, pin=event.pin)

    @work(exclusive=True, group="trust")
    async def _trust(self, result: SendResult, tls: TlsInfo, *, pin: bool) -> None:
        """Pin the refused certificate (or trust any), then save through the save dialog."""
        if not self._same_server(result):
            return
        where, problem = server_name(result.host, result.port), tls.problem or result.message
        values = await trust_values(self.app, tls, where, problem, pin=pin)
        if values is None:
            return
        self.console.edit_many(values)
        saved = await flows.save(self.console)
        self.panel.trust_settled(trust_note(pin=pin, saved=saved))

    def _same_server(self, result: SendResult) -> bool:
        """The form still names the server that was run against (else a pin would go astray)."""
        smtp = self._current_settings().smtp
        same = smtp.gateway == Gateway.CUSTOM and (smtp.host.strip(), smtp.port) == (
            result.host,
            result.port,
        )
        if not same:
            self.notify(
                _("The server in the form changed since this run: run it again first."),
                severity="warning",
            )
        return same

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

    def candidates(self, settings: Settings) -> list[Candidate]:
        """The port in the form first, then the usual ones (or those of `--detect-ports`)."""
        return self.console.detect_order(settings.smtp.port, settings.smtp.security)

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


def trust_note(*, pin: bool, saved: bool) -> str:
    """What the answered certificate question changed, under the verdict."""
    if pin and saved:
        return _("✓ Certificate pinned and saved: run it again to use it.")
    if pin:
        return _("Certificate pinned, not saved yet (F2 saves): run it again to try it.")
    if saved:
        return _("! Any certificate is now accepted (saved): run it again.")
    return _("! Any certificate is now accepted, not saved yet (F2 saves).")
