"""A send, probe or detect as it runs and after: timeline, verdict, TLS details, transcript.

The network work runs in a worker on the app's loop; the worker only posts messages and the
handlers here change the widgets. `cancel()` (Esc in the panes) cancels the worker: the engine
raises CancelledError, and the partial record kept in a `Progress` is still shown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static
from textual.worker import Worker, WorkerState

from mailgw.config.model import Settings
from mailgw.config.printable import printable
from mailgw.delivery.receipt_text import mailbox_failure_lines, receipt_lines
from mailgw.delivery.results import stage_label
from mailgw.i18n import N_, _
from mailgw.tui.widgets.timeline import RowState, Timeline

# The engines load on first use, not with the console: its first frame comes sooner.
if TYPE_CHECKING:
    from mailgw.delivery.detect import Candidate, DetectReport, PortReport
    from mailgw.delivery.mailbox import MailboxFailed
    from mailgw.delivery.receipt_check import ReceiptRun
    from mailgw.delivery.results import Category, SendResult, Stage
    from mailgw.delivery.tls import TlsInfo

DETECT_TIMEOUT = 10.0  # seconds per port; the ports are probed at once

CATEGORY_WORDS = {  # by results.Category value
    "dns": N_("the host name does not resolve"),
    "connect_refused": N_("the connection was refused"),
    "timeout": N_("the server did not answer in time"),
    "tls_protocol": N_("TLS could not be agreed"),
    "certificate": N_("the certificate is not trusted"),
    "starttls_unavailable": N_("the server does not offer STARTTLS"),
    "auth_unavailable": N_("the server offers no usable login"),
    "auth_failed": N_("the login was refused"),
    "sender_rejected": N_("the sender was refused"),
    "recipient_rejected": N_("the recipient was refused"),
    "message_rejected": N_("the message was refused"),
    "connection_lost": N_("the connection was lost"),
    "token_refused": N_("the OAuth 2.0 sign-in was refused"),
    "token_unreachable": N_("the token endpoint could not be reached"),
    "token_certificate": N_("the token endpoint's certificate is not trusted"),
    "cancelled": N_("cancelled"),
    "config_invalid": N_("the settings are not complete"),
}


def category_words(category: Category | None) -> str:
    if category is None:
        return ""
    words = CATEGORY_WORDS.get(category.value, category.value)
    return _(words)


class RunPanel(Vertical):
    """Runs one network action at a time and shows it."""

    DEFAULT_CLASSES = "run-panel"

    @dataclass
    class StageDone(Message, bubble=False):
        """A stage of the running send or probe finished."""

        stage: Stage

    @dataclass
    class PortChecked(Message, bubble=False):
        """One port of a running detect answered (or not)."""

        report: PortReport

    @dataclass
    class Waiting(Message, bubble=False):
        """Send and verify: the copy has not come yet, `seconds` after the wait began."""

        seconds: float

    @dataclass
    class Finished(Message):
        """A send or probe ended; `result` is None only when the engine could not start.
        Send and verify also carries the receipt check's run, or why the mailbox failed."""

        panel: RunPanel
        result: SendResult | None
        cancelled: bool
        receipt: ReceiptRun | None = None
        mailbox_failure: MailboxFailed | None = None
        receipt_cancelled: bool = False  # Esc while the copy was looked for: the mail went

    @dataclass
    class TrustAsked(Message):
        """The admin pressed Pin this certificate (`pin`) or Trust any certificate."""

        panel: RunPanel
        result: SendResult
        tls: TlsInfo
        pin: bool

    @dataclass
    class Detected(Message):
        """A detect ended; the report holds the ports that answered."""

        panel: RunPanel
        report: DetectReport
        cancelled: bool

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._worker: Worker[None] | None = None
        self.result: SendResult | None = None
        self.report: DetectReport | None = None
        self.runs_ended = 0  # how many runs have ended and been shown (tests wait on it)
        self.timeline = Timeline(id=f"{id}-timeline" if id else None)

    def compose(self) -> ComposeResult:
        yield self.timeline
        yield Static("", classes="verdict", markup=False)
        with Horizontal(classes="actions certificate-actions"):
            yield Button(_("Pin this certificate"), classes="pin-certificate", compact=True)
            yield Button(_("Trust any certificate"), classes="trust-any", compact=True)
        yield Static("", classes="tls-details", markup=False)
        yield Static("", classes="transcript", markup=False)

    def on_mount(self) -> None:
        self.query_one(".transcript").display = False
        self.query_one(".certificate-actions").display = False

    # ------------------------------------------------------------ starting and stopping

    @property
    def running(self) -> bool:
        return self._worker is not None and self._worker.state in (
            WorkerState.PENDING,
            WorkerState.RUNNING,
        )

    def send(self, settings: Settings, message: EmailMessage) -> None:
        from mailgw.delivery import smtp

        self._start(smtp.planned_stages(settings, sending=True))
        self._verdict(_("Sending… (Esc cancels)"))
        self._worker = self._converse(settings, message)

    def send_and_verify(self, settings: Settings, message: EmailMessage) -> None:
        """Send, then find the copy in the [receive] mailbox and verify it (the same stages
        and verdict as `test-send --receive`)."""
        from mailgw.delivery import smtp
        from mailgw.delivery.results import ReceiptStageName

        receipt = [name.value for name in ReceiptStageName]
        self._start([*smtp.planned_stages(settings, sending=True), *receipt])
        self._verdict(
            _("Sending, then waiting for the copy in {host}… (Esc cancels)").format(
                host=settings.receive.host
            )
        )
        self._worker = self._converse(settings, message, verify_receipt=True)

    def probe(self, settings: Settings) -> None:
        from mailgw.delivery import smtp

        self._start(smtp.planned_stages(settings, sending=False))
        self._verdict(_("Probing… (Esc cancels)"))
        self._worker = self._converse(settings, None)

    def detect(self, host: str, candidates: Sequence[Candidate], helo_name: str) -> None:
        self._start([])
        labels = {_port_row(c.port): f"{c.port} {c.security.value}" for c in candidates}
        self.timeline.plan(list(labels), labels, at_once=True)
        self._verdict(_("Detecting the ports of {host}… (Esc cancels)").format(host=host))
        self._worker = self._detect(host, list(candidates), helo_name)

    def cancel(self) -> bool:
        """Cancel the running action; False when nothing runs."""
        if not self.running:
            return False
        assert self._worker is not None
        self._worker.cancel()
        return True

    def _start(self, stages: list[str]) -> None:
        self.result, self.report = None, None
        self.query_one(".certificate-actions").display = False
        self.timeline.plan(stages)
        self.query_one(".tls-details", Static).update("")
        self._show_transcript()

    # ------------------------------------------------------------ workers (post only)

    @work(exclusive=True, group="smtp", exit_on_error=False)
    async def _converse(
        self, settings: Settings, message: EmailMessage | None, *, verify_receipt: bool = False
    ) -> None:
        from mailgw.delivery import smtp
        from mailgw.delivery.results import Progress

        progress = Progress()

        def on_stage(stage: Stage) -> None:
            self.post_message(self.StageDone(stage))

        try:
            if message is None:
                await smtp.probe(settings, on_stage=on_stage, progress=progress)
            else:
                await smtp.send(settings, message, on_stage=on_stage, progress=progress)
        except asyncio.CancelledError:
            self.post_message(self.Finished(self, progress.result, cancelled=True))
            raise
        result = progress.result
        if verify_receipt and result is not None and result.ok:
            await self._verify_receipt(settings, result)
            return
        self.post_message(self.Finished(self, result, cancelled=False))

    async def _verify_receipt(self, settings: Settings, result: SendResult) -> None:
        """The receipt check in a thread (IMAP blocks); Esc stops it and shuts its socket."""
        from mailgw.delivery.mailbox import MailboxFailed
        from mailgw.delivery.receipt_check import ReceiptStop, prove_receipt
        from mailgw.delivery.resolver import DnsConfigError
        from mailgw.tui.dns_config import resolver_config

        stop = ReceiptStop()

        def work() -> ReceiptRun:
            return prove_receipt(
                settings, result.test_id, wait=settings.receive.wait,
                resolver=resolver_config(settings.dns.nameservers), stop=stop,
                on_stage=lambda stage: self.post_message(self.StageDone(stage)),
                on_wait=lambda seconds: self.post_message(self.Waiting(seconds)),
            )  # fmt: skip

        try:
            run = await asyncio.to_thread(work)
        except asyncio.CancelledError:
            stop.set()
            self.post_message(self.Finished(self, result, True, receipt_cancelled=True))
            raise
        except MailboxFailed as exc:
            self.post_message(self.Finished(self, result, False, mailbox_failure=exc))
            return
        except DnsConfigError as exc:  # the environment names a malformed DNS server
            failure = MailboxFailed("config_invalid", str(exc), _("fix $MAILGW_NAMESERVERS"))
            self.post_message(self.Finished(self, result, False, mailbox_failure=failure))
            return
        self.post_message(self.Finished(self, result, False, receipt=run))

    @work(exclusive=True, group="smtp", exit_on_error=False)
    async def _detect(self, host: str, candidates: list[Candidate], helo_name: str) -> None:
        from mailgw.delivery.detect import DetectReport, detect

        report = DetectReport(host)

        def on_result(port: PortReport) -> None:
            self.post_message(self.PortChecked(port))

        try:
            await detect(
                host,
                candidates=candidates,
                timeout=DETECT_TIMEOUT,
                helo_name=helo_name,
                on_result=on_result,
                progress=report,
            )
        except asyncio.CancelledError:
            self.post_message(self.Detected(self, report, cancelled=True))
            raise
        self.post_message(self.Detected(self, report, cancelled=False))

    # ------------------------------------------------------------ handlers (widgets)

    @on(StageDone)
    def _stage_done(self, event: StageDone) -> None:
        self.timeline.record(event.stage)

    @on(Waiting)
    def _waiting(self, event: Waiting) -> None:
        from mailgw.delivery.results import ReceiptStageName

        detail = _("{seconds:.0f} s").format(seconds=event.seconds)
        self.timeline.update_row(ReceiptStageName.WAITING.value, RowState.RUNNING, detail)

    @on(PortChecked)
    def _port_checked(self, event: PortChecked) -> None:
        port = event.report
        state = RowState.OK if port.works else RowState.FAILED
        self.timeline.update_row(_port_row(port.port), state, port_detail(port))

    @on(Finished)
    def _finished(self, event: Finished) -> None:
        if event.panel is not self:
            return
        self.result = event.result
        self.timeline.finish(cancelled=event.cancelled)
        send_cancelled = event.cancelled and not event.receipt_cancelled
        self._verdict(
            verdict_text(event.result, cancelled=send_cancelled)
            + receipt_text(event.receipt, event.mailbox_failure, cancelled=event.receipt_cancelled)
        )
        tls = event.result.tls if event.result else None
        self.query_one(".tls-details", Static).update(printable(tls_text(tls, event.result)))
        self.query_one(".certificate-actions").display = self.refused_certificate() is not None
        self._show_transcript()
        self.runs_ended += 1

    def refused_certificate(self) -> TlsInfo | None:
        """The certificate the last run refused and a pin would accept, or None."""
        from mailgw.delivery.pinning import refused_certificate

        return refused_certificate(self.result)

    @on(Button.Pressed, ".pin-certificate")
    def _pin_pressed(self, event: Button.Pressed) -> None:
        self._ask_trust(event, pin=True)

    @on(Button.Pressed, ".trust-any")
    def _trust_any_pressed(self, event: Button.Pressed) -> None:
        self._ask_trust(event, pin=False)

    def _ask_trust(self, event: Button.Pressed, *, pin: bool) -> None:
        event.stop()
        tls = self.refused_certificate()
        if self.result is not None and tls is not None:
            self.post_message(self.TrustAsked(self, self.result, tls, pin))

    def trust_settled(self, note: str) -> None:
        """The certificate question was answered: the buttons go, a line says what changed."""
        self.query_one(".certificate-actions").display = False
        self.show_verdict(f"{self.verdict()}\n{note}")

    @on(Detected)
    def _detected(self, event: Detected) -> None:
        if event.panel is not self:
            return
        self.report = event.report
        for port in event.report.ports:
            if port.category is not None and port.category.value == "cancelled":
                self.timeline.update_row(_port_row(port.port), RowState.CANCELLED)
        self._verdict(detect_text(event.report, cancelled=event.cancelled))
        self.runs_ended += 1

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """An error the engine did not classify: said on screen, never a crash."""
        if event.worker is self._worker and event.state == WorkerState.ERROR:
            self.timeline.finish()
            error = event.worker.error
            self._verdict(_("✗ Could not run: {error}").format(error=error))
            self.runs_ended += 1

    # ------------------------------------------------------------ transcript

    def toggle_transcript(self) -> bool:
        """Show or hide the transcript; True when it is now shown."""
        transcript = self.query_one(".transcript", Static)
        transcript.display = not transcript.display
        self._show_transcript()
        return bool(transcript.display)

    def _show_transcript(self) -> None:
        transcript = self.query_one(".transcript", Static)
        if not transcript.display:
            return
        lines = self.result.transcript if self.result else []
        title = _("Transcript (password masked; Ctrl+T hides it):")
        body = "\n".join(str(line) for line in lines) or _("(no conversation yet)")
        transcript.update(printable(f"{title}\n{body}"))

    def transcript_text(self) -> str:
        return str(self.query_one(".transcript", Static).render())

    def show_verdict(self, text: str) -> None:
        """A line of its own in the verdict place (a run that could not start)."""
        self.query_one(".verdict", Static).update(printable(text))

    _verdict = show_verdict

    def verdict(self) -> str:
        return str(self.query_one(".verdict", Static).render())


