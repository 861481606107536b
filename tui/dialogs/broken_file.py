"""The read-only view of a config file that is not valid TOML."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from mailgw.config.errors import InvalidConfigFile
from mailgw.config.printable import printable
from mailgw.i18n import N_, _
from mailgw.tui.bindings import translate_bindings
from mailgw.tui.file_excerpt import error_excerpt
from mailgw.tui.widgets.footer import KeysFooter

STARTING_OVER = N_(
    "mailgw will not write over this file. Fix it by hand and press R to "
    "read it again, restore a backup (`mailgw backups`, `mailgw "
    "restore`), or press D to start from defaults: the broken file is "
    "backed up first and is only replaced when you save."
)


class BrokenFileScreen(Screen[str]):
    """Shows the parse error with line and column; returns "defaults", "reload" or "quit"."""

    BINDINGS = [
        Binding("r", "choose('reload')", N_("Read again"), id="broken.reload"),
        Binding("d", "choose('defaults')", N_("Start from defaults"), id="broken.defaults"),
        Binding("q", "choose('quit')", N_("Quit"), show=False, id="broken.quit"),
    ]

    def __init__(self, error: InvalidConfigFile) -> None:
        super().__init__()
        self.error = error
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        error = self.error
        if error.line is not None:
            message = _("Error at line {line}, column {col}: {reason}")
        else:
            message = _("Error in the file: {reason}")
        with VerticalScroll(id="broken"):
            yield Static(
                printable(_("READ-ONLY: {path} is not valid TOML").format(path=error.path)),
                id="broken-title",
                markup=False,
            )
            yield Static(
                printable(message.format(line=error.line, col=error.col, reason=error.reason)),
                id="broken-error",
                markup=False,
            )
            yield Static(error_excerpt(error.path, error.line), id="broken-excerpt", markup=False)
            yield Static(_(STARTING_OVER), id="broken-help", markup=False)
        yield KeysFooter()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
