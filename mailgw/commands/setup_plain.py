"""The first-run wizard as plain line prompts (`mailgw setup --plain`).

The plain front works on any terminal (TERM=dumb, a serial console, a pipe): it prints, reads a
line, and re-asks until the answer is valid. The steps, their questions and their validation
live in `mailgw.delivery.setup_flow`, shared with the TUI wizard.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from mailgw.commands.setup_prompts import (
    Navigate,
    ask_yes_no,
    navigation,
    read_line,
    read_secret,
    say,
    show_port,
    show_problems,
    show_stage,
    shown_default,
)
from mailgw.config.validate import Problem, Severity, errors
from mailgw.delivery import setup_flow as flow
from mailgw.delivery.setup_flow import DETECT, Kind, Question, Step, StepId, StepStatus
from mailgw.delivery.setup_wizard import Wizard
from mailgw.i18n import _, ngettext

if TYPE_CHECKING:
    from mailgw.delivery.detect import Candidate, DetectReport
    from mailgw.delivery.results import SendResult

DETECT_TIMEOUT = 10.0  # seconds per port; the ports are probed at once


class PlainSetup:
    """The wizard as line prompts on stdin/stdout."""

    def __init__(self, wizard: Wizard, detect_candidates: list[Candidate]) -> None:
        self.wizard = wizard
        self.detect_candidates = detect_candidates
        self.finished = False

    def run(self) -> None:
        say(_("mailgw setup: how the platform's email leaves."))
        say(_("Config file: {path}").format(path=self.wizard.loaded.path))
        say(
            _(
                "Enter keeps the [default]; '-' skips a step, '<' goes back a step; "
                "Ctrl+C quits without saving."
            )
        )
        while not self.finished:
            self._run_current()

    def _run_current(self) -> None:
        wizard = self.wizard
        number, total = wizard.number()
        say("")
        say(
            _("== Step {number} of {total}: {title} ==").format(
                number=number, total=total, title=wizard.current.title
            )
        )
        say(wizard.current.help)
        try:
            handler = {
                StepId.TEST_SEND: self._test_send,
                StepId.REVIEW: self._review,
                StepId.SAVE: self._save,
            }.get(wizard.current.id, self._questions)
            handler(wizard.current)
        except Navigate as nav:
            self._navigate(nav.where)

    def _navigate(self, where: str) -> None:
        if where == "skip":
            if self.wizard.current.id == StepId.SAVE:
                say(_("Nothing was saved."))
                self.finished = True
                return
            self.wizard.skip()
        elif where == "back":
            if not self.wizard.back():
                say(_("This is the first step."))
        else:
            self.wizard.go(where)

    # ------------------------------------------------------------ question steps

    def _questions(self, step: Step) -> None:
        answers: dict[str, Any] = {}
        while (question := flow.next_question(step, self.wizard.settings, answers)) is not None:
            answers[question.name] = self._ask(step, question, answers)
            if question.action == DETECT and answers[question.name]:
                self._offer_detect(answers[question.name], answers)
        problems = self.wizard.apply(answers)
        show_problems(problems)
        if not errors(problems):
            self.wizard.forward()

    def _ask(self, step: Step, question: Question, answers: dict[str, Any]) -> Any:
        if question.help:
            say(f"  ({question.help})")
        for index, choice in enumerate(question.choices, 1):
            say(f"  {index}) {choice.label}")
        while True:
            if question.kind == Kind.SECRET:
                value = self._ask_secret(question)
            else:
                default = shown_default(question)
                text = read_line(f"{question.label}{' ' + default if default else ''}: ")
                navigation(text)
                try:
                    value = flow.parse_answer(question, text)
                except flow.AnswerInvalid as exc:
                    say("  " + _("error: {message}").format(message=exc))
                    continue
            problems = flow.check_answer(step, question.name, value, self.wizard.settings, answers)
            show_problems(problems)
            if not errors(problems):
                return value

    def _ask_secret(self, question: Question) -> str | None:
        keep = _(" (Enter keeps the current one)") if question.has_current else ""
        while True:
            first = read_secret(f"{question.label}{keep}: ")
            if first == "" and question.has_current:
                return None
            if first in ("-", "<"):  # only the symbols: a password may well be "back"
                navigation(first)
            if first == "":
                return ""  # judged by check_answer: a login needs a password
            if read_secret(_("Type the password again: ")) == first:
                return first
            say("  " + _("error: the two passwords differ; type it again"))

    def _offer_detect(self, host: str, answers: dict[str, Any]) -> None:
        if not ask_yes_no(_("Detect the port and security of {host} now?").format(host=host), True):
            return
        report = self._detect(host)
        best = report.recommended
        if best is None:
            say(report.nothing_works())
            return
        from mailgw.delivery.detect import downgrade_risk, is_downgrade

        configured = answers.get("smtp.security", self.wizard.settings.smtp.security)
        if is_downgrade(configured, best.security):  # asked with the risk, and no by default
            say(_("warning: {risk}").format(risk=downgrade_risk(best.port, configured)))
            offer = _("Send mail in clear on port {port} anyway?")
            if ask_yes_no(offer.format(port=best.port), False):
                answers.update(flow.detected_answers(best.port, best.security))
            return
        offer = _("Recommended: port {port} with {security}. Use it?")
        if ask_yes_no(offer.format(port=best.port, security=best.security), True):
            answers.update(flow.detected_answers(best.port, best.security))

    def _detect(self, host: str) -> DetectReport:
        from mailgw.delivery.detect import detect
        from mailgw.delivery.target import helo_name

        count = len(self.detect_candidates)
        probing = ngettext(
            "Probing {count} port of {host}...", "Probing {count} ports of {host}...", count
        )
        say(probing.format(count=count, host=host))
        report = asyncio.run(
            detect(
                host,
                candidates=self.detect_candidates,
                timeout=DETECT_TIMEOUT,
                helo_name=helo_name(self.wizard.settings),
                on_result=show_port,
            )
        )
        return report

    # ------------------------------------------------------------ test send

    def _test_send(self, step: Step) -> None:
        self._questions_only(step)
        while True:
            result = self._send()
            if result is not None and result.ok:
                self.wizard.complete()
                return
            if result is not None:  # None: the message could not be built, as _send said
                say(_("Fix: {fix}").format(fix=result.shell_fix()))
            self._ask_retry()  # a send that did not happen is not done: retry, skip or go back

    def _ask_retry(self) -> None:
        """Return to send again; skipping or going back leaves the step (Navigate)."""
        prompt = _(
            "Retry (r), skip the test send (-), or go back to change the settings (<)? [r]: "
        )
        while True:
            choice = read_line(prompt).strip().lower()
            navigation(choice)
            if choice in ("", "r"):
                return
            say("  " + _("error: answer r, - or <"))

    def _questions_only(self, step: Step) -> None:
        answers: dict[str, Any] = {}
        while (question := flow.next_question(step, self.wizard.settings, answers)) is not None:
            answers[question.name] = self._ask(step, question, answers)
        self.wizard.apply(answers)

    def _send(self) -> SendResult | None:
        from mailgw.delivery import smtp
        from mailgw.delivery.errors import MessageInvalid
        from mailgw.delivery.results import stage_label

        wizard = self.wizard
        try:
            message = wizard.test_message()
        except MessageInvalid as exc:
            say("  " + _("error: {message}").format(message=exc))
            return None
        say(_("Sending to {to}...").format(to=wizard.test_recipient))
        result = asyncio.run(smtp.send(wizard.settings, message, on_stage=show_stage))
        for warning in result.warnings:
            say("  " + _("warning: {message}").format(message=warning))
        if result.ok:
            say(_("Test message accepted: {message}").format(message=result.message))
        else:
            category = result.category.value if result.category else "failed"
            say(
                _("Failed at {stage} [{category}]: {message}").format(
                    stage=stage_label(result.stage), category=category, message=result.message
                )
            )
        return result

    # ------------------------------------------------------------ review and save

    def _review(self, step: Step) -> None:
        self._show_steps()
        diff = self.wizard.diff()
        say(diff.rstrip("\n") if diff else _("No changes: the file would stay as it is."))
        problems = self.wizard.problems()
        for problem in problems:
            say(self._problem_line(problem))
        self._choose_step(_("Press Enter to continue, or type a step number to change it: "))
        self.wizard.complete()

    def _show_steps(self) -> None:
        """The numbered steps and their state, so a number can be typed to revisit one."""
        words = {
            StepStatus.DONE: _("done"),
            StepStatus.SKIPPED: _("skipped"),
            StepStatus.PENDING: _("not answered"),
        }
        statuses = self.wizard.statuses()
        for number, each in enumerate(self.wizard.active(), 1):
            if each.id in (StepId.REVIEW, StepId.SAVE):
                continue
            say(f"  {number}) {each.title}: {words[statuses[each.id]]}")

    def _problem_line(self, problem: Problem) -> str:
        word = _("error") if problem.severity == Severity.ERROR else _("warning")
        owner = flow.step_for_key(problem.key)
        where = ""
        if owner is not None and flow.applies(owner, self.wizard.settings):
            number, _total = self.wizard.number(owner)
            where = " " + _("(step {number}: {title})").format(number=number, title=owner.title)
        return f"  {word}: {problem.key}: {problem.for_command}{where}"

    def _choose_step(self, prompt: str) -> None:
        active = self.wizard.active()
        while True:
            text = read_line(prompt).strip()
            navigation(text)
            if not text:
                return
            if text.isdigit() and 1 <= int(text) <= len(active):
                raise Navigate(active[int(text) - 1].id.value)
            say("  " + _("error: type a number from 1 to {count}").format(count=len(active)))

    def _save(self, step: Step) -> None:
        wizard = self.wizard
        if wizard.blocking():
            say(_("Cannot save yet: fix the errors shown in the review."))
            self._choose_step(_("Type the number of the step to fix ('<' goes back): "))
            raise Navigate("back")
        if not wizard.changed():
            say(_("Nothing to save: the file already holds these settings."))
            self.finished = True
            return
        path = wizard.loaded.path
        if not ask_yes_no(_("Save these settings to {path}?").format(path=path), False):
            say(_("Nothing was saved."))
            self.finished = True
            return
        result = wizard.save()
        say(_("Saved to {path}.").format(path=result.path))
        if result.backup:
            say(_("The previous file was kept as {backup}.").format(backup=result.backup))
        say(_("Check it any time with: mailgw check"))
        self.finished = True
