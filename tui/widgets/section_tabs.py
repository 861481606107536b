"""The console's tabs: a focus that lands late does not pull back a tab just left."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane


class SectionTabs(TabbedContent):
    """Textual's tabbed content, but a focus from before a switch does not undo the switch.

    Textual shows the tab a widget was focused in, told by a message that climbs the tree after
    the focus. When the tab changes in between (F6 typed ahead over SSH, or at start while the
    first section takes the cursor), that message arrives after the switch and would show the
    old tab again. A focus that happened after the switch still shows its tab.
    """

    _focused_at_switch: Widget | None = None

    def watch_active(self) -> None:
        if self.is_attached:
            self._focused_at_switch = self.screen.focused

    def on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        focused = self.screen.focused
        here = focused is not None and event.tab_pane in focused.ancestors
        if not here or focused is self._focused_at_switch:
            event.prevent_default()  # from before the switch: Textual's handler is skipped
            event.stop()
