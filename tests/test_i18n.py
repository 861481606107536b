"""Language choice and the compiled catalog."""

from __future__ import annotations

from pathlib import Path

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


PT_BR = Path(__file__).resolve().parents[1] / "mailgw" / "locale" / "pt_BR" / "LC_MESSAGES"


def _plural_messages(po: Path) -> tuple[int, list]:
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale="pt_BR")
    return catalog.num_plurals, [m for m in catalog if m.id and m.pluralizable and m.string]


AREAS_WITH_PLURALS = sorted(po.name for po in PT_BR.glob("*.po") if _plural_messages(po)[1])


def test_plurals_are_used_in_several_areas() -> None:
    assert {"commands.po", "delivery.po", "setup.po", "tui.po", "tui_domain.po"} <= set(
        AREAS_WITH_PLURALS
    )


@pytest.mark.parametrize("area", AREAS_WITH_PLURALS)
def test_each_plural_has_as_many_forms_as_the_header_declares(area: str) -> None:
    forms, messages = _plural_messages(PT_BR / area)
    assert forms == 2  # pt_BR: "nplurals=2; plural=(n > 1);"
    assert [m.id[0] for m in messages if len(m.string) != forms] == []


@pytest.mark.parametrize("area", AREAS_WITH_PLURALS)
def test_the_compiled_catalog_gives_each_plural_form(area: str, tmp_path: Path) -> None:
    """Babel's own rule for pt_BR has 3 forms: the compiled catalog must keep the .po's 2."""
    import gettext

    assert _compile_tool().compile_all(PT_BR.parent.parent, tmp_path) == []
    with (tmp_path / "pt_BR" / "LC_MESSAGES" / "mailgw.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in _plural_messages(PT_BR / area)[1]:
        singular, plural = message.id
        assert compiled.ngettext(singular, plural, 1) == message.string[0]
        assert compiled.ngettext(singular, plural, 3) == message.string[1]
        assert compiled.ngettext(singular, plural, 1_000_000) == message.string[1]


def test_counts_are_whole_phrases_in_portuguese(monkeypatch: pytest.MonkeyPatch) -> None:
    from mailgw.delivery.findings import Status
    from mailgw.tui.domain_text import status_count

    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    assert status_count(Status.ERROR, 3) == "3 com erro"
    assert status_count(Status.MISSING, 1) == "1 ausente"
    assert status_count(Status.MISSING, 2) == "2 ausentes"
    saved = i18n.ngettext(
        "Saved {changes} change to {path}{backup}.", "Saved {changes} changes to {path}{backup}.", 5
    )
    assert saved.format(changes=5, path="c.toml", backup="") == "5 alterações salvas em c.toml."
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert status_count(Status.ERROR, 1) == "1 error"
    assert status_count(Status.ERROR, 2) == "2 errors"


def _click_msgids() -> set[str]:
    """Every message click translates with the stdlib's gettext (singulars and plurals)."""
    import click
    from babel.messages.extract import extract_from_dir

    keywords = {"_": None, "ngettext": (1, 2)}
    found: set[str] = set()
    for *_where, message, _comments, _context in extract_from_dir(
        Path(click.__file__).parent, keywords=keywords
    ):
        found |= {message} if isinstance(message, str) else set(message)
    return found


def test_click_catalog_translates_only_what_click_says() -> None:
    """A click upgrade that rewords a message shows here, not as English in a pt_BR run."""
    from babel.messages.pofile import read_po

    with (PT_BR / "click.po").open("rb") as handle:
        ours = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert {"Usage:", "Options", "Show this message and exit.", "Missing option"} <= ours
    translated_at_run = {"required"}  # click: _(extra["required"]), a literal set elsewhere
    assert sorted(ours - _click_msgids() - translated_at_run) == []
