"""ruff (lint and format) runs as part of the suite, so CI's one command covers it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _ruff() -> list[str]:
    beside = Path(sys.executable).with_name("ruff")
    return [str(beside)] if beside.exists() else [shutil.which("ruff") or "ruff"]


def test_ruff_lint_is_clean() -> None:
    result = subprocess.run([*_ruff(), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = subprocess.run(
        [*_ruff(), "format", "--check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


TUI = ROOT / "tui"
# One way to write a binding (class BINDINGS with ids, translated by translate_bindings), one
# place for styles (tui/app.tcss), and panes that reach the app through the typed `console`.
FORBIDDEN_IN_TUI = {
    "DEFAULT_CSS": "styles go in tui/app.tcss",
    "_bindings.bind(": "declare BINDINGS on the class, with ids",
    "type: ignore": "reach the app through Section.console (typed), not an ignore",
}


def test_tui_keeps_one_way_to_bind_style_and_reach_the_app() -> None:
    found = [
        f"{path.relative_to(ROOT)}: {word} ({why})"
        for path in sorted(TUI.rglob("*.py"))
        for word, why in FORBIDDEN_IN_TUI.items()
        if word in path.read_text("utf-8")
    ]
    assert found == []
