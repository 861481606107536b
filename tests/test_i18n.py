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
