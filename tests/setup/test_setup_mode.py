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


def test_tui_wizard_hook_asks_for_the_wizard_once_the_tui_accepts_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[Path, dict[str, bool]]] = []

    def run_with_wizard(config_path: Path, wizard: bool = False) -> None:
        calls.append((config_path, {"wizard": wizard}))

    def run_without(config_path: Path) -> None:
        calls.append((config_path, {}))

    path = tmp_path / "email-gateway.toml"
    monkeypatch.setattr("mailgw.tui.app.run", run_with_wizard)
    setup_cmds._open_tui_wizard(path)
    monkeypatch.setattr("mailgw.tui.app.run", run_without)
    setup_cmds._open_tui_wizard(path)
    assert calls == [(path, {"wizard": True}), (path, {})]


def test_the_tui_takes_the_wizard_parameter() -> None:
    """`mailgw setup` on a terminal opens the full-screen wizard, not the plain console."""
    import inspect

    from mailgw.tui.app import run

    parameter = inspect.signature(run).parameters["wizard"]
    assert parameter.default is False