def _port_row(port: int) -> str:
    return f"port-{port}"


def port_detail(port: PortReport) -> str:
    if port.works:
        text = _("works with {security}").format(security=port.security)
        if port.certificate_valid is False:
            text += " " + _("(certificate not valid)")
        return text
    return port.message or category_words(port.category)


def verdict_text(result: SendResult | None, *, cancelled: bool) -> str:
    """The outcome in plain words: what happened, why, and the fix."""
    if result is None:
        return _("⊘ Cancelled before anything ran.") if cancelled else ""
    if cancelled:
        return _("⊘ Cancelled during {stage}: nothing more was done.").format(
            stage=stage_label(result.stage)
        )
    lines = []
    if result.ok:
        lines.append(_("✓ Success: {message}").format(message=result.message))
    else:
        lines.append(
            _("✗ Failed at {stage}: {category}").format(
                stage=stage_label(result.stage), category=category_words(result.category)
            )
        )
        lines.append(result.message)
        lines.append(_("Fix: {fix}").format(fix=fix_text(result)))
    lines += [_("! Warning: {message}").format(message=w) for w in result.warnings]
    return "\n".join(line for line in lines if line)


def receipt_text(
    run: ReceiptRun | None, failure: MailboxFailed | None, *, cancelled: bool = False
) -> str:
    """Send and verify's second half, in the words `test-send --receive` prints."""
    if cancelled:
        closed = _("⊘ Cancelled while looking for the copy: the mailbox connection was closed.")
        return "\n" + closed
    if failure is not None:
        return "\n" + "\n".join(mailbox_failure_lines(failure))
    if run is None:
        return ""
    return "\n" + "\n".join(receipt_lines(run.receipt))


