"""A crash never prints the password: Textual's default crash screen shows local variables."""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path

from .pty_run import run_on_pty

SENTINEL = "Sentinel-Pw-7f3a9c"

CRASHING_CONSOLE = """
import sys
from pathlib import Path

from textual.app import App

from mailgw.tui.app import MailgwApp, run
from mailgw.tui.sections.smtp_server import SmtpServerSection

original = SmtpServerSection.model_shown


def exploding(self, settings):
    original(self, settings)
    password = settings.smtp.auth.password  # a local the default crash screen would print
    raise RuntimeError("forced crash for the test")


SmtpServerSection.model_shown = exploding
if sys.argv[2] == "textual-default":
    MailgwApp._fatal_error = App._fatal_error
run(Path(sys.argv[1]))
"""


def crash(tmp_path: Path, config: Path, screen: str) -> bytes:
    script = tmp_path / "crash.py"
    script.write_text(CRASHING_CONSOLE, "utf-8")
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    code, output = run_on_pty([sys.executable, str(script), str(config), screen], env=env)
    assert code != 0, output.decode("utf-8", "replace")[-2000:]
    assert b"forced crash for the test" in output
    return output


def config_with_sentinel(config_path: Path) -> Path:
    config_path.write_text(
        '[smtp]\ngateway = "custom"\nhost = "mx.ex.io"\n'
        f'[smtp.auth]\nenabled = true\nusername = "u"\npassword = "{SENTINEL}"\n',
        "utf-8",
    )
    return config_path


def leaks(output: bytes) -> list[bytes]:
    forms = [SENTINEL.encode(), base64.b64encode(SENTINEL.encode())]
    forms.append(base64.b64encode(b"\0u\0" + SENTINEL.encode()))  # AUTH PLAIN
    return [form for form in forms if form in output]


def test_crash_output_holds_no_password(tmp_path: Path, config_path: Path) -> None:
    output = crash(tmp_path, config_with_sentinel(config_path), "mailgw")
    assert b"RuntimeError" in output
    assert leaks(output) == []


def test_textual_default_crash_screen_would_have_leaked_it(
    tmp_path: Path, config_path: Path
) -> None:
    """The control: without our override the same crash prints the password."""
    output = crash(tmp_path, config_with_sentinel(config_path), "textual-default")
    assert leaks(output) != []
