"""The password field: masked, revealed on request, kept when left empty, erased only on clear."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.widgets import Input

from mailgw.config import store
from mailgw.tui.app import MailgwApp
from mailgw.tui.widgets.field import problem_line
from mailgw.tui.widgets.toggles import Check

from .pilot_helpers import focus, press_and_finish, save_and_confirm, settled, type_into


def shown_text(app: MailgwApp) -> str:
    """What the terminal shows, as text."""
    return "\n".join(line.text for line in app.screen._compositor.render_full_update().lines)  # type: ignore[attr-defined]


async def test_empty_field_keeps_the_stored_password(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.query_one("#password-input", Input).value == ""
        assert "stored password kept" in str(app.query_one("#password-state").render())
        await type_into(pilot, "#host", "mx9.ex.io")
        await save_and_confirm(pilot)
    assert store.load(existing_config).settings.smtp.auth.password == "old-secret-1"


async def test_typed_password_is_masked_until_revealed(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "#password-input", "Zq7")
        field = app.query_one("#password-input", Input)
        assert "Zq7" not in str(field.render_line(0).text)
        await pilot.press("f3")
        await settled(pilot)
        assert "Zq7" in field.render_line(0).text
        await pilot.press("f3")
        await settled(pilot)
        assert "Zq7" not in field.render_line(0).text
        await save_and_confirm(pilot)
    assert store.load(existing_config).settings.smtp.auth.password == "Zq7"


async def test_clear_erases_the_stored_password(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus(pilot, "#password-input")
        await pilot.press("f4")
        await settled(pilot)
        assert "erased on save" in str(app.query_one("#password-state").render())
        problem = problem_line(app.query_one("#password"))
        assert "no password is set" in str(problem.render())  # login on, password gone
        app.query_one("#auth", Check).value = False
        await settled(pilot)
        await save_and_confirm(pilot)
    auth = store.load(existing_config).settings.smtp.auth
    assert (auth.enabled, auth.password) == (False, "")


async def test_pasting_into_the_password_field_works(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        field = app.query_one("#password-input", Input)
        await focus(pilot, "#password-input")
        field.post_message(events.Paste("pa$te-d"))
        await settled(pilot)
        assert field.value == "pa$te-d"
        await save_and_confirm(pilot)
    assert store.load(existing_config).settings.smtp.auth.password == "pa$te-d"


async def test_stored_password_never_reaches_the_screen(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await focus(pilot, "#password-input")
        await pilot.press("f3")  # reveal shows only what is typed, never the stored one
        await settled(pilot)
        assert "old-secret-1" not in app.export_screenshot()
        await press_and_finish(pilot, "ctrl+s", "flow")  # nothing to save: no dialog
        await press_and_finish(pilot, "f2", "flow")
        assert "old-secret-1" not in app.export_screenshot()
