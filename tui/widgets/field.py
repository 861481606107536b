"""A form field: a control with its validation message under it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from mailgw.config.validate import Problem, Severity


class Field(Vertical):
    """Wraps one control; shows the problems of the config key it edits, under it."""

    DEFAULT_CLASSES = "field"

    def __init__(self, key: str, control: Widget, *, label: str = "", id: str | None = None):
        super().__init__(id=id)
        self.key = key
        self.control = control
        if label:
            control.border_title = label

    def compose(self) -> ComposeResult:
        yield self.control
        yield Static("", classes="problem", markup=False)

    def show_problems(self, problems: list[Problem]) -> None:
        """Show this key's problems (errors first) or nothing."""
        message = self.query_one(".problem", Static)
        mine = [p for p in problems if p.key == self.key]
        message.update("\n".join(_line(p) for p in mine))
        message.display = bool(mine)
        message.set_class(any(p.severity == Severity.ERROR for p in mine), "-error")
        self.set_class(bool(mine), "-has-problem")


def _line(problem: Problem) -> str:
    mark = "✗ Error:" if problem.severity == Severity.ERROR else "! Warning:"
    return f"{mark} {problem.message}"
