"""What every section is: a scrolling form whose fields are bound to the editing layer."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.containers import VerticalScroll
from textual.widget import Widget

from mailgw.config.model import Settings
from mailgw.config.validate import Problem
from mailgw.tui import field_binding
from mailgw.tui.widgets.field import Field

if TYPE_CHECKING:
    from mailgw.tui.app import MailgwApp


class Section(VerticalScroll, can_focus=False):
    """One tab of the console. Subclasses compose bound Fields and fill `model_shown`."""

    DEFAULT_CLASSES = "section"

    @property
    def console(self) -> MailgwApp:
        """The console this section is part of, typed."""
        return cast("MailgwApp", self.app)

    def on_mount(self) -> None:
        if self.app.is_running:  # not when quitting mid-mount: the fields are already gone
            self.console.section_mounted(self)

    def show_model(self, *, fresh: bool = False) -> None:
        """Show the session's settings in every bound field."""
        session = self.console.session
        for field in self.query(Field):
            if field_binding.bound_field(field) is field:
                field_binding.show(session, field, fresh=fresh)
        self.model_shown(session.settings)

    def model_shown(self, settings: Settings) -> None:
        """What follows the settings besides the fields: which parts show, notes, previews."""

    def focus_first(self) -> None:
        """Put the cursor in the first field, so Tab walks the form from the top.

        Only while this section is shown when the focus lands (a widget's focus() lands after
        the queued messages): an F6 typed ahead over SSH has moved on, and focusing a field of
        a tab no longer shown would make the tab shown again."""
        first = next((w for w in self.query("*") if w.focusable), None)
        if first is not None:
            self.call_later(self._focus_if_shown, first)

    def _focus_if_shown(self, field: Widget) -> None:
        if self.console.active_section() is self and field.is_attached:
            self.screen.set_focus(field)

    def show_problems(self, problems: list[Problem]) -> None:
        for field in self.query(Field):
            field.show_problems(problems)
