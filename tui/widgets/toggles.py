"""Checkbox and radio button whose state shows in the glyph, not only in colour (NO_COLOR).

A label too long for its line wraps (app.tcss sets text-wrap) instead of ending in "…": Textual's
toggles are always one line high, and a cut label hides the very word that tells options apart.
"""

from __future__ import annotations

from textual.content import Content
from textual.geometry import Size
from textual.widgets import Checkbox, RadioButton


def _wrapped_height(toggle: Checkbox | RadioButton, width: int) -> int:
    """The lines the rendered toggle (button first, then the padded label) wraps to.

    From the text alone: render() also works out the toggle's styles, a few ms each time, for
    every toggle at every layout (a third of the custom-SMTP pane's first frame)."""
    button = toggle.BUTTON_LEFT + " " + toggle.BUTTON_RIGHT
    return max(1, len(Content.assemble(button, toggle.label.pad(1, 1)).wrap(width)))


class Check(Checkbox):
    """`[X]` when on, `[ ]` when off."""

    BUTTON_LEFT, BUTTON_RIGHT = "[", "]"

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "X" if self.value else " "
        return super()._button

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return _wrapped_height(self, width)


class Radio(RadioButton):
    """`(•)` when chosen, `( )` when not."""

    BUTTON_LEFT, BUTTON_RIGHT = "(", ")"

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "•" if self.value else " "
        return super()._button

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return _wrapped_height(self, width)
