"""Plain Textual apps that draw what mailgw's console draws, as references for benchmarks/.

Each is written to a file and run as its own process, so that it pays Textual's start-up and
nothing of mailgw's: a ratio against it is what mailgw adds on top of Textual itself.
"""

from __future__ import annotations

from pathlib import Path

# One Input, nothing else: the smallest Textual screen.
ONE_INPUT = """
from textual.app import App, ComposeResult
from textual.widgets import Input


class Minimal(App[None]):
    def compose(self) -> ComposeResult:
        yield Input(placeholder="minimal-ready")


Minimal().run()
"""

# The console's shape with no logic: a status line, five tabs whose forms hold the kinds of
# controls mailgw's SMTP pane holds (one-line borderless fields, labels, radio buttons, a
# drop-down, a checkbox), and a footer with three keys; F6 moves to the next tab and its first
# field, as mailgw's F6 does. A tab is filled when first shown, so the first frame costs only
# what it shows. Given `--steady`, it draws as mailgw does over SSH: no animation, no blinking
# cursor.
MINIMAL_FORM = """
import sys

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import (
    Checkbox, Footer, Input, Label, RadioButton, RadioSet, Select, Static, TabbedContent,
    TabPane,
)

TABS = ("SMTP server", "Email settings", "Sender domain", "Test send", "DKIM check")


def row(label, control):
    with Horizontal(classes="row"):
        yield Label(label, classes="label")
        yield control


class Form(VerticalScroll):
    def __init__(self, tab):
        super().__init__()
        self.tab = tab

    def compose(self) -> ComposeResult:
        radios = RadioSet(RadioButton("The managed gateway"), RadioButton("Custom SMTP server"))
        yield from row("Gateway", radios)
        options = [("Custom (fill in by hand)", "custom"), ("Gmail", "gmail")]
        yield from row("Provider preset", Select(options, allow_blank=False, compact=True))
        for name in ("Host", "Port", "Username", "Password", "Sender", "Name", "Reply-To"):
            yield from row(name, Input(value=f"{name.lower()} of tab {self.tab}"))
        yield from row(" ", Checkbox("Server requires authentication"))

    def on_mount(self) -> None:
        if "--steady" in sys.argv:
            for field in self.query(Input):
                field.cursor_blink = False


class MinimalForm(App[None]):
    CSS = '''
    #status { dock: top; height: 1; background: $panel; text-style: bold; }
    TabPane { padding: 0 1; }
    .row { height: auto; margin-bottom: 1; }
    .label { width: 18; color: $text-muted; }
    Input { border: none; height: 1; padding: 0 1; width: 1fr; background: $boost; }
    RadioSet { border: none; width: 1fr; padding: 0; background: transparent; }
    Checkbox { border: none; padding: 0; background: transparent; }
    Select { width: 1fr; }
    '''
    BINDINGS = [
        Binding("f2", "noop", "Save", key_display="F2/^S"),
        Binding("f6", "next_tab", "Sections", key_display="F6"),
        Binding("f10", "quit", "Quit", key_display="F10/^Q", priority=True),
    ]

    def on_mount(self) -> None:
        if "--steady" in sys.argv:
            self.animation_level = "none"

    def compose(self) -> ComposeResult:
        yield Static(" minimal-ready · saved · custom SMTP mail.example.com:587", id="status")
        with TabbedContent(id="tabs"):
            for index, title in enumerate(TABS):
                with TabPane(title, id=f"tab-{index}"):
                    if index == 0:
                        yield Form(index)
        yield Footer()

    def action_noop(self) -> None:
        pass

    async def action_next_tab(self) -> None:
        tabs = self.query_one(TabbedContent)
        ids = [f"tab-{index}" for index in range(len(TABS))]
        tabs.active = ids[(ids.index(tabs.active) + 1) % len(ids)]
        pane = self.query_one(f"#{tabs.active}", TabPane)
        if not pane.query(Form):
            await pane.mount(Form(ids.index(tabs.active)))
        pane.query_one(Input).focus()


MinimalForm().run()
"""


def write(folder: Path, name: str, source: str) -> Path:
    """The app's source as a script in `folder`, to run with the benchmark's interpreter."""
    path = folder / f"{name}.py"
    path.write_text(source)
    return path
