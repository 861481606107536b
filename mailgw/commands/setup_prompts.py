"""Line prompts for `mailgw setup --plain`: read a line or a password, show a default, a stage.

Nothing here needs a terminal: it works on a serial console, with TERM=dumb, and from a pipe.
"""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING

import click

from mailgw.config.validate import Problem, Severity
from mailgw.delivery import setup_flow as flow
from mailgw.delivery.setup_flow import Kind, Question
from mailgw.i18n import _

if TYPE_CHECKING:
    from mailgw.delivery.detect import PortReport
    from mailgw.delivery.results import Stage

SKIP_WORDS = frozenset({"-", "skip", "pular"})
BACK_WORDS = frozenset({"<", "back", "voltar"})


class Navigate(Exception):
    """Leave the current step: skip it, go back, or go to a chosen step."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


def say(text: str) -> None:
    click.echo(text)


def read_line(prompt: str, *, echo: bool = True) -> str:
    """One line from stdin; EOFError when it is closed (the caller saves nothing).

    From a pipe nothing echoes the answer, so it is written back (a secret only as a line end)
    to keep the transcript readable.
    """
    sys.stdout.write(prompt)
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    answer = line.rstrip("\r\n")
    if not sys.stdin.isatty():
        sys.stdout.write((answer if echo else "") + "\n")
        sys.stdout.flush()
    return answer


def read_secret(prompt: str) -> str:
    """A password without echo: getpass on a terminal, else one line never written back."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return read_line(prompt, echo=False)


def navigation(text: str) -> None:
    """Raise Navigate when `text` asks to skip the step or go back."""
    word = text.strip().lower()
    if word in SKIP_WORDS:
        raise Navigate("skip")
    if word in BACK_WORDS:
        raise Navigate("back")


def ask_yes_no(question: str, default: bool) -> bool:
    hint = _("[Y/n]") if default else _("[y/N]")
    probe = Question("", question, Kind.BOOL, default)
    while True:
        text = read_line(f"{question} {hint}: ")
        navigation(text)
        try:
            return bool(flow.parse_answer(probe, text))
        except flow.AnswerInvalid as exc:
            say("  " + _("error: {message}").format(message=exc))


def shown_default(question: Question) -> str:
    """The bracketed default of a prompt: the choice's number, Y/n, or the value."""
    default = question.default
    if question.kind == Kind.CHOICE:
        values = [choice.value for choice in question.choices]
        return f"[{values.index(default) + 1}]" if default in values else ""
    if question.kind == Kind.BOOL:
        return _("[Y/n]") if default else _("[y/N]")
    if default in ("", None):
        return ""
    return "[" + str(default).replace("\n", "\\n") + "]"


def show_problems(problems: list[Problem]) -> None:
    for problem in problems:
        if problem.severity == Severity.ERROR:
            say("  " + _("error: {message}").format(message=problem.for_command))
        else:
            say("  " + _("warning: {message}").format(message=problem.for_command))


def show_stage(stage: Stage) -> None:
    from mailgw.delivery.results import stage_label

    mark = _("ok") if stage.ok else _("FAILED")
    click.echo(f"  {mark:<7}{stage_label(stage.name):<18}{stage.ms:8.1f} ms")
    sys.stdout.flush()


def show_port(report: PortReport) -> None:
    if report.works:
        line = _("  port {port}: works with {security}").format(
            port=report.port, security=report.security
        )
        if report.certificate_valid is False:
            line += " " + _("(certificate not valid: {problem})").format(
                problem=report.certificate_problem
            )
    else:
        reason = report.message or (report.category.value if report.category else "")
        line = _("  port {port}: no ({reason})").format(port=report.port, reason=reason)
    click.echo(line)
    sys.stdout.flush()
