"""ruff (lint and format) runs as part of the suite, so CI's one command covers it."""

from __future__ import annotations

import ast
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


# TUI tests wait for what the app or the screen proves (tests/tui/pilot_helpers.py), never for a
# number of pauses or seconds: on a loaded machine a count that was enough becomes too few.
PAUSE_HELPERS = ROOT / "tests" / "tui" / "pilot_helpers.py"
TUI_TESTS = [
    *sorted((ROOT / "tests" / "tui").glob("*.py")),
    *sorted((ROOT / "tests" / "setup").glob("test_*tmux*.py")),
]
SLEEPS = {"time.sleep", "asyncio.sleep"}


def fixed_pauses(source: str) -> list[str]:
    """`pilot.pause(…)` and `wait_for_idle(…)` anywhere, sleeps in code that drives an app
    (a function naming `pilot` or `tmux`): each as "line: call"."""
    found: set[tuple[int, str]] = set()
    for func in ast.walk(ast.parse(source)):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        names = {node.id for node in ast.walk(func) if isinstance(node, ast.Name)}
        names |= {arg.arg for arg in ast.walk(func) if isinstance(arg, ast.arg)}
        drives = bool(names & {"pilot", "tmux"})
        for call in ast.walk(func):
            if not isinstance(call, ast.Call):
                continue
            called = ast.unparse(call.func)
            last = called.rsplit(".", 1)[-1]
            if (
                called.endswith("pilot.pause")
                or last == "wait_for_idle"
                or (drives and called in SLEEPS)
            ):
                found.add((call.lineno, called))
    return [f"{line}: {called}(…)" for line, called in sorted(found)]


def test_tui_tests_wait_for_conditions_not_fixed_pauses() -> None:
    offenders = {
        str(path.relative_to(ROOT)): fixed_pauses(path.read_text("utf-8"))
        for path in TUI_TESTS
        if path != PAUSE_HELPERS
    }
    offenders = {path: calls for path, calls in offenders.items() if calls}
    assert offenders == {}, (
        "wait with tests/tui/pilot_helpers.py (wait_until, settled, focus, type_into, "
        f"press_for_dialog…) or Tmux.wait_for, not a fixed pause: {offenders}"
    )


def test_the_pause_lint_catches_each_form() -> None:
    source = (
        "async def drive(pilot):\n"
        "    await pilot.pause()\n"
        "    await pilot.pause(0.5)\n"
        "    await asyncio.sleep(0.1)\n"
        "    await wait_for_idle(0)\n"
        "def typed(tmux):\n"
        "    time.sleep(1)\n"
        "async def server_handler(reader, writer):\n"
        "    await asyncio.sleep(30)  # a server that never answers: not a wait of the test\n"
    )
    assert fixed_pauses(source) == [
        "2: pilot.pause(…)",
        "3: pilot.pause(…)",
        "4: asyncio.sleep(…)",
        "5: wait_for_idle(…)",
        "7: time.sleep(…)",
    ]


# `_` is gettext's: a `_` used as a throwaway (`a, _, b = text.partition(":")`) replaces it in
# that scope, and the next `_("…")` there crashes with "'str' object is not callable".
SOURCE_AREAS = ("config", "delivery", "tui", "mailgw")


def throwaway_underscores(source: str) -> list[int]:
    """Lines where `_` is bound by anything other than importing gettext's `_`."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store):
            lines.append(node.lineno)
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and (
            node.name == "_"
        ):
            lines.append(node.lineno)
        elif isinstance(node, ast.arg) and node.arg == "_":
            lines.append(node.lineno)
        elif isinstance(node, ast.alias) and node.asname == "_":
            lines.append(node.lineno)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "_":
            lines.append(node.lineno)
    return sorted(lines)


def test_underscore_is_never_a_throwaway_name() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for area in SOURCE_AREAS
        for path in sorted((ROOT / area).rglob("*.py"))
        for line in throwaway_underscores(path.read_text("utf-8"))
        if path.name != "i18n.py"  # where `_` is defined
    ]
    assert found == [], "`_` is gettext's; name the unused value (`_sep`, `_unused`)"


def test_the_underscore_lint_catches_each_binding() -> None:
    source = (
        "port, _, security = item.partition(':')\n"
        "for _ in range(3): pass\n"
        "with open(p) as _: pass\n"
        "try:\n    pass\nexcept OSError as _:\n    pass\n"
        "f = lambda _: 1\n"
        "from gettext import gettext as _\n"
        "case = [x for _, x in pairs]\n"
        "from mailgw.i18n import _\n"
        "print(_('ok'))\n"
    )
    assert throwaway_underscores(source) == [1, 2, 3, 6, 8, 9, 10]
