"""What a screen shows only in part: the check behind "readable at 80x24, usable at 60x20".

A word is cut when a one-line widget (a button, a tab, a footer key, a label that does not wrap)
is narrower than its text, when a widget sticks out past the screen's right edge, or when a table
is wider than its room (columns fall off). Text that wraps is whole, however many lines it takes.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, DataTable, Tab
from textual.widgets._footer import FooterKey


def _one_line(widget: Widget) -> bool:
    if isinstance(widget, Button | Tab | FooterKey):
        return True
    return widget.styles.text_wrap == "nowrap" and not widget.is_container


def _text(widget: Widget) -> str:
    return str(widget.render()).replace("\n", " ")[:60]


def cut_texts(screen: Screen[object]) -> list[str]:
    """Each widget on `screen` that shows only part of what it says, as "Type#id: text"."""
    right = screen.region.right
    found = []
    for widget in screen.query("*"):
        if not widget.display or not widget.region.area:
            continue
        name = f"{type(widget).__name__}#{widget.id or ''}"
        if widget.region.right > right:
            found.append(f"{name} goes past the right edge ({widget.region.right} > {right})")
        elif _one_line(widget):
            natural, room = widget.get_content_width(screen.size, screen.size), widget.content_size
            if natural > room.width:
                found.append(f"{name} is cut ({natural} > {room.width}): {_text(widget)!r}")
        if isinstance(widget, DataTable):
            if widget.virtual_size.width > widget.scrollable_content_region.width:
                found.append(f"{name}: columns fall off ({widget.virtual_size.width} wide)")
    return found
