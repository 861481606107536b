"""Driving the console like a person: focus a field, clear it, type."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input


async def type_into(pilot: Pilot[None], selector: str, text: str) -> None:
    """Replace the text of the Input at `selector` by typing, as a person would."""
    field = pilot.app.query_one(selector, Input)
    field.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u", *text)
    await pilot.pause()


async def save_and_confirm(pilot: Pilot[None]) -> None:
    """Ctrl+S, then Enter on the diff dialog."""
    await pilot.press("ctrl+s")
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def settle(pilot: Pilot[None]) -> None:
    """Let running flows (they wait in workers) finish, then the screen catch up."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def edit_host_and_save(pilot: Pilot[None]) -> None:
    """Change the host and ask to save: the save dialog with its diff is on screen."""
    await type_into(pilot, "#host", "mx9.ex.io")
    await pilot.press("ctrl+s")
    await pilot.pause()
