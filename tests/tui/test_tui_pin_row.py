"""The SMTP section shows a pinned certificate and lets the admin clear it."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, Input

from mailgw.config import store
from mailgw.tui.app import MailgwApp
from mailgw.tui.dialogs.choice import ChoiceDialog

from .conftest import EXISTING
from .pilot_helpers import wait_until
from .test_tui_save_dialogs import dialog_text

PIN = "0F" * 32


async def test_the_pin_shows_and_clear_pin_removes_it_on_save(config_path: Path) -> None:
    config_path.write_text(
        EXISTING.replace(
            'security = "starttls"', f'security = "starttls"\ntls_fingerprint = "{PIN}"'
        )
    )
    app = MailgwApp(config_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(
            pilot, lambda: app.query_one("#tls-fingerprint", Input).value == PIN, "pin"
        )
        assert app.query_one("#pin-row").display
        app.query_one("#clear-pin", Button).press()
        await wait_until(pilot, lambda: not app.query_one("#pin-row").display, "pin row hidden")
        assert app.session.settings.smtp.tls_fingerprint == ""
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceDialog), "save dialog")
        assert "-tls_fingerprint" in dialog_text(app)  # the diff drops the pin
        await pilot.press("enter")
        await wait_until(pilot, lambda: not app.session.is_modified(), "saved")
    assert store.load(config_path).settings.smtp.tls_fingerprint == ""


async def test_no_pin_no_row(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.query_one("#host", Input).value != "", "form loaded")
        assert not app.query_one("#pin-row").display
