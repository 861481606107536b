"""Every way a save can be stopped ends in a dialog, and nothing is lost or half-written."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from mailgw.config import store
from mailgw.tui.app import MailgwApp
from mailgw.tui.dialogs.choice import ChoiceDialog
from mailgw.tui.widgets.field import problem_line

from .pilot_helpers import (
    answer_dialog,
    press_for_dialog,
    save_and_confirm,
    settle,
    settled,
    type_into,
    wait_until,
)


def dialog_text(app: MailgwApp) -> str:
    """Everything the dialog on top says."""
    assert isinstance(app.screen, ChoiceDialog), f"no dialog: {app.screen!r}"
    dialog = app.screen
    return "\n".join([dialog.title_text, dialog.body, dialog.detail])


def _titled(app: MailgwApp, title: str) -> bool:
    return isinstance(app.screen, ChoiceDialog) and app.screen.title_text == title


async def test_save_shows_the_masked_diff_before_writing(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "#password-input", "s3cr3t-NEW")
        await type_into(pilot, "#host", "mx9.ex.io")
        await press_for_dialog(pilot, "f2")
        shown = dialog_text(app)
        assert '-host = "mail.example.com"' in shown and '+host = "mx9.ex.io"' in shown
        assert "s3cr3t-NEW" not in shown and "old-secret-1" not in shown
        assert "********" in shown
        await answer_dialog(pilot, "escape")
        assert not isinstance(app.screen, ChoiceDialog)
    assert "mail.example.com" in existing_config.read_text("utf-8")


async def test_save_is_refused_with_the_errors_listed(existing_config: Path) -> None:
    before = existing_config.read_bytes()
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "#host", "bad host")
        await pilot.press("f6")
        await type_into(pilot, "#from-address", "nobody")
        await press_for_dialog(pilot, "ctrl+s")
        shown = dialog_text(app)
        assert "Cannot save yet" in shown
        assert "smtp.host: 'bad host' is not a valid host name" in shown
        assert "email.from_address: 'nobody' is not a valid email address" in shown
        await answer_dialog(pilot, "enter")
    assert existing_config.read_bytes() == before


async def test_validation_messages_appear_under_the_field_as_you_type(
    existing_config: Path,
) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        problem = problem_line(app.query_one("#host"))
        assert problem.display is False
        await type_into(pilot, "#host", "bad host")
        assert problem.display is True
        assert "Error: 'bad host' is not a valid host name or IP address" in str(problem.render())
        await type_into(pilot, "#host", "ok.ex.io")
        assert problem.display is False


async def test_quitting_with_unsaved_changes_asks(existing_config: Path) -> None:
    before = existing_config.read_bytes()
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "#host", "mx9.ex.io")
        assert "● unsaved" in str(app.query_one("#status").render())
        await press_for_dialog(pilot, "ctrl+q")
        assert "Unsaved changes" in dialog_text(app)
        await answer_dialog(pilot, "escape")
        assert app.is_running and not isinstance(app.screen, ChoiceDialog)
        await press_for_dialog(pilot, "f10")
        await pilot.press("q")  # quit without saving
        await settle(pilot)
        assert not app.is_running
    assert existing_config.read_bytes() == before


async def test_quitting_without_changes_does_not_ask(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)  # the console is shown, every tab filled, as a person sees it
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert not app.is_running


async def test_save_first_from_the_quit_prompt_saves_then_quits(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "#host", "mx9.ex.io")
        await press_for_dialog(pilot, "ctrl+q")
        await pilot.press("s")  # save first
        await wait_until(pilot, lambda: _titled(app, "Save"), "the diff dialog")
        await settled(pilot)
        await pilot.press("enter")  # confirm the diff
        await settle(pilot)
        assert not app.is_running
    assert 'host = "mx9.ex.io"' in existing_config.read_text("utf-8")


async def test_lock_held_by_another_process_says_who_and_loses_nothing(
    existing_config: Path, lock_holder: subprocess.Popen[str]
) -> None:
    before = existing_config.read_bytes()
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "#host", "mx9.ex.io")
        await save_and_confirm(pilot)
        shown = dialog_text(app)
        assert "Someone else is saving" in shown and "user ops" in shown
        assert existing_config.read_bytes() == before
        lock_holder.kill()
        lock_holder.wait(timeout=10)
        await answer_dialog(pilot, "t")  # try again
        assert not isinstance(app.screen, ChoiceDialog)
    assert 'host = "mx9.ex.io"' in existing_config.read_text("utf-8")


async def test_file_changed_on_disk_keeps_my_edits_on_top_of_theirs(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "#host", "mine.ex.io")
        theirs = existing_config.read_text("utf-8").replace("587", "2525")
        existing_config.write_text(theirs, "utf-8")
        await save_and_confirm(pilot)
        shown = dialog_text(app)
        assert "File changed on disk" in shown and "--force" not in shown
        await pilot.press("k")  # theirs + my edits
        await wait_until(pilot, lambda: not isinstance(app.screen, ChoiceDialog), "dialog gone")
        await wait_until(pilot, lambda: app.query_one("#port").value == "2525", "their port")
        assert app.query_one("#host").value == "mine.ex.io"
        assert "unsaved" in str(app.query_one("#status").render())
        assert existing_config.read_text("utf-8") == theirs  # nothing written yet
        await save_and_confirm(pilot)
        await wait_until(pilot, lambda: "mine.ex.io" in existing_config.read_text(), "saved")
    saved = existing_config.read_text("utf-8")
    assert 'host = "mine.ex.io"' in saved and "port = 2525" in saved


async def test_file_changed_on_disk_shows_the_difference_then_overwrites(
    existing_config: Path,
) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "#host", "mine.ex.io")
        theirs = existing_config.read_text("utf-8").replace("old-secret-1", "their-secret-2")
        existing_config.write_text(theirs + "# their note\n", "utf-8")
        await save_and_confirm(pilot)
        await answer_dialog(pilot, "d")  # show difference
        shown = dialog_text(app)
        assert "-# their note" in shown and '+host = "mine.ex.io"' in shown
        assert "their-secret-2" not in shown and "old-secret-1" not in shown
        await answer_dialog(pilot, "o")  # overwrite
    text = existing_config.read_text("utf-8")
    assert 'host = "mine.ex.io"' in text and "their note" not in text


async def test_save_that_cannot_write_says_why_and_keeps_the_file(existing_config: Path) -> None:
    store.lock_path(existing_config).mkdir()  # a folder where the lock file must go
    await _save_is_refused_with(existing_config, "The old file is unchanged")


async def _save_is_refused_with(config: Path, said: str) -> None:
    """An edit, a save: the Not saved dialog says `said`, the edit stays, the file too."""
    before = config.read_bytes()
    app = MailgwApp(config)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_into(pilot, "#host", "mx9.ex.io")
        await save_and_confirm(pilot)
        shown = dialog_text(app)
        assert "Not saved" in shown and said in shown
        await answer_dialog(pilot, "enter")
        assert "● unsaved" in str(app.query_one("#status").render())
    assert config.read_bytes() == before


@pytest.mark.skipif(os.geteuid() != 0, reason="the rules are root's; needs root")
async def test_root_refuses_to_save_into_a_folder_another_user_owns(existing_config: Path) -> None:
    """Issue 16: a refusal is a dialog naming the owner, the edits kept, never a crash."""
    text = existing_config.read_text().replace('password = "old-secret-1"', "")
    existing_config.write_text(text.replace("enabled = true", "enabled = false"))
    os.chown(existing_config.parent, 65534, 65534)
    await _save_is_refused_with(existing_config, "owned by nobody")