def fix_text(result: SendResult) -> str:
    """The fix as the console says it: a refused certificate points at the buttons below."""
    tls = result.tls
    if result.category is not None and result.category.value == "certificate" and tls:
        if tls.problem:  # refused by verification, not a pin that no longer matches
            return _(
                "if you trust this server, pin its certificate (button below): exactly this "
                "one is then accepted; trusting any certificate also works but accepts any"
            )
    return result.fix


def tls_text(tls: TlsInfo | None, result: SendResult | None) -> str:
    """The TLS session and certificate, or why there is none."""
    from mailgw.delivery.tls import summary

    if tls is None:
        if result is not None and result.security == "none" and result.stages:
            return _("No TLS: security is none, the mail crosses the network unencrypted.")
        return ""
    yes, no = _("yes"), _("no")
    return "\n".join(
        [
            summary(tls),
            _("Certificate: {subject}").format(subject=tls.subject),
            _("Names: {names}").format(names=", ".join(tls.sans) or "-"),
            _("Issuer: {issuer}").format(issuer=tls.issuer),
            _("Expires: {date}{expired}").format(
                date=tls.not_after, expired=" " + _("(expired)") if tls.expired else ""
            ),
            _("Self-signed: {self_signed} · host name matches: {match}").format(
                self_signed=yes if tls.self_signed else no,
                match=yes if tls.hostname_match else no,
            ),
            _("SHA-256: {fingerprint}").format(fingerprint=tls.fingerprint_sha256),
        ]
    )


def detect_text(report: DetectReport, *, cancelled: bool) -> str:
    if cancelled:
        return _("⊘ Detection cancelled: the ports that answered are shown.")
    best = report.recommended
    if best is None:
        return "✗ " + report.nothing_works()
    text = _("✓ Recommended: {host} port {port} with {security}. Apply writes it into the form.")
    text = text.format(host=report.host, port=best.port, security=best.security)
    if best.certificate_valid is False:
        problem = best.certificate_problem
        text += "\n" + _("! The certificate is not valid: {problem}").format(problem=problem)
    return text
