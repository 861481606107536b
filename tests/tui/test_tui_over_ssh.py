"""The console over SSH: nothing written while idle, a right first paint, F6 from every widget.

The byte and time figures are benchmarks (benchmarks/tui_ssh.py, benchmarks/tui_startup.py);
these tests hold the behaviours behind them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App
from textual.widget import Widget
from textual.widgets import Footer, Input, TabbedContent, TextArea

from mailgw.tui.app import SECTIONS, MailgwApp
from mailgw.tui.sections.base import Section
from mailgw.tui.widgets.status_line import StatusLine

from .pilot_helpers import focus, settled, wait_until


def _shown(widget: Widget) -> bool:
    """Displayed, and so is everything it is in (a hidden tab, a part not needed)."""
    return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))


def _text_fields(app: App[None]) -> list[Input | TextArea]:
    found = app.screen.query("Input, TextArea")
    return [w for w in found if isinstance(w, (Input, TextArea)) and w.focusable and _shown(w)]


async def test_no_text_cursor_blinks_in_any_section(existing_config: Path) -> None:
    """A blinking cursor repaints twice a second for as long as the console is open."""
    app = MailgwApp(existing_config)
    blinking: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        for _pane in SECTIONS:
            await settled(pilot)
            for field in _text_fields(app):
                field.focus()  # not by id: "#sender-domain" is the tab as well as its field
                await wait_until(pilot, lambda f=field: f.has_focus, f"focus on {field!r}")
                await settled(pilot)  # the focus reaches the console through the screen
                if field.cursor_blink:
                    blinking.append(str(field.id))
            await pilot.press("f6")
        assert app.animation_level == "none"  # no sliding tab underline either
    assert blinking == []


async def test_no_text_cursor_blinks_in_the_wizard(config_path: Path) -> None:
    app = MailgwApp(config_path, wizard=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus(pilot, "#q-smtp-gateway")
        await pilot.press("down", "enter", "f9")
        await focus(pilot, "#q-smtp-host")
        host = app.screen.query_one("#q-smtp-host", Input)
        assert not host.cursor_blink


def _focusable_widgets(section: Section) -> list[Widget]:
    return [w for w in section.query("*") if w.focusable and _shown(w)]


@pytest.mark.parametrize(
    ("tab", "selector"), [("email-settings", "#signature"), ("dkim-check", "#dkim-message")]
)
async def test_f6_leaves_a_text_area(existing_config: Path, tab: str, selector: str) -> None:
    """Textual binds F6 in a TextArea (select the line): the console's key comes first."""
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        tabs = app.query_one(TabbedContent)
        tabs.active = tab
        await focus(pilot, selector)
        await pilot.press("f6")
        await wait_until(pilot, lambda: tabs.active != tab, f"F6 to leave {tab}")
        area = app.query_one(selector, TextArea)
        assert area.selected_text == ""  # and the line was not selected instead


async def test_f6_switches_sections_from_every_widget(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    stuck: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        tabs = app.query_one(TabbedContent)
        ids = [pane.tab_id for pane in SECTIONS]
        for index, tab in enumerate(ids):
            tabs.active = tab
            await wait_until(pilot, lambda t=tab: app.active_section() is not None, tab)
            await settled(pilot)
            section = app.active_section()
            assert section is not None
            for widget in _focusable_widgets(section):
                tabs.active = tab
                await settled(pilot)
                widget.focus()
                await wait_until(pilot, lambda w=widget: w.has_focus, f"focus on {widget!r}")
                await pilot.press("f6")
                await settled(pilot)
                if tabs.active != ids[(index + 1) % len(ids)]:
                    stuck.append(f"{tab}: {widget!r}")
    assert stuck == []


async def test_first_paint_names_the_custom_server_and_shows_its_fields(
    existing_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the first frame sent to the terminal shows: no paint says "platform gateway" or
    "unsaved" for a custom-SMTP file that was just read, and the host is already filled in."""
    painted: list[tuple[str, str]] = []
    display = App._display

    def recording(app: App[None], screen: object, renderable: object) -> None:
        if renderable is not None and isinstance(app, MailgwApp):
            status = str(app.query_one(StatusLine).render())
            hosts = app.query("#host").results(Input)
            painted.append((status, next((h.value for h in hosts), "")))
        display(app, screen, renderable)  # type: ignore[arg-type]

    monkeypatch.setattr(App, "_display", recording)
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
    assert painted, "nothing was painted"
    first_status, first_host = painted[0]
    assert "saved · custom SMTP mail.example.com:587 ·" in first_status
    assert first_host == "mail.example.com"
    assert all("custom SMTP mail.example.com:587" in status for status, _host in painted)
    assert not any("unsaved" in status for status, _host in painted)


async def test_hidden_tabs_are_filled_after_the_first_whole_frame(
    existing_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until the screen is whole (status line, SMTP pane, the keys in the footer) only the SMTP
    pane is built; then the other tabs are filled, the first frame waiting for none of them."""
    painted: list[tuple[bool, int]] = []
    display = App._display

    def recording(app: App[None], screen: object, renderable: object) -> None:
        if renderable is not None and isinstance(app, MailgwApp):
            keys = bool(app.screen.query_one(Footer).children)
            painted.append((keys, len(app.query(Section))))
        display(app, screen, renderable)  # type: ignore[arg-type]

    monkeypatch.setattr(App, "_display", recording)
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: len(app.sections()) == len(SECTIONS), "every tab")
    first_whole = next(index for index, (keys, _count) in enumerate(painted) if keys)
    assert [count for _keys, count in painted[: first_whole + 1]] == [1] * (first_whole + 1)


async def test_f6_typed_ahead_at_start_shows_the_next_tab(existing_config: Path) -> None:
    """F6 pressed before the console has settled (typed ahead over SSH): the next tab shows,
    with the cursor in its first field, and is not pulled back by the SMTP pane's focus."""
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        sender = "#from-address"
        await wait_until(pilot, lambda: bool(app.query(sender)), "the Email settings pane")
        field = app.query_one(sender, Input)
        await wait_until(pilot, lambda: field.has_focus, "the cursor in the sender address")
        await settled(pilot)
        assert app.query_one(TabbedContent).active == "email-settings"
        assert field.has_focus and field.value == "gps@example.com"
