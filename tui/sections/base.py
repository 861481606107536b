"""What every section is: a scrolling form with a load/read-back pair over the model."""

from __future__ import annotations

from textual.containers import VerticalScroll

from mailgw.config.model import Settings
from mailgw.config.validate import Problem
from mailgw.tui.widgets.field import Field


class Section(VerticalScroll, can_focus=False):
    """One tab of the console. Subclasses fill `load_from` and `apply_to`."""

    DEFAULT_CLASSES = "section"
    TITLE = ""

    def load_from(self, settings: Settings) -> None:
        """Put the model's values into the widgets."""

    def apply_to(self, settings: Settings) -> None:
        """Read the widgets back into the model."""

    def on_mount(self) -> None:
        if self.app.is_running:  # not when quitting mid-mount: the fields are already gone
            self.app.section_mounted(self)  # type: ignore[attr-defined]

    def focus_first(self) -> None:
        """Put the cursor in the first field, so Tab walks the form from the top."""
        first = next((w for w in self.query("*") if w.focusable), None)
        if first is not None:
            first.focus()

    def show_problems(self, problems: list[Problem]) -> None:
        for field in self.query(Field):
            field.show_problems(problems)
