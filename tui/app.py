"""The Textual app (placeholder until the TUI issue lands)."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class MailgwApp(App[None]):
    """mailgw's full-screen console."""

    TITLE = "mailgw"
    BINDINGS = [("q", "quit", "Quit")]

    def __init__(self, config_path: Path) -> None:
        super().__init__()
        self.config_path = config_path

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Config: {self.config_path}\n\nThe full console is on its way.")
        yield Footer()


def run(config_path: Path) -> None:
    MailgwApp(config_path).run()
