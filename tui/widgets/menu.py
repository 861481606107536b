"""A drop-down whose open list names its key in the current language, not "Dismiss menu"."""

from __future__ import annotations

from textual.widgets import Select

from mailgw.i18n import N_
from mailgw.tui.bindings import translate_bindings

DISMISS_MENU = N_("Dismiss menu")  # the description of Textual's SelectOverlay escape binding


class Menu(Select[str]):
    """Select, with the footer's words of its open list translated."""

    def on_mount(self) -> None:
        translate_bindings(self.query_one("SelectOverlay"))
