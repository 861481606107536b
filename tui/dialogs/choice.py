"""One dialog for every question the console asks: what happened, and the sensible choices."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from mailgw.config.printable import printable
from mailgw.i18n import N_, _


@dataclass(frozen=True)
class Choice:
    """A button, the key that presses it, and the value the dialog returns."""

    value: str
    label: str
    key: str


CANCEL = Choice("cancel", N_("Cancel"), "escape")


class ChoiceDialog(ModalScreen[str]):
    """Title, an explanation (scrolls when long, e.g. a diff), and buttons with keys."""

    DEFAULT_CLASSES = "choice-dialog"

    def __init__(self, title: str, body: str, choices: list[Choice], *, detail: str = "") -> None:
        super().__init__()
        # a certificate's names or a server's reply may be in them: never a control code
        self.title_text = printable(title)
        self.body = printable(body)
        self.detail = printable(detail)
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text, id="dialog-title", markup=False)
            yield Static(self.body, id="dialog-body", markup=False)
            if self.detail:
                with VerticalScroll(id="dialog-detail"):
                    yield Static(self.detail, markup=False)
            with Horizontal(id="dialog-buttons"):
                for choice in self.choices:
                    label = f"{_(choice.label)} ({_key_name(choice.key)})"
                    yield Button(label, id=choice.value)

    def on_mount(self) -> None:
        self.query_one("#dialog-buttons Button").focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id or CANCEL.value)

    def on_key(self, event: events.Key) -> None:
        for choice in self.choices:
            if event.key == choice.key:
                event.stop()
                self.dismiss(choice.value)
                return
        if event.key == "escape":
            event.stop()
            self.dismiss(CANCEL.value)


def _key_name(key: str) -> str:
    return {"escape": "Esc", "enter": "Enter"}.get(key, key.upper() if len(key) == 1 else key)
