"""Checkbox and radio button whose state shows in the glyph, not only in colour (NO_COLOR)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox, RadioButton


class Check(Checkbox):
    """`[X]` when on, `[ ]` when off."""

    BUTTON_LEFT, BUTTON_RIGHT = "[", "]"

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "X" if self.value else " "
        return super()._button


class Radio(RadioButton):
    """`(•)` when chosen, `( )` when not."""

    BUTTON_LEFT, BUTTON_RIGHT = "(", ")"

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "•" if self.value else " "
        return super()._button
