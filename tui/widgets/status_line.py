"""The line at the top: which file, which gateway, and whether there are unsaved changes."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from mailgw.config.printable import printable
from mailgw.i18n import _


class StatusLine(Static):
    """`mailgw · ● unsaved · GATEWAY · PATH` (the state first: a long path is what gets cut)."""

    path: reactive[str] = reactive("")
    gateway: reactive[str] = reactive("")
    modified: reactive[bool] = reactive(False)
    read_only: reactive[bool] = reactive(False)

    def render(self) -> Content:
        state = (
            _("read-only") if self.read_only else (_("● unsaved") if self.modified else _("saved"))
        )
        parts = ("mailgw", state, self.gateway, self.path)
        # no separator before nothing; outside text (a path) is never markup or a control code
        return Content(printable(" " + " · ".join(part for part in parts if part)))
