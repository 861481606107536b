"""Language choice and the compiled catalog."""

from __future__ import annotations

import pytest

from mailgw import i18n


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "pt_BR.UTF-8"}, "pt_BR"),
        ({"LANG": "pt_BR"}, "pt_BR"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "pt_PT.UTF-8"}, "en"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "pt_BR.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "pt_BR:en"}, "pt_BR"),
        ({}, "en"),
    ],
)
def test_language_follows_the_locale(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    assert i18n.language() == expected


def test_portuguese_catalog_is_compiled_at_install(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (i18n.LOCALE_DIR / "pt_BR" / "LC_MESSAGES" / "mailgw.mo").is_file()
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    assert i18n._("Quit") == "Sair"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert i18n._("Quit") == "Quit"


def _compile_tool():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "tools" / "compile_catalogs.py"
    spec = importlib.util.spec_from_file_location("compile_catalogs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _po(entries: dict[str, str]) -> str:
    head = (
        'msgid ""\nmsgstr ""\n"Language: pt_BR\\n"\n'
        '"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    )
    return head + "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in entries.items())


def test_area_catalogs_merge_and_conflicts_are_reported(tmp_path) -> None:
    folder = tmp_path / "pt_BR" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "a.po").write_text(_po({"Save": "Salvar", "Quit": "Sair"}), "utf-8")
    (folder / "b.po").write_text(_po({"Save": "Gravar", "Cancel": "Cancelar"}), "utf-8")
    catalog, conflicts = _compile_tool().merged_catalog(folder)
    assert {m.id: m.string for m in catalog if m.id} == {
        "Save": "Salvar",
        "Quit": "Sair",
        "Cancel": "Cancelar",
    }
    assert conflicts == ["b.po and a.po translate 'Save'"]
