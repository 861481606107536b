"""The full-screen first-run wizard: the shared step model (`delivery.setup_wizard`) as a screen.

A step list on the left (with each step's state; Enter on one revisits it), the current step
on the right. F9 checks the step and moves on, F8 skips it, F7 goes back. Esc cancels a running
send or detect, else leaves for the console, which keeps the wizard's settings as unsaved edits.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from mailgw.config.errors import ConfigError
from mailgw.config.model import Security
from mailgw.config.validate import Problem, Severity, errors
from mailgw.delivery import setup_flow as flow
from mailgw.delivery.detect import PortReport
from mailgw.delivery.errors import MessageInvalid
from mailgw.delivery.pinning import pin_values
from mailgw.delivery.setup_flow import TEST_RECIPIENT, StepId, StepStatus
from mailgw.delivery.setup_wizard import Wizard
from mailgw.delivery.target import helo_name
from mailgw.i18n import N_, _
from mailgw.tui import state
from mailgw.tui.bindings import translate_bindings
from mailgw.tui.dialogs.downgrade import confirm_downgrade
from mailgw.tui.dialogs.pin import confirm_pin, server_name, trust_values
from mailgw.tui.widgets.footer import KeysFooter
from mailgw.tui.widgets.run_panel import RunPanel
from mailgw.tui.wizard_form import QuestionForm, control_id

if TYPE_CHECKING:
    from mailgw.delivery.results import SendResult
    from mailgw.delivery.tls import TlsInfo
    from mailgw.tui.app import MailgwApp

STATUS_MARKS = {
    StepStatus.DONE: ("✓", N_("done")),
    StepStatus.SKIPPED: ("»", N_("skipped")),
    StepStatus.PENDING: ("·", N_("to do")),
    StepStatus.NOT_APPLICABLE: ("-", N_("not needed")),
}
PINNED_NOTE_SERVER = N_("✓ Certificate pinned: it is saved with the other settings at the end.")
PINNED_NOTE = N_("✓ Certificate pinned (saved at the end with the rest): send the test again.")
TRUST_ANY_NOTE = N_("! Any certificate is now accepted (saved at the end): send the test again.")
_QUESTION_STEPS = (StepId.GATEWAY, StepId.SERVER, StepId.AUTH, StepId.SENDER, StepId.TEST_SEND)


class WizardScreen(ModalScreen[None]):
    """First-time setup, step by step, over the console."""

    DEFAULT_CLASSES = "wizard"
    BINDINGS = [
        Binding("f9", "next", N_("Next"), key_display="F9", id="wizard.next"),
        Binding("f8", "skip", N_("Skip"), key_display="F8", id="wizard.skip"),
        Binding("f7", "back", N_("Back"), key_display="F7", id="wizard.back"),
        Binding("f5", "steps", N_("Steps"), key_display="F5", id="wizard.steps"),
        Binding("ctrl+t", "transcript", N_("Transcript"), key_display="^T", id="wizard.log"),
        Binding("escape", "leave", N_("Cancel/leave"), key_display="Esc", id="wizard.leave"),
    ]

    def __init__(self, wizard: Wizard) -> None:
        super().__init__()
        translate_bindings(self)
        self.wizard = wizard
        self.form: QuestionForm | None = None
        self.last_send_ok = False
        self.shown_step: StepId | None = None  # the step drawn on screen (tests wait on it)
        # A form being drawn again (a question came or went) is finished before F9 reads it.
        self._redrawing = asyncio.Lock()

    @property
    def mailgw(self) -> MailgwApp:
        return cast("MailgwApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static("", id="wizard-title", markup=False)
        with Horizontal(id="wizard-body"):
            with Vertical(id="wizard-side"):
                yield OptionList(id="wizard-steps")
                yield Static("", id="wizard-legend", markup=False)
            with Vertical(id="wizard-main"):
                yield Static("", id="wizard-help", markup=False)
                yield VerticalScroll(id="wizard-step")
                with Horizontal(id="wizard-buttons", classes="actions"):
                    yield Button(_("Back (F7)"), id="wizard-back", compact=True)
                    yield Button(_("Skip (F8)"), id="wizard-skip", compact=True)
                    yield Button(_("Next (F9)"), id="wizard-next", compact=True)
        yield KeysFooter()

    async def on_mount(self) -> None:
        await self.show_step()

    # ------------------------------------------------------------ showing a step

    async def show_step(self) -> None:
        """Draw the current step: its questions, or the test send, review or save.

        The title changes last, once the step is drawn and focused: a person (or a test in
        tmux) who sees it can type at once.
        """
        wizard, current = self.wizard, self.wizard.current
        self.last_send_ok = False
        self.shown_step = None
        body = self.query_one("#wizard-step", VerticalScroll)
        await body.remove_children()
        self.form = None
        if current.id in _QUESTION_STEPS:
            answers = self._first_answers()
            self.form = QuestionForm(wizard.questions(answers), answers)
            await body.mount(self.form)
        await body.mount_all(self._extras(current.id))
        self.query_one("#wizard-next", Button).label = self._next_label()
        self._show_steps()
        self._focus_first()
        self._show_title()
        self.query_one("#wizard-help", Static).update(current.help)
        self.shown_step = current.id

    def _first_answers(self) -> dict[str, Any]:
        if self.wizard.current.id != StepId.TEST_SEND:
            return {}
        remembered = state.load().get(state.LAST_RECIPIENT, "")
        return {TEST_RECIPIENT: self.wizard.test_recipient or remembered}

    def _extras(self, step_id: StepId) -> list[Any]:
        """What a step shows besides its questions."""
        if step_id == StepId.SERVER:
            detect = Button(_("Detect port and security"), id="wizard-detect", compact=True)
            use = Button(_("Use the recommendation"), id="wizard-use", compact=True, disabled=True)
            return [Horizontal(detect, use, classes="actions"), RunPanel(id="wizard-run")]
        if step_id == StepId.TEST_SEND:
            buttons = [Button(_("Send the test"), id="wizard-send", compact=True)]
            if self.wizard.settings.receive.host.strip():  # a mailbox to prove the receipt in
                verify = _("Send and verify receipt")
                buttons.append(Button(verify, id="wizard-send-verify", compact=True))
            return [Horizontal(*buttons, classes="actions"), RunPanel(id="wizard-run")]
        if step_id == StepId.REVIEW:
            return [Static(self._review_text(), id="wizard-review", markup=False)]
        if step_id == StepId.SAVE:
            return [Static(self._save_text(), id="wizard-save", markup=False)]
        return []

    def _next_label(self) -> str:
        return _("Save (F9)") if self.wizard.current.id == StepId.SAVE else _("Next (F9)")

    def _focus_first(self) -> None:
        body = self.query_one("#wizard-step")
        first = next((w for w in body.query("*") if w.focusable), None)
        (first or body).focus()  # the review has nothing to fill: arrows scroll the diff

    def _show_title(self, answers: dict[str, Any] | None = None) -> None:
        number, total = self.wizard.number(answers=answers)
        title = _("mailgw setup · step {number} of {total}: {title}")
        self.query_one("#wizard-title", Static).update(
            title.format(number=number, total=total, title=self.wizard.current.title)
        )

    def _show_steps(self, answers: dict[str, Any] | None = None) -> None:
        steps = self.query_one("#wizard-steps", OptionList)
        statuses = self.wizard.statuses(answers)
        steps.clear_options()
        for step in flow.steps():
            mark, _word = STATUS_MARKS[statuses[step.id]]
            here = "▶" if step.id == self.wizard.position else " "
            steps.add_option(Option(f"{here}{mark} {step.title}", id=step.id.value))
        steps.highlighted = [s.id for s in flow.steps()].index(self.wizard.position)
        legend = "\n".join(f"{mark} {_(word)}" for mark, word in STATUS_MARKS.values())
        self.query_one("#wizard-legend", Static).update(legend)

    def _review_text(self) -> str:
        wizard = self.wizard
        diff = wizard.diff() or _("No changes: the file would stay as it is.")
        lines = [_("Config file: {path}").format(path=wizard.loaded.path), "", diff.rstrip("\n")]
        for problem in wizard.problems():
            word = _("Error") if problem.severity == Severity.ERROR else _("Warning")
            owner = flow.step_for_key(problem.key)
            where = f" ({owner.title})" if owner else ""
            lines.append(f"{word}: {problem.key}: {problem.message}{where}")
        return "\n".join(lines)

    def _save_text(self) -> str:
        blocking = self.wizard.blocking()
        if blocking:
            lines = [_("Cannot save yet: fix these first (the step list takes you there):")]
            lines += [f"✗ {p.key}: {p.message}" for p in blocking]
            return "\n".join(lines)
        path = self.wizard.loaded.path
        return _("Save these settings to {path}? A backup of the old file is kept.").format(
            path=path
        )

    # ------------------------------------------------------------ moving

    async def action_next(self) -> None:
        async with self._redrawing:  # an F9 pressed while the form is drawn again waits for it
            await self._next()

    async def _next(self) -> None:
        current = self.wizard.current.id
        if self._panel_running():
            return
        if current in _QUESTION_STEPS and current != StepId.TEST_SEND:
            assert self.form is not None
            problems = self.wizard.apply(self.form.answers())
            self.form.show_problems(problems)
            if errors(problems):
                self.notify(_("Fix the problems shown under the fields first."), severity="error")
                return
            self.wizard.forward()
        elif current == StepId.TEST_SEND:
            self._keep_test_answers()
            if self.last_send_ok:
                self.wizard.complete()
            else:
                self.wizard.skip()
        elif current == StepId.REVIEW:
            self.wizard.complete()
        else:
            self._save()
            return
        await self.show_step()

    async def action_skip(self) -> None:
        if self._panel_running():
            return
        if self.wizard.current.id == StepId.SAVE:
            self.leave(_("Nothing was saved; the settings are in the console, not saved yet."))
            return
        self.wizard.skip()
        await self.show_step()

    async def action_back(self) -> None:
        if not self._panel_running() and self.wizard.back():
            await self.show_step()

    def action_steps(self) -> None:
        self.query_one("#wizard-steps", OptionList).focus()

    @on(OptionList.OptionSelected, "#wizard-steps")
    async def _go(self, event: OptionList.OptionSelected) -> None:
        step_id = StepId(str(event.option.id))
        if self._panel_running() or not flow.applies(flow.step(step_id), self.wizard.settings):
            return
        self.wizard.go(step_id)
        await self.show_step()

    @on(Button.Pressed, "#wizard-next")
    async def _next_pressed(self) -> None:
        await self.action_next()

    @on(Button.Pressed, "#wizard-skip")
    async def _skip_pressed(self) -> None:
        await self.action_skip()

    @on(Button.Pressed, "#wizard-back")
    async def _back_pressed(self) -> None:
        await self.action_back()

    def action_leave(self) -> None:
        """Esc: cancel what runs; else go to the console with these settings unsaved."""
        if self._panel_running():
            self.query_one(RunPanel).cancel()
            return
        self.leave(_("Setup left: its settings are in the console, not saved yet."))

    def leave(self, note: str) -> None:
        """Back to the console; it keeps the wizard's settings as unsaved edits."""
        app = self.mailgw
        if self.wizard.changed():
            app.session.update(self.wizard.edited_values())
        self.dismiss(None)
        app.load_sections()
        app.notify(note)

    # ------------------------------------------------------------ questions follow answers

    @on(QuestionForm.Edited)
    async def _edited(self) -> None:
        async with self._redrawing:
            await self._follow_answers()

    async def _follow_answers(self) -> None:
        form = self.form
        if form is None:
            return
        questions = self.wizard.questions(form.answered)
        self._show_steps(form.answered)  # a gateway chosen changes which steps come
        self._show_title(form.answered)
        if [q.name for q in questions] == [q.name for q in form.questions]:
            form.follow(questions)
            return
        # A question came or went (a login switched on, security none): draw the form again.
        answers = {**form.answers(), **form.answered}
        keep = {k: v for k, v in answers.items() if k in form.answered}
        self.form = QuestionForm(questions, keep)
        body = self.query_one("#wizard-step", VerticalScroll)
        await body.mount(self.form, before=form)
        focus = self.form.query(f"#{control_id(next(reversed(form.answered), ''))}")
        if focus:
            focus.first().focus()  # where the person was: the control they just changed
        await form.remove()  # last: the old form goes only once the new one has the focus

    # ------------------------------------------------------------ detect and test send

    @on(Button.Pressed, "#wizard-detect")
    def _detect(self) -> None:
        assert self.form is not None
        answers = self.form.answers()
        host = str(answers.get("smtp.host", "")).strip()
        if not host:
            self.form.show_problems(
                [Problem("smtp.host", Severity.ERROR, _("type the host to detect"))]
            )
            return
        port, security = answers.get("smtp.port", 0), Security(answers["smtp.security"])
        candidates = self.mailgw.detect_order(port, security)
        self.query_one(RunPanel).detect(host, candidates, helo_name(self.wizard.settings))

    @on(RunPanel.Detected)
    def _detected(self, event: RunPanel.Detected) -> None:
        self.query_one("#wizard-use", Button).disabled = event.report.recommended is None

    @on(Button.Pressed, "#wizard-use")
    def _use_pressed(self) -> None:
        report = self.query_one(RunPanel).report
        best = report.recommended if report else None
        if self.form is not None and report is not None and best is not None:
            self._use_detected(report.host, best)

    @work(exclusive=True, group="trust")
    async def _use_detected(self, host: str, best: PortReport) -> None:
        """Use the recommendation; a certificate that is not valid only once pinned (asked)."""
        assert self.form is not None
        from mailgw.delivery.detect import downgrade_risk, is_downgrade

        configured = self.form.answers().get("smtp.security", self.wizard.settings.smtp.security)
        risk = downgrade_risk(best.port, configured)
        if is_downgrade(configured, best.security) and not await confirm_downgrade(self.app, risk):
            return
        answers = flow.detected_answers(best.port, best.security)
        if best.certificate_valid is False:  # as `detect --apply`: never a port mail cannot use
            tls, where = best.tls, server_name(host, best.port)
            if tls is None or not await confirm_pin(self.app, tls, where, best.certificate_problem):
                return
            answers["smtp.trust_all"] = False
            if not self._apply_server_step(answers):
                return
            self.wizard.set(pin_values(tls.fingerprint_sha256))
            self.query_one(RunPanel).trust_settled(_(PINNED_NOTE_SERVER))
        self.form.set_answers(answers)

    def _apply_server_step(self, detected: dict[str, Any]) -> bool:
        """The server step's answers, the detected ones over them, into the wizard's settings
        (a pin goes in after them: it belongs to this host)."""
        assert self.form is not None
        problems = self.wizard.apply({**self.form.answers(), **detected})
        self.form.show_problems(problems)
        if errors(problems):
            self.notify(_("Fix the problems shown under the fields first."), severity="error")
        return not errors(problems)

    @on(RunPanel.TrustAsked)
    def _trust_asked(self, event: RunPanel.TrustAsked) -> None:
        self._trust(event.result, event.tls, pin=event.pin)

    @work(exclusive=True, group="trust")
    async def _trust(self, result: SendResult, tls: TlsInfo, *, pin: bool) -> None:
        """A test send refused the certificate: pin it (or trust any) in the wizard's settings."""
        where, problem = server_name(result.host, result.port), tls.problem or result.message
        values = await trust_values(self.app, tls, where, problem, pin=pin)
        if values is None:
            return
        self.wizard.set(values)
        self.query_one(RunPanel).trust_settled(_(PINNED_NOTE) if pin else _(TRUST_ANY_NOTE))

    @on(Button.Pressed, "#wizard-send")
    def _send(self) -> None:
        self._send_test(verify_receipt=False)

    @on(Button.Pressed, "#wizard-send-verify")
    def _send_and_verify(self) -> None:
        """As the console's Send and verify receipt: the copy found in [receive], DKIM judged."""
        self._send_test(verify_receipt=True)

    def _send_test(self, *, verify_receipt: bool) -> None:
        assert self.form is not None
        answers = self.form.answers()
        problems = self.wizard.apply(answers)
        self.form.show_problems(problems)
        if errors(problems):
            return
        try:
            message = self.wizard.test_message()
        except MessageInvalid as exc:
            error = _("✗ Cannot build the message: {error}").format(error=exc)
            self.query_one(RunPanel).show_verdict(error)
            return
        self._remember(self.wizard.test_recipient)
        panel = self.query_one(RunPanel)
        if verify_receipt:
            panel.send_and_verify(self.wizard.settings.copy(), message)
        else:
            panel.send(self.wizard.settings.copy(), message)

    @on(RunPanel.Finished)
    def _sent(self, event: RunPanel.Finished) -> None:
        self.last_send_ok = bool(event.result and event.result.ok and not event.cancelled)
        if self.last_send_ok:
            self.wizard.status[StepId.TEST_SEND] = StepStatus.DONE
            self._show_steps()

    def action_transcript(self) -> None:
        for panel in self.query(RunPanel):
            panel.toggle_transcript()

    def _keep_test_answers(self) -> None:
        if self.form is not None:
            answers = self.form.answers()
            self.wizard.test_recipient = str(answers.get(TEST_RECIPIENT, ""))
            self.wizard.test_kind = str(answers.get(flow.TEST_KIND, "test"))

    def _panel_running(self) -> bool:
        return any(panel.running for panel in self.query(RunPanel))

    def _remember(self, recipient: str) -> None:
        try:
            state.remember(**{state.LAST_RECIPIENT: recipient})
        except OSError as exc:
            self.notify(str(exc), severity="warning")

    # ------------------------------------------------------------ save

    @work(exclusive=True, group="flow")
    async def _save(self) -> None:
        if self.wizard.blocking():
            self.query_one("#wizard-save", Static).update(self._save_text())
            return
        try:
            result = self.wizard.save()
        except (ConfigError, flow.CannotSave) as exc:
            self.query_one("#wizard-save", Static).update(
                _("Not saved: {error}\nYour settings are still here.").format(error=exc)
            )
            return
        self.wizard.status[StepId.SAVE] = StepStatus.DONE
        app = self.mailgw
        app.session.reload()
        self.dismiss(None)
        app.after_reload()
        app.notify(_("Saved to {path}.").format(path=result.path))
