"""What a person types stays typed: a focus change or a closed dialog never eats digits."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from mailgw.tui.app import MailgwApp
from mailgw.tui.dialogs.choice import ChoiceDialog

from .pilot_helpers import type_into, wait_until


async def test_port_digits_survive_a_closed_dialog(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        port = app.query_one("#port", Input)
        await type_into(pilot, "#port", "35")
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceDialog), "save dialog")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.focused is port, "focus back on the port")
        await pilot.press("8", "7")
        await wait_until(pilot, lambda: app.session.settings.smtp.port == 3587, "port 3587")
        assert port.value == "3587"


async def test_port_digits_survive_a_focus_change(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        port = app.query_one("#port", Input)
        await type_into(pilot, "#port", "35")
        await pilot.press("shift+tab")
        await wait_until(pilot, lambda: app.focused is not port, "focus left the port")
        await pilot.press("tab")
        await wait_until(pilot, lambda: app.focused is port, "focus back on the port")
        await pilot.press("8", "7")
        await wait_until(pilot, lambda: app.session.settings.smtp.port == 3587, "port 3587")
        assert port.value == "3587"


async def test_a_late_change_message_never_undoes_later_keystrokes(existing_config: Path) -> None:
    """A busy machine delivers an Input.Changed after later keys: the field keeps all of them."""
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        host = app.query_one("#host", Input)
        await wait_until(pilot, lambda: host.value == "mail.example.com", "form loaded")
        with host.prevent(Input.Changed):
            host.value = "mx7.ex"  # typed; its own Changed not yet handled...
        host.post_message(Input.Changed(host, "mx7.e"))  # ...while an older one arrives
        await wait_until(pilot, lambda: app.session.settings.smtp.host != "mail.example.com", "")
        assert app.session.settings.smtp.host == "mx7.ex"
        assert host.value == "mx7.ex"
