"""A config that is not valid TOML opens read-only and is never written over by accident."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgw.config import store
from mailgw.config.errors import UnreadableConfig
from mailgw.tui.app import MailgwApp
from mailgw.tui.dialogs.broken_file import BrokenFileScreen

from .pilot_helpers import answer_dialog, save_and_confirm, settle, settled, type_into

BROKEN = b'[smtp\nhost = "mail.example.com"\n[smtp.auth]\npassword = "hidden-9"\n'


@pytest.fixture
def broken_config(config_path: Path) -> Path:
    config_path.write_bytes(BROKEN)
    return config_path


def screen_text(app: MailgwApp) -> str:
    return "\n".join(str(s.render()) for s in app.screen.query("Static"))


async def test_invalid_toml_opens_read_only_with_line_and_column(broken_config: Path) -> None:
    app = MailgwApp(broken_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert isinstance(app.screen, BrokenFileScreen)
        shown = screen_text(app)
        assert "READ-ONLY" in shown and "line 1, column 6" in shown
        assert ">   1 | [smtp" in shown
        assert "hidden-9" not in shown
        await pilot.press("ctrl+s", "f2")
        await settled(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert not app.is_running
    assert broken_config.read_bytes() == BROKEN
    assert store.list_backups(broken_config) == []


async def test_start_from_defaults_backs_up_first_and_writes_only_on_save(
    broken_config: Path,
) -> None:
    app = MailgwApp(broken_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await answer_dialog(pilot, "d")
        assert not isinstance(app.screen, BrokenFileScreen)
        backups = store.list_backups(broken_config)
        assert [b.path.read_bytes() for b in backups] == [BROKEN]
        assert broken_config.read_bytes() == BROKEN  # not yet: only a save replaces it
        await pilot.press("f6")
        await type_into(pilot, "#from-name", "Fleet")
        await save_and_confirm(pilot)
    assert store.load(broken_config).settings.email.from_name == "Fleet"
    assert BROKEN in [b.path.read_bytes() for b in store.list_backups(broken_config)]


async def test_reload_after_fixing_by_hand_opens_the_editor(broken_config: Path) -> None:
    app = MailgwApp(broken_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        broken_config.write_text('[smtp]\ngateway = "custom"\nhost = "fixed.ex.io"\n', "utf-8")
        await answer_dialog(pilot, "r")
        assert not isinstance(app.screen, BrokenFileScreen)
        assert app.query_one("#host").value == "fixed.ex.io"


def test_unreadable_config_is_refused_before_the_screen_opens(config_path: Path) -> None:
    config_path.mkdir()  # a folder where the file should be
    with pytest.raises(UnreadableConfig):
        MailgwApp(config_path)


async def test_defaults_alone_can_be_saved_over_the_broken_file(broken_config: Path) -> None:
    app = MailgwApp(broken_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await answer_dialog(pilot, "d")
        assert "● unsaved" in str(app.query_one("#status").render())
        await save_and_confirm(pilot)
    assert store.load(broken_config).settings.schema_version == 1
