"""A form field: a control with its validation message under it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from mailgw.config.validate import Problem, Severity
from mailgw.i18n import _


class Field(Vertical):
    """A label, its control on the same line, and the problems of the key it edits under them.

    Borderless one-line controls: a keystroke repaints one line, not a three-line box (bytes
    over a slow SSH link; see benchmarks/tui_startup.py), and more fits in 80x24.
    """

    DEFAULT_CLASSES = "field"

    def __init__(
        self,
        key: str,
        control: Widget,
        *,
        label: str = "",
        id: str | None = None,
        select_on_focus: bool = False,
    ):
        super().__init__(id=id)
        self.key = key
        self.control = control
        if isinstance(control, Input) and not select_on_focus:
            # Selecting the text on every focus (a Tab back, a dialog closing) made the next
            # keystroke replace what was typed: `3587` became `87`. Keys edit; End, Ctrl+U clear.
            control.select_on_focus = False
        self.label = label
        self._shown = ""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            if self.label:
                yield Label(self.label, classes="field-label", markup=False)
            yield self.control
        yield Static("", classes="problem", markup=False)

    def show_problems(self, problems: list[Problem]) -> None:
        """Show this key's problems (errors first) or nothing."""
        lines = self.query(".problem")
        if not lines:  # still being composed (fields mounted after the first frame): the
            return  # refresh their mount schedules shows the problems
        message = lines.first(Static)
        mine = [p for p in problems if p.key == self.key]
        text = "\n".join(_line(p) for p in mine)
        if text != self._shown:  # repaint only what changed: every byte crosses the SSH link
            self._shown = text
            message.update(text)
        message.display = bool(mine)
        message.set_class(any(p.severity == Severity.ERROR for p in mine), "-error")
        self.set_class(bool(mine), "-has-problem")


def _line(problem: Problem) -> str:
    mark = _("✗ Error:") if problem.severity == Severity.ERROR else _("! Warning:")
    return f"{mark} {problem.message}"


def problem_line(control: Widget) -> Static:
    """The problem line of the field `control` belongs to."""
    field = next(node for node in control.ancestors if isinstance(node, Field))
    return field.query_one(".problem", Static)


def example(value: str) -> str:
    """A placeholder that cannot pass for a value, even without colour: "e.g. …"."""
    return _("e.g. {example}").format(example=value)
