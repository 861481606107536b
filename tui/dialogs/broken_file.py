"""The read-only view of a config file that is not valid TOML."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from mailgw.config.errors import InvalidConfigFile
from mailgw.tui.session import error_excerpt

STARTING_OVER = (
    "mailgw will not write over this file. Fix it by hand and press R to read it again, restore "
    "a backup (`mailgw backups`, `mailgw restore`), or press D to start from defaults: the "
    "broken file is backed up first and is only replaced when you save."
)


class BrokenFileScreen(Screen[str]):
    """Shows the parse error with line and column; returns "defaults", "reload" or "quit"."""

    BINDINGS = [
        Binding("r", "choose('reload')", "Read again", id="broken.reload"),
        Binding("d", "choose('defaults')", "Start from defaults", id="broken.defaults"),
        Binding("q", "choose('quit')", "Quit", show=False, id="broken.quit"),
    ]

    def __init__(self, error: InvalidConfigFile) -> None:
        super().__init__()
        self.error = error

    def compose(self) -> ComposeResult:
        error = self.error
        where = f"line {error.line}, column {error.col}" if error.line is not None else "the file"
        with VerticalScroll(id="broken"):
            yield Static(
                f"READ-ONLY: {error.path} is not valid TOML", id="broken-title", markup=False
            )
            yield Static(f"Error at {where}: {error.reason}", id="broken-error", markup=False)
            yield Static(error_excerpt(error.path, error.line), id="broken-excerpt", markup=False)
            yield Static(STARTING_OVER, id="broken-help", markup=False)
        yield Footer()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
