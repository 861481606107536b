"""The records as plain zone-file lines, full screen and without borders: select and copy."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from mailgw.i18n import N_, _
from mailgw.tui.bindings import translate_bindings


class ZoneLinesScreen(ModalScreen[None]):
    """Nothing on screen but the lines and one hint: a terminal selection copies them cleanly."""

    DEFAULT_CLASSES = "zone-lines"
    BINDINGS = [
        Binding("escape,q,f7", "dismiss", N_("Close"), key_display="Esc", id="zone.close"),
        Binding("c", "copy", N_("Copy all"), key_display="C", id="zone.copy"),
    ]

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        translate_bindings(self)
        self.lines = lines

    def compose(self) -> ComposeResult:
        yield Static(
            _("Esc close · C copies all (OSC 52) · or select with the mouse (Shift+drag)"),
            id="zone-lines-hint",
            markup=False,
        )
        text = TextArea(
            "\n".join(self.lines) + "\n",
            read_only=True,
            soft_wrap=False,
            show_line_numbers=False,
            show_cursor=False,
            highlight_cursor_line=False,
            id="zone-lines-text",
        )
        yield text

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard("\n".join(self.lines) + "\n")
        self.notify(_("Copied {n} lines to the clipboard.").format(n=len(self.lines)))
