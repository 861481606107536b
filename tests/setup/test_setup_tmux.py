"""The installed `mailgw setup --plain` in tmux at 80x24, answered key by key like an installer."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailgw.config import store
from tests.smtp.conftest import RECIPIENT, SENTINEL_PASSWORD, SENTINEL_USER, secret_forms
from tests.support.smtpserver import Behaviour, smtp_server

from .tmux_session import TmuxSession

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

MAILGW = Path(sys.executable).with_name("mailgw")


@pytest.fixture
def tmux() -> Iterator[TmuxSession]:
    session = TmuxSession()
    yield session
    session.kill()


def test_installer_sets_up_a_custom_server_in_tmux(tmux: TmuxSession, config_path: Path) -> None:
    login = Behaviour(username=SENTINEL_USER, password=SENTINEL_PASSWORD)
    env = {**os.environ, "LANG": "C.UTF-8"}
    with smtp_server("plain", behaviour=login) as server:
        tmux.start([str(MAILGW), "--config", str(config_path), "setup", "--plain"], env)
        steps = [
            ("Gateway [1]:", "2"),
            ("Provider [1]:", ""),
            ("Server host name or IP address:", "127.0.0.1"),
            ("now? [Y/n]:", "n"),
            ("Security [1]:", "3"),
            ("Port [25]:", str(server.port)),
            ("need a login? [y/N]:", "y"),
            ("Sign in with [1]:", ""),
            ("Username:", SENTINEL_USER),
            ("Password:", SENTINEL_PASSWORD),
            ("Type the password again:", SENTINEL_PASSWORD),
            ("Sender (From) address", "alerts@example.com"),
            ("Display name:", "Fleet Alerts"),
            ("Signature:", ""),
            ("Send the test message to:", RECIPIENT),
            ("Message kind [1]:", ""),
        ]
        for prompt, answer in steps:
            tmux.wait_for(prompt)
            tmux.type(answer)
        shown = tmux.wait_for("type a step number to change it:")
        assert "Test message accepted" in tmux.screen(history=True)
        assert "+port = " in shown and "********" in shown
        tmux.type("")
        tmux.wait_for("? [y/N]:")
        tmux.type("y")
        final = tmux.wait_for("[exit 0]")
        everything = tmux.screen(history=True)
    assert "Saved to" in final
    for form in secret_forms():
        assert form not in everything
    assert len(server.recorder.messages) == 1
    settings = store.load(config_path).settings
    assert (settings.smtp.host, settings.smtp.port) == ("127.0.0.1", server.port)
    assert settings.smtp.auth.password == SENTINEL_PASSWORD


def test_ctrl_c_in_tmux_exits_2_and_saves_nothing(tmux: TmuxSession, config_path: Path) -> None:
    env = {**os.environ, "LANG": "C.UTF-8"}
    tmux.start([str(MAILGW), "--config", str(config_path), "setup", "--plain"], env)
    tmux.wait_for("Gateway [1]:")
    tmux.type("1")
    tmux.wait_for("Sender (From) address")
    tmux.keys("C-c")
    shown = tmux.wait_for("[exit 2]")
    assert "nothing was saved" in shown and "Traceback" not in shown
    assert not config_path.exists()
