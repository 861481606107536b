"""The entry point: the console opens without the command layer, everything else goes to it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mailgw.__main__ import console_config


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], (True, None)),
        (["--config", "/etc/x.toml"], (True, "/etc/x.toml")),
        (["--config=/etc/x.toml"], (True, "/etc/x.toml")),
        (["show"], (False, None)),
        (["--config", "/etc/x.toml", "show"], (False, None)),
        (["--help"], (False, None)),
        (["--version"], (False, None)),
    ],
)
def test_only_a_bare_start_takes_the_console_path(
    argv: list[str], expected: tuple[bool, str | None]
) -> None:
    assert console_config(argv) == expected


def test_console_path_reports_an_unreadable_config_in_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.toml"
    folder.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "mailgw", "--config", str(folder)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("mailgw: ") and len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_console_path_does_not_load_the_command_layer() -> None:
    code = (
        "import sys, mailgw.__main__ as m\n"
        "from mailgw.config.paths import resolve_config_path\n"
        "import mailgw.tui.app\n"
        "print(sorted(n for n in sys.modules if n == 'click' or n.startswith('mailgw.commands')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_command_ends_with_everything_it_printed_and_its_exit_code(tmp_path: Path) -> None:
    """The command path leaves without the interpreter's teardown: what it printed must still
    be flushed whole through a pipe, and the exit code kept."""
    config = tmp_path / "email-gateway.toml"
    config.write_text('[smtp]\\nport = "x"\\n', "utf-8")
    schema = subprocess.run(
        [sys.executable, "-m", "mailgw", "schema"], capture_output=True, text=True, timeout=60
    )
    assert schema.returncode == 0 and len(schema.stdout) > 4096  # more than one pipe write
    assert json.loads(schema.stdout)  # whole, up to its last byte
    broken = subprocess.run(
        [sys.executable, "-m", "mailgw", "--config", str(config), "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert broken.returncode == 2 and broken.stderr.startswith("mailgw: ")
