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
        gateway = f"{self.gateway} · " if self.gateway else ""
        return Content(printable(f" mailgw · {state} · {gateway}{self.path}"))  # never markup
