"""The console in Brazilian Portuguese under LANG=pt_BR.UTF-8, and in English under any other."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Label, Static, TabbedContent

from mailgw.tui.app import MailgwApp
from mailgw.tui.dialogs.choice import ChoiceDialog
from mailgw.tui.widgets.field import problem_line

from .pilot_helpers import (
    answer_dialog,
    focus,
    press_for_dialog,
    save_and_confirm,
    settle,
    settled,
    type_into,
    wait_until,
)
from .test_tui_save_dialogs import dialog_text


def _labels(app: MailgwApp) -> set[str]:
    return {str(label.render()) for label in app.screen.query(".field-label").results(Label)}


def _tabs(app: MailgwApp) -> list[str]:
    tabs = app.query_one(TabbedContent)
    return [str(tabs.get_tab(pane.id or "").label) for pane in tabs.query("TabPane")]


def _footer(app: MailgwApp) -> set[str]:
    return {binding.description for _, binding, *_ in app.screen.active_bindings.values()}


async def test_sections_and_fields_in_portuguese(
    existing_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert _tabs(app)[:2] == ["Servidor SMTP", "Configurações de e-mail"]
        assert {"Host", "Segurança", "Porta", "Usuário", "Senha"} <= _labels(app)
        assert {"Salvar", "Seções", "Sair"} <= _footer(app)
        hint = str(app.query_one("#port-hint", Static).render())
        assert hint.startswith("Acompanha a segurança")
        await type_into(pilot, "#host", "bad host")
        problem = str(problem_line(app.query_one("#host")).render())
        assert "✗ Erro: 'bad host' não é um nome de host nem um endereço IP válido" in problem
        await pilot.press("f6")
        await settled(pilot)
        assert {"Remetente (From)", "Nome de exibição", "Assinatura"} <= _labels(app)


async def test_save_and_unsaved_dialogs_in_portuguese(
    existing_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "#host", "mx9.ex.io")
        await press_for_dialog(pilot, "f2")
        shown = dialog_text(app)
        assert shown.startswith("Salvar\nSalvar estas alterações em")
        assert "(no disco)" in shown and "(a salvar)" in shown
        buttons = [str(b.label) for b in app.screen.query(Button)]
        assert buttons == ["Salvar (Enter)", "Cancelar (Esc)"]
        await answer_dialog(pilot, "escape")
        await press_for_dialog(pilot, "f10")
        assert dialog_text(app).startswith("Alterações não salvas\nVocê tem alterações")
        buttons = [str(b.label) for b in app.screen.query(Button)]
        assert buttons == ["Salvar antes (S)", "Sair sem salvar (Q)", "Cancelar (Esc)"]


async def test_lock_dialog_in_portuguese(
    existing_config: Path, lock_holder: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "#host", "mx9.ex.io")
        await save_and_confirm(pilot)
        shown = dialog_text(app)
        assert shown.startswith("Outra pessoa está salvando\n")
        assert "está sendo salvo por outro processo" in shown
        assert "As suas edições continuam aqui; nada foi gravado." in shown


@pytest.mark.parametrize("lang", ["pt_PT.UTF-8", "de_DE.UTF-8", "C"])
async def test_any_other_language_is_english(
    existing_config: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    monkeypatch.setenv("LANG", lang)
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert _tabs(app)[:2] == ["SMTP server", "Email settings"]
        assert {"Save", "Sections", "Quit"} <= _footer(app)
        await pilot.press("f10")
        await settle(pilot)
        assert not isinstance(app.screen, ChoiceDialog)  # nothing changed: quits at once


async def test_an_open_menu_says_its_key_in_portuguese(
    existing_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual's own "esc Dismiss menu" footer entry, seen on every drop-down."""
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("f6", "f6", "f6")  # the Test send tab, whose first field is a menu
        await wait_until(pilot, lambda: bool(app.screen.query("#test-kind")), "the kind menu")
        await focus(pilot, "#test-kind")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.query_one("#test-kind").expanded, "the open menu")
        await settled(pilot)
        assert "Fechar menu" in _footer(app) and "Dismiss menu" not in _footer(app)
