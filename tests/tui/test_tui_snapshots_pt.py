"""How the console looks in Brazilian Portuguese at 80x24 (LANG=pt_BR.UTF-8).

Run with `--snapshot-update` after a deliberate change and review the SVGs before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import RadioButton

from mailgw.tui.app import MailgwApp

from .pilot_helpers import answer_dialog, edit_host_and_save, focus, press_for_dialog, type_into

SIZE = (80, 24)
NAME = Path("email-gateway.toml")  # relative, so the path on screen is the same on every machine


@pytest.fixture(autouse=True)
def portuguese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")


class TestSectionsPt:
    def test_platform_gateway_pt(self, snap_compare, here: Path) -> None:
        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE)

    def test_custom_server_with_a_problem_pt(self, snap_compare, existing: Path) -> None:
        async def run_before(pilot: Pilot[None]) -> None:
            await type_into(pilot, "#host", "bad host")

        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=run_before)

    def test_oauth2_sign_in_pt(self, snap_compare, existing: Path) -> None:
        """OAuth 2.0 chosen: the Microsoft fields, a tenant that is not one, Get a token."""

        async def run_before(pilot: Pilot[None]) -> None:
            pilot.app.query_one("#method-oauth2", RadioButton).value = True
            await type_into(pilot, "#oauth2-tenant", "contoso")
            await focus(pilot, "#oauth2-client-id")

        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=run_before)

    def test_email_settings_with_preview_pt(self, snap_compare, existing: Path) -> None:
        async def run_before(pilot: Pilot[None]) -> None:
            await pilot.press("f6")
            await focus(pilot, "#signature")
            await pilot.press(*"Equipe da frota", "enter", *"+55 11")
            await focus(pilot, "#from-name")

        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=run_before)


class TestDialogsPt:
    def test_save_diff_pt(self, snap_compare, existing: Path) -> None:
        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=edit_host_and_save)

    def test_unsaved_changes_on_quit_pt(self, snap_compare, existing: Path) -> None:
        async def run_before(pilot: Pilot[None]) -> None:
            await type_into(pilot, "#host", "mx9.ex.io")
            await press_for_dialog(pilot, "f10")

        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=run_before)

    def test_lock_held_pt(self, snap_compare, existing: Path, lock_holder: object) -> None:
        async def run_before(pilot: Pilot[None]) -> None:
            await edit_host_and_save(pilot)
            await answer_dialog(pilot, "enter")

        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=run_before)
