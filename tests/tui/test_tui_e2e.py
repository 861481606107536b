"""The installed `mailgw` in tmux at 80x24, driven with keys like a person would."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import tomlkit

from .tmux import INSTALLED_MAILGW, NEEDS_TMUX, Tmux

pytestmark = [
    pytest.mark.e2e,
    NEEDS_TMUX,
]


def test_edit_paste_password_save_and_quit(
    tmux: Tmux, existing_config: Path, tmp_path: Path
) -> None:
    tmux.start([str(INSTALLED_MAILGW), "--config", str(existing_config)], record_in=tmp_path)
    tmux.wait_for_text("mailgw · saved · custom SMTP")  # drawn once the form is loaded
    tmux.keys("Tab", "Tab", "End", "C-u")  # gateway -> provider -> host; empty the field
    # Typing waits for the emptied field to be drawn: Input selects its text on focus after the
    # next refresh, and on a busy machine that could land after the first typed character.
    tmux.wait_for_text("custom SMTP ?:587")
    tmux.text("mx7.ex.io")
    tmux.wait_for_text("custom SMTP mx7.ex.io:587")
    tmux.keys("Tab", "Left", "Enter")  # security: STARTTLS -> SSL; the port follows
    tmux.wait_for_text("custom SMTP mx7.ex.io:465")
    tmux.keys("Tab", "Tab", "Tab", "Tab", "Tab", "Tab")  # port, trust all, auth, sign in with,
    # username, password
    tmux.wait_for_text("F4 Clear password")  # the footer has the field's keys: it has focus
    tmux.paste("Pasted-Pw-42")
    tmux.wait_for_text("new password typed")
    assert "Pasted-Pw-42" not in tmux.screen()
    tmux.keys("F2")
    tmux.wait_for_text("Save these changes")
    tmux.keys("Enter")
    tmux.wait_for_text("mailgw · saved")
    tmux.keys("F10")
    assert tmux.exit_code() == 0
    assert not tmux.alternate_screen()
    text = existing_config.read_text("utf-8")
    saved = tomlkit.parse(text).unwrap()
    assert (saved["smtp"]["host"], saved["smtp"]["security"], saved["smtp"]["port"]) == (
        "mx7.ex.io",
        "ssl",
        465,
    )
    assert saved["smtp"]["auth"]["password"] == "Pasted-Pw-42"
    assert "# Managed by the ops team: keep this comment." in text
    assert saved["platform_extra"] == {"retention_days": 30}


def test_hangup_exits_cleanly_and_writes_nothing(
    tmux: Tmux, existing_config: Path, tmp_path: Path
) -> None:
    before = existing_config.read_bytes()
    tmux.start([str(INSTALLED_MAILGW), "--config", str(existing_config)], record_in=tmp_path)
    tmux.wait_for_text("mailgw · saved · custom SMTP")  # drawn once the form is loaded
    tmux.keys("Tab", "Tab", "End", "C-u")
    tmux.text("unsaved.ex.io")
    tmux.wait_for_text("● unsaved")
    os.kill(tmux.pid(), signal.SIGHUP)  # what the terminal's session gets when SSH drops
    assert tmux.exit_code() == 0  # left through the normal exit, not killed by the signal
    assert not tmux.alternate_screen()
    assert existing_config.read_bytes() == before
    assert sorted(p.name for p in existing_config.parent.iterdir()) == [existing_config.name]
