"""Driving the console like a person, and waiting for what the app proves, never for a count.

Every wait here polls a condition with a generous deadline: on a loaded machine the app only
gets slower, and a test waits for it as long as it stays within WAIT, then fails saying what it
waited for. No test pauses a fixed number of times (tests/test_lint.py keeps it so).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import Worker

WAIT = 30.0  # seconds at most for any condition; a hang fails the test, a slow machine passes
POLL = 0.02  # seconds between looks at the condition


async def wait_until(
    pilot: Pilot[None], condition: Callable[[], object], what: str, timeout: float = WAIT
) -> None:
    """Let the app run until `condition()` holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await pilot.pause(POLL)


def quiet(app: App[None]) -> bool:
    """Nothing left to do: every widget mounted, every queue empty, nothing due after a refresh.

    A key, an edit or a mount is handled through messages (each hop waits in some queue),
    callbacks run after the next refresh (the screen's list) and the console's one validation
    pass per frame (`_state_refresh_pending`): while any of them is left, the app is not quiet.
    """
    if getattr(app, "_state_refresh_pending", False) or app._next_callbacks:
        return False
    if not app._message_queue.empty():
        return False
    for screen in app.screen_stack:
        if screen._callbacks:
            return False
        for node in screen.walk_children(with_self=True):
            if not node.is_mounted or node._next_callbacks or not node._message_queue.empty():
                return False
    return True


async def settled(pilot: Pilot[None], timeout: float = WAIT) -> None:
    """Wait until the app has handled everything asked of it so far (see `quiet`).

    Quiet twice in a row, a poll apart: a handler resumed by a finished mount runs before the
    second look (asyncio runs ready callbacks first), and anything it starts is seen there.
    """
    looks: list[bool] = []

    def quiet_twice() -> bool:
        looks.append(quiet(pilot.app))
        return looks[-2:] == [True, True]

    await wait_until(pilot, quiet_twice, "the app to handle its events", timeout)


def workers_done(app: App[None], group: str | None = None) -> bool:
    """No worker (of `group`, when given) is pending or running."""
    return not any(
        not worker.is_finished and (group is None or worker.group == group)
        for worker in app.workers
    )


@contextmanager
def started_workers(app: App[None]) -> Iterator[list[Worker[object]]]:
    """The workers started inside the block (a finished one leaves the app's list at once)."""
    manager = app.workers
    started: list[Worker[object]] = []
    add_worker = manager.add_worker

    def recording(worker: Worker[object], start: bool = True, exclusive: bool = True) -> None:
        started.append(worker)
        add_worker(worker, start, exclusive)

    manager.add_worker = recording  # type: ignore[method-assign]
    try:
        yield started
    finally:
        del manager.add_worker


async def press_and_finish(pilot: Pilot[None], key: str, group: str) -> None:
    """Press `key`, which starts a worker of `group`; wait until that worker has ended."""
    with started_workers(pilot.app) as started:
        await pilot.press(key)
        await wait_until(
            pilot, lambda: any(w.group == group for w in started), f"{key!r} to start {group}"
        )
    ours = [w for w in started if w.group == group]
    await wait_until(pilot, lambda: all(w.is_finished for w in ours), f"the {group} work to end")
    await settled(pilot)


async def focus(pilot: Pilot[None], selector: str) -> None:
    """Focus the widget at `selector` on the screen shown, once it is there; wait until it is."""
    await wait_until(pilot, lambda: bool(pilot.app.screen.query(selector)), selector)
    widget = pilot.app.screen.query_one(selector)

    def focused() -> bool:
        if not widget.has_focus:
            widget.focus()  # again: a tab just shown may not have let it take the focus yet
        return widget.has_focus

    await wait_until(pilot, focused, f"the focus on {selector}")
    await settled(pilot)  # an Input selects its text after the refresh that follows the focus


async def type_into(pilot: Pilot[None], selector: str, text: str) -> None:
    """Replace the text of the Input at `selector` by typing, as a person would."""
    await focus(pilot, selector)
    field = pilot.app.screen.query_one(selector, Input)
    await pilot.press("end", "ctrl+u", *text)
    await wait_until(pilot, lambda: field.value == text, f"{selector} to hold {text!r}")
    await settled(pilot)


def dialog_shown(app: App[None]) -> bool:
    """A ChoiceDialog is on top and ready for keys."""
    from mailgw.tui.dialogs.choice import ChoiceDialog

    return isinstance(app.screen, ChoiceDialog) and app.screen.is_mounted


async def wait_for_dialog(pilot: Pilot[None], what: str = "a dialog") -> None:
    """Until a dialog is on top, mounted and everything around it handled."""
    await wait_until(pilot, lambda: dialog_shown(pilot.app), what)
    await settled(pilot)


async def answer_dialog(pilot: Pilot[None], key: str) -> None:
    """Press `key` in the dialog (or screen) on top; wait for it to close and the flow behind
    it to end or ask again."""
    app = pilot.app
    dialog = app.screen
    await pilot.press(key)

    def answered() -> bool:
        gone = app.screen is not dialog
        return gone and (dialog_shown(app) or workers_done(app, "flow"))

    await wait_until(pilot, answered, f"the answer {key!r} to be handled")
    await settled(pilot)


async def press_for_dialog(pilot: Pilot[None], key: str) -> None:
    """Press `key` (Ctrl+S, F10…) and wait for the dialog it opens."""
    await pilot.press(key)
    await wait_for_dialog(pilot, f"the dialog of {key!r}")


async def save_and_confirm(pilot: Pilot[None]) -> None:
    """Ctrl+S, then Enter on the diff dialog; the save and whatever it shows next are done."""
    await press_for_dialog(pilot, "ctrl+s")
    await answer_dialog(pilot, "enter")


async def settle(pilot: Pilot[None]) -> None:
    """Let running flows (they wait in workers) finish, then the screen catch up."""
    await wait_until(pilot, lambda: workers_done(pilot.app), "the running flows to end")
    if pilot.app.is_running:
        await settled(pilot)


async def edit_host_and_save(pilot: Pilot[None]) -> None:
    """Change the host and ask to save: the save dialog with its diff is on screen."""
    await type_into(pilot, "#host", "mx9.ex.io")
    await press_for_dialog(pilot, "ctrl+s")
