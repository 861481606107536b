"""Every message of the code has a Brazilian Portuguese translation, and every msgid is constant.

Walks every .py file of config/, delivery/, tui/ and mailgw/ (new files included), reads the
`_()`, `N_()` and `ngettext()` calls, and compares them with the merged pt_BR .po files (the
same merge tools/compile_catalogs.py does at install).

`_()` may be given a literal, or a name/attribute/subscript holding a literal marked with `N_()`
elsewhere (the "mark with N_, translate where shown" pattern, and presets.shown() for the data of
presets.toml). It may never be given text computed on the spot (an f-string, `+`, `%`, a call
such as `.format()` inside the parentheses): such a msgid can never be in a catalog.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from functools import cache
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
AREAS = ("config", "delivery", "tui", "mailgw")
PT_BR = ROOT / "mailgw" / "locale" / "pt_BR" / "LC_MESSAGES"
MARKERS = ("_", "N_", "ngettext")
COMPUTED = (ast.JoinedStr, ast.BinOp, ast.Call, ast.BoolOp, ast.IfExp)


def _sources() -> list[Path]:
    return sorted(p for area in AREAS for p in (ROOT / area).rglob("*.py"))


def _calls(path: Path, tree: ast.AST | None = None) -> list[ast.Call]:
    tree = tree or ast.parse(path.read_text("utf-8"))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in MARKERS
        and node.args
    ]


def _msgids(path: Path) -> list[tuple[str, int]]:
    """(msgid, line) of every literal message in the file; for ngettext the singular."""
    found = []
    for call in _calls(path):
        first = call.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.append((first.value, call.lineno))
    return found


@cache
def _compile_tool():
    spec = importlib.util.spec_from_file_location(
        "compile_catalogs", ROOT / "tools" / "compile_catalogs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def _translated() -> dict[str, str]:
    """msgid (singular for plurals) -> first translation, over every pt_BR .po file."""
    catalog, _conflicts = _compile_tool().merged_catalog(PT_BR)
    out = {}
    for message in catalog:
        if not message.id or not message.string:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        value = message.string if isinstance(message.string, str) else message.string[0]
        out[key] = value
    return out


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_the_walk_sees_every_area() -> None:
    names = {_relative(p) for p in _sources()}
    assert {"config/validate.py", "delivery/failures.py", "mailgw/cli.py", "tui/app.py"} <= names


def test_every_message_has_a_portuguese_translation() -> None:
    translated = _translated()
    missing = [
        f"{_relative(path)}:{line}: {msgid!r}"
        for path in _sources()
        for msgid, line in _msgids(path)
        if msgid not in translated
    ]
    assert not missing, "no pt_BR translation (add it to the area's .po file):\n" + "\n".join(
        missing
    )


def test_no_message_is_computed_inside_the_marker() -> None:
    computed = [
        f"{_relative(path)}:{call.lineno}: {call.func.id}({ast.unparse(call.args[0])[:60]})"
        for path in _sources()
        for call in _calls(path)
        if isinstance(call.args[0], COMPUTED)
        or (call.func.id == "ngettext" and isinstance(call.args[1], COMPUTED))
    ]
    assert not computed, "msgids must be constant: _('... {x}').format(x=...):\n" + "\n".join(
        computed
    )


def test_translations_keep_the_placeholders() -> None:
    placeholder = re.compile(r"\{[a-z_0-9]*(?:![rsa])?(?::[^{}]*)?\}")
    broken = [
        f"{msgid!r} -> {text!r}"
        for msgid, text in _translated().items()
        if sorted(set(placeholder.findall(msgid))) != sorted(set(placeholder.findall(text)))
    ]
    assert not broken, "a translation must use the same {placeholders}:\n" + "\n".join(broken)


def test_area_catalogs_do_not_conflict() -> None:
    _catalog, conflicts = _compile_tool().merged_catalog(PT_BR)
    assert conflicts == []


def test_every_preset_label_and_note_is_translated() -> None:
    data = tomllib.loads((ROOT / "config" / "presets.toml").read_text("utf-8"))
    presets = [data["platform"], *data["providers"].values()]
    fields = ("label", "notes", "username_hint")
    texts = [p[field] for p in presets for field in fields if p.get(field)]
    assert len(texts) > 20
    missing = [text for text in texts if text not in _translated()]
    assert missing == []


def test_presets_are_shown_in_portuguese(monkeypatch: pytest.MonkeyPatch) -> None:
    from mailgw.config import presets

    gmail = presets.provider("gmail")
    assert gmail is not None
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    assert "senha de app" in presets.shown(gmail.notes)
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert presets.shown(gmail.notes) == gmail.notes


def _help_texts(command) -> list[str]:
    texts = [getattr(item, "_help_msgid", None) or item.help for item in (command, *command.params)]
    for sub in getattr(command, "commands", {}).values():
        texts += _help_texts(sub)
    return [text for text in texts if text]


def test_every_command_and_option_help_is_translated() -> None:
    from mailgw.cli import main

    texts = _help_texts(main)
    assert len(texts) > 30
    missing = sorted({text for text in texts if text not in _translated()})
    assert not missing, "command/option help without pt_BR translation:\n" + "\n".join(missing)


def _import_time_calls(path: Path) -> list[int]:
    """Lines of `_()`/`ngettext()` calls that run at import (module, class body, decorator)."""
    tree = ast.parse(path.read_text("utf-8"))
    deferred: set[int] = set()  # ids of calls inside a function body or a lambda
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            parts: list[ast.AST] = list(node.body)
        elif isinstance(node, ast.Lambda):
            parts = [node.body]
        else:
            continue
        deferred |= {id(sub) for part in parts for sub in ast.walk(part)}
    return [
        call.lineno
        for call in _calls(path, tree)
        if call.func.id in ("_", "ngettext") and id(call) not in deferred
    ]


def test_messages_are_translated_when_shown_not_at_import() -> None:
    early = [
        f"{_relative(path)}:{line}" for path in _sources() for line in _import_time_calls(path)
    ]
    assert not early, "use N_() at import and _() where shown:\n" + "\n".join(early)


def test_the_wizard_shows_presets_and_username_hints_in_portuguese(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mailgw.config.model import Settings
    from mailgw.delivery.setup_questions import auth_questions, server_questions

    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    settings = Settings()
    settings.smtp.provider = "gmail"
    settings.smtp.auth.enabled = True
    labels = {c.label for q in server_questions(settings, {}) for c in q.choices}
    assert "Servidor de e-mail próprio" in labels and "Own mail server" not in labels
    username = next(q for q in auth_questions(settings, {}) if q.name == "smtp.auth.username")
    assert username.help == "o seu endereço completo do Gmail"
