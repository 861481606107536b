"""The installed `mailgw setup` in tmux at 80x24, as a new installer runs it: keys only."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mailgw.config import store
from mailgw.config.model import Gateway, Security
from tests.smtp.conftest import RECIPIENT
from tests.support.smtpserver import smtp_server

from .tmux import INSTALLED_MAILGW, NEEDS_TMUX, Tmux

pytestmark = [
    pytest.mark.e2e,
    NEEDS_TMUX,
]


def test_new_installer_sets_up_a_custom_server_with_a_test_send(
    tmux: Tmux, config_path: Path, tmp_path: Path
) -> None:
    with smtp_server("plain") as server:
        tmux.start(
            [str(INSTALLED_MAILGW), "--config", str(config_path), "setup"], record_in=tmp_path
        )
        tmux.wait_for_text("step 1 of 5: Gateway")
        tmux.keys("Down", "Enter")  # your own SMTP server
        tmux.wait_for_text("(•) Your own SMTP server")
        tmux.keys("F9")
        tmux.wait_for_text("step 2 of 7: SMTP server")
        # each Tab waits for the field to be drawn focused: a key sent sooner would still
        # reach the field before (End and Ctrl+U in an Input are the Input's own keys)
        tmux.focus("Server host name")  # provider -> host
        tmux.replace("Server host name", "127.0.0.1")
        tmux.focus("Security")
        tmux.focus("Port")
        tmux.replace("Port", str(server.port))
        tmux.focus("Security", key="BTab")
        tmux.keys("Down", "Down", "Enter")  # security: none
        # the form is drawn again without the trust question, the typed port kept
        tmux.wait_for(lambda: "Trust any" not in tmux.screen() and "(•) None" in tmux.screen())
        tmux.keys("F9")
        tmux.wait_for_text("step 3 of 7: Authentication")
        tmux.keys("F9")  # no login
        tmux.wait_for_text("step 4 of 7: Sender and signature")
        tmux.replace("Sender (From)", "alerts@example.com")
        tmux.keys("F9")
        tmux.wait_for_text("step 5 of 7: Test send")
        tmux.replace("Send the test", RECIPIENT)
        tmux.keys("Tab", "Tab", "Enter")  # recipient -> kind -> Send the test
        tmux.wait_for_text("✓ Success")
        tmux.keys("F9")
        tmux.wait_for_text("step 6 of 7: Review")
        tmux.wait_for_text("@@ -0,0 +1,")  # the diff of a new file
        tmux.keys("F9")
        tmux.wait_for_text("step 7 of 7: Save")
        tmux.keys("F9")
        tmux.wait_for_text("mailgw · saved · custom SMTP 127.0.0.1")  # the console, file saved
        tmux.keys("F10")
        assert tmux.exit_code() == 0
    assert not tmux.alternate_screen()
    assert len(server.recorder.messages) == 1
    settings = store.load(config_path).settings
    assert settings.smtp.gateway == Gateway.CUSTOM
    assert (settings.smtp.host, settings.smtp.port) == ("127.0.0.1", server.port)
    assert settings.smtp.security == Security.NONE
    check = [str(INSTALLED_MAILGW), "--config", str(config_path), "check"]
    assert subprocess.run(check, capture_output=True, timeout=60).returncode == 0
