"""Every message of the wizard has a Brazilian Portuguese translation in the compiled catalog."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mailgw import i18n

ROOT = Path(__file__).resolve().parents[2]
FILES = (
    "delivery/setup_flow.py",
    "delivery/setup_questions.py",
    "mailgw/commands/setup_cmds.py",
    "mailgw/commands/setup_plain.py",
    "mailgw/commands/setup_prompts.py",
)


def _msgids(path: Path) -> list[str | tuple[str, str]]:
    found: list[str | tuple[str, str]] = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        texts = [a.value for a in node.args if isinstance(a, ast.Constant)]
        if node.func.id in ("_", "N_") and texts:
            found.append(texts[0])
        elif node.func.id == "ngettext" and len(texts) >= 2:
            found.append((texts[0], texts[1]))
    return found


@pytest.mark.parametrize("name", FILES)
def test_every_message_is_translated(name: str) -> None:
    catalog = i18n._catalog("pt_BR")
    translated = getattr(catalog, "_catalog", {})
    if not translated:
        pytest.skip("the pt_BR catalog is not compiled; run ./install.sh --dev")
    msgids = _msgids(ROOT / name)
    assert msgids
    missing = [m for m in msgids if (m[0], 0) not in translated and m not in translated]
    assert missing == []
