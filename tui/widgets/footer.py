"""Textual's footer, rebuilt once per frame however often the keys change."""

from __future__ import annotations

from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    """The keys of the screen, recomposed at most once per frame.

    Textual's footer recomposes after the next frame for every change of the keys, and at start
    they change four or five times before the footer is first drawn (a focus, each section
    mounted, the bindings refreshed): each recompose mounts every key again (~10 ms), all
    before the first complete frame (benchmarks/tui_startup.py).
    """

    class KeysShown(Message):
        """The keys are in the footer, to be drawn with the next frame: the screen is whole."""

    _recompose_pending = False
    _keys_told = False

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or self._recompose_pending:
            return
        if self.is_attached and screen is self.screen:
            self._recompose_pending = True
            self.call_after_refresh(self._recompose_once)

    async def _recompose_once(self) -> None:
        self._recompose_pending = False
        await self.recompose()
        if not self._keys_told:
            self._keys_told = True
            self.post_message(self.KeysShown())
