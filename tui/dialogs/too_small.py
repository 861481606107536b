"""Shown over everything while the terminal is smaller than the screens are laid out for."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.widgets import Static

from mailgw.i18n import _

# Every screen and dialog is laid out (and its snapshots checked for cut words) at 80x24.
MIN_SIZE = Size(80, 24)


def too_small(size: Size) -> bool:
    return size.width < MIN_SIZE.width or size.height < MIN_SIZE.height


class TooSmallScreen(ModalScreen[None]):
    """A clear request instead of a screen with words cut off; it leaves once there is room."""

    def compose(self) -> ComposeResult:
        yield Static("", id="too-small", markup=False)

    def show(self, size: Size) -> None:
        text = _(
            "Make the terminal at least {min_width}×{min_height} (it is {width}×{height} now): "
            "mailgw's screens are laid out for that size. F10 or Ctrl+Q quits."
        )
        self.query_one("#too-small", Static).update(
            text.format(
                min_width=MIN_SIZE.width,
                min_height=MIN_SIZE.height,
                width=size.width,
                height=size.height,
            )
        )
