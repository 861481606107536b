"""Below 80x24 a clear request instead of cut words; back at 80x24 the screen is whole again."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgw.tui.app import MailgwApp
from mailgw.tui.dialogs.too_small import TooSmallScreen
from mailgw.tui.wizard import WizardScreen

from .layout import cut_texts
from .pilot_helpers import settled, wait_until

REQUEST = {"C.UTF-8": "Make the terminal at least 80×24", "pt_BR.UTF-8": "pelo menos 80×24"}


def _request(app: MailgwApp) -> str:
    return str(app.screen.query_one("#too-small").render())


@pytest.mark.parametrize("wizard", [False, True], ids=["console", "wizard"])
async def test_a_small_terminal_gets_a_request_then_the_whole_screen(
    existing_config: Path, language: str, wizard: bool
) -> None:
    app = MailgwApp(existing_config, wizard=wizard)
    async with app.run_test(size=(60, 20)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, TooSmallScreen), "the request")
        await settled(pilot)
        assert REQUEST[language] in _request(app) and "60×20" in _request(app)
        assert cut_texts(app.screen) == []
        await pilot.resize_terminal(70, 20)
        await wait_until(pilot, lambda: "70×20" in _request(app), "the new size in the request")
        await pilot.resize_terminal(80, 24)
        await wait_until(pilot, lambda: not isinstance(app.screen, TooSmallScreen), "the screen")
        await settled(pilot)
        assert isinstance(app.screen, WizardScreen) == wizard
        assert cut_texts(app.screen) == []
