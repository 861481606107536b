"""The floors: config imports nothing of ours; config and delivery never import a front or UI.

(import-linter cannot see packages mapped with setuptools' package-dir, so the contract is
checked here, statically over the source and dynamically in a fresh interpreter.)
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FRONTS = ("textual", "click", "mailgw.tui", "mailgw.commands", "mailgw.cli", "rich")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _violations(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


@pytest.mark.parametrize("folder", ["config", "delivery"])
def test_cores_never_import_a_front(folder: str) -> None:
    assert _violations(folder, FRONTS) == []


def test_config_imports_nothing_of_ours_above_it() -> None:
    assert _violations("config", ("mailgw.delivery", *FRONTS)) == []


def test_importing_the_cores_loads_no_ui_framework() -> None:
    code = (
        "import sys, pkgutil, importlib\n"
        "import mailgw.config, mailgw.delivery\n"
        "for pkg in (mailgw.config, mailgw.delivery):\n"
        "    for m in pkgutil.iter_modules(pkg.__path__):\n"
        "        importlib.import_module(pkg.__name__ + '.' + m.name)\n"
        "ui = {'textual', 'click', 'rich'}\n"
        "print(' '.join(sorted(n for n in sys.modules if n.split('.')[0] in ui)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_headless_commands_do_not_import_textual() -> None:
    code = "import sys\nfrom mailgw import cli\nprint('textual' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
