"""The floors, as a table: which of our packages each one may import, and which UI framework.

Arrows point down only: mailgw (cli, commands) -> tui -> delivery -> config. Every import in
the source is read by AST (module level, inside functions and under TYPE_CHECKING alike), so an
arrow against the house fails here. (import-linter cannot see packages mapped with setuptools'
package-dir, so the contract is checked here, statically over the source and dynamically in a
fresh interpreter.)
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomlkit

ROOT = Path(__file__).resolve().parents[1]
UI_FRAMEWORKS = ("textual", "click", "rich")

# The one leaf everyone may import: translations. It imports nothing of ours (its row is empty)
# and is listed in every other row.
LEAF = "mailgw.i18n"


@dataclass(frozen=True)
class May:
    """What a unit may import besides itself: other units of ours, and UI frameworks."""

    ours: tuple[str, ...] = ()
    ui: tuple[str, ...] = ()


# Arrows point down only; a unit may always import its own modules. Rows read top floor first.
# fmt: off
ALLOWED: dict[str, May] = {
    # the bare `mailgw` start: the console without click or the command layer, else the cli
    "mailgw.__main__": May(ours=("mailgw.cli", "mailgw.tui", "mailgw.config", LEAF)),
    "mailgw.cli":      May(ours=("mailgw.commands", "mailgw.tui", "mailgw.config", "mailgw", LEAF),
                           ui=("click",)),
    # `setup` opens the console through mailgw.tui.app.run, never Textual itself
    "mailgw.commands": May(ours=("mailgw.tui", "mailgw.delivery", "mailgw.config", LEAF),
                           ui=("click",)),
    "mailgw.tui":      May(ours=("mailgw.delivery", "mailgw.config", LEAF),
                           ui=("textual", "rich")),  # rich: Textual's own rendering layer
    "mailgw.delivery": May(ours=("mailgw.config", LEAF)),
    "mailgw.config":   May(ours=(LEAF,)),
    "mailgw":          May(),  # the package root: __version__ and nothing else
    "mailgw.i18n":     May(),  # the leaf everyone may import: nothing of ours, no UI
}
# fmt: on


def _source_modules() -> dict[str, Path]:
    """Every module of ours by import name, found through pyproject's package-dir."""
    pyproject = tomlkit.parse((ROOT / "pyproject.toml").read_text("utf-8"))
    package_dir = pyproject["tool"]["setuptools"]["package-dir"]
    modules: dict[str, Path] = {}
    for package, folder in package_dir.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            # a subpackage not listed in package-dir lives in its parent's folder
            # (mailgw.commands, mailgw.tui.sections); the listed entry wins where both apply
            modules.setdefault(".".join((package, *parts)), path)
    return modules


MODULES = _source_modules()


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _imported(module: str, path: Path) -> set[str]:
    """The modules `module` imports anywhere in its source, as absolute names."""
    names: set[str] = set()
    package = module if _is_package(path) else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{node.module}" if node.module else anchor
            else:
                base = node.module or ""
            for alias in node.names:  # `from mailgw import cli` imports the module mailgw.cli
                candidate = f"{base}.{alias.name}"
                names.add(candidate if candidate in MODULES else base)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


def _unit(name: str) -> str | None:
    """The row of ALLOWED that module `name` belongs to (the package root only by itself)."""
    if name == "mailgw":
        return "mailgw"
    matches = [u for u in ALLOWED if u != "mailgw" and (name == u or name.startswith(u + "."))]
    return max(matches, key=len) if matches else None


def _violations(unit: str) -> list[str]:
    rule = ALLOWED[unit]
    found = []
    for module, path in sorted(MODULES.items()):
        if _unit(module) != unit:
            continue
        for name in sorted(_imported(module, path)):
            top = name.partition(".")[0]
            if top == "mailgw":
                target = _unit(name)
                if target is None:
                    found.append(f"{path.relative_to(ROOT)} imports {name}, which has no row")
                elif target != unit and target not in rule.ours:
                    found.append(
                        f"{path.relative_to(ROOT)} imports {name}: {unit} may import "
                        + (f"only {', '.join(rule.ours)}" if rule.ours else "nothing of ours")
                    )
            elif top in UI_FRAMEWORKS and top not in rule.ui:
                found.append(
                    f"{path.relative_to(ROOT)} imports {name}: {unit} may use "
                    f"{', '.join(rule.ui) or 'no UI framework'}"
                )
    return found


def test_every_module_has_a_row() -> None:
    assert "mailgw.cli" in MODULES and "mailgw.config.store" in MODULES  # the scan sees them
    assert sorted(m for m in MODULES if _unit(m) is None) == []


@pytest.mark.parametrize("unit", ALLOWED)
def test_imports_follow_the_table(unit: str) -> None:
    assert _violations(unit) == []


def test_i18n_is_the_leaf_everyone_may_use() -> None:
    assert ALLOWED[LEAF] == May()
    assert [
        u for u, rule in ALLOWED.items() if u not in (LEAF, "mailgw") and LEAF not in rule.ours
    ] == []


def test_the_table_points_down_only() -> None:
    """The allowed arrows form no loop, so no two packages can import each other."""
    done: set[str] = set()

    def visit(unit: str, path: tuple[str, ...]) -> None:
        assert unit not in path, " -> ".join((*path, unit))
        if unit not in done:
            for target in ALLOWED[unit].ours:
                visit(target, (*path, unit))
            done.add(unit)

    for unit in ALLOWED:
        visit(unit, ())


def test_no_import_cycle_between_cli_and_commands() -> None:
    """Module by module: cli registers the commands, no command module leads back to cli."""
    front = {m for m in MODULES if _unit(m) in ("mailgw.cli", "mailgw.commands")}
    graph: dict[str, set[str]] = {}
    for module in front:
        targets = set()
        for name in _imported(module, MODULES[module]):
            parts = name.split(".")  # importing a.b.c runs a.b too
            targets.update(".".join(parts[:i]) for i in range(2, len(parts) + 1))
        graph[module] = targets & front
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module not in done:
            for target in sorted(graph[module]):
                visit(target, (*path, module))
            done.add(module)

    for module in sorted(front):
        visit(module, ())


def test_command_modules_import_without_the_cli() -> None:
    code = (
        "import sys, pkgutil, importlib\n"
        "import mailgw.commands as commands\n"
        "for m in pkgutil.iter_modules(commands.__path__):\n"
        "    importlib.import_module('mailgw.commands.' + m.name)\n"
        "print('mailgw.cli' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


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
