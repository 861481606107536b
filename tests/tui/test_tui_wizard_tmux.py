"""The installed `mailgw setup` in tmux at 80x24, as a new installer runs it: keys only."""

from __future__ import annotations

import re
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


def _shown(tmux: Tmux, label: str) -> str | None:
    """The value drawn right of `label` (the first line of a wrapped label) in the form."""
    for line in tmux.screen().splitlines():
        _, bar, rest = line.partition("│ ")
        if bar and rest.startswith(label):
            return rest[len(label) :].strip(" ▁▂▃▄▅▆▇█▔")
    return None


FOCUSED_FIELD = "\x1b[48;5;17m"  # the background the theme draws behind the focused field
SGR = re.compile(r"\x1b\[[0-9;]*m")


def _focused(tmux: Tmux, label: str) -> bool:
    """Whether the field right of `label` is drawn focused."""
    for line in tmux.styled().splitlines():
        _, bar, rest = SGR.sub("", line).partition("│ ")
        if bar and rest.startswith(label):
            return FOCUSED_FIELD in line.split(label, 1)[1]
    return False


def _field(tmux: Tmux, label: str, text: str) -> None:
    """Empty the field at `label` and type `text`, as a person watching the screen would.

    Each step waits for the screen to show the last one: a Tab moves the focus only after the
    keys already sent, so keys typed before the field is drawn focused went to the previous
    control ("127.0.0.1" became "27.0.0.1" on a busy machine).
    """
    tmux.wait_for(lambda: _focused(tmux, label), what=f"the focus on {label!r}")
    tmux.keys("End", "C-u")
    tmux.wait_for(lambda: _shown(tmux, label) == "", what=f"{label!r} emptied")
    tmux.text(text)
    tmux.wait_for(lambda: _shown(tmux, label) == text, what=f"{label!r} showing {text!r}")


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
        tmux.keys("Tab")  # provider -> host
        _field(tmux, "Server host name", "127.0.0.1")
        tmux.keys("Tab", "Tab")  # host -> security -> port
        _field(tmux, "Port", str(server.port))
        tmux.keys("BTab", "Down", "Down", "Enter")  # back to security: none
        # the form is drawn again without the trust question, the typed port kept
        tmux.wait_for(lambda: "Trust any" not in tmux.screen() and "(•) None" in tmux.screen())
        tmux.keys("F9")
        tmux.wait_for_text("step 3 of 7: Authentication")
        tmux.keys("F9")  # no login
        tmux.wait_for_text("step 4 of 7: Sender and signature")
        _field(tmux, "Sender (From)", "alerts@example.com")
        tmux.keys("F9")
        tmux.wait_for_text("step 5 of 7: Test send")
        _field(tmux, "Send the test", RECIPIENT)
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
