"""`mailgw setup` picks plain prompts or the full-screen wizard from the terminal it runs on."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from mailgw import cli  # noqa: F401  (registers the commands first, as the entry point does)
from mailgw.commands import setup_cmds


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("term", "stdin_tty", "stdout_tty", "full_screen"),
    [
        ("xterm-256color", True, True, True),
        ("dumb", True, True, False),
        ("", True, True, False),
        ("xterm", False, True, False),
        ("xterm", True, False, False),
    ],
)
def test_full_screen_only_on_a_real_terminal(
    monkeypatch: pytest.MonkeyPatch, term: str, stdin_tty: bool, stdout_tty: bool, full_screen: bool
) -> None:
    monkeypatch.setenv("TERM", term)
    monkeypatch.setattr("sys.stdin", _Terminal() if stdin_tty else io.StringIO())
    monkeypatch.setattr("sys.stdout", _Terminal() if stdout_tty else io.StringIO())
    assert setup_cmds._full_screen_possible() is full_screen


def test_detect_ports_reach_the_full_screen_wizard(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from mailgw.cli import main
    from mailgw.config.model import Security
    from mailgw.delivery.detect import Candidate

    calls: list[dict[str, object]] = []

    def run(config_path: Path, **options: object) -> None:
        calls.append({"path": config_path, **options})

    path = tmp_path / "email-gateway.toml"
    monkeypatch.setattr(setup_cmds, "_full_screen_possible", lambda: True)
    monkeypatch.setattr("mailgw.tui.app.run", run)
    arguments = ["--config", str(path), "setup", "--detect-ports", "2525:starttls,4650:ssl"]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    expected = [Candidate(2525, Security.STARTTLS), Candidate(4650, Security.SSL)]
    assert calls == [{"path": path, "wizard": True, "detect_candidates": expected}]


def test_the_tui_takes_the_wizard_parameter() -> None:
    """`mailgw setup` on a terminal opens the full-screen wizard, not the plain console."""
    import inspect

    from mailgw.tui.app import run

    parameter = inspect.signature(run).parameters["wizard"]
    assert parameter.default is False
