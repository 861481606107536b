"""How each screen and dialog looks at 80x24 in English and Portuguese (the `language` fixture),
with no word cut (the snap_compare of conftest.py checks), and a few without colour (NO_COLOR=1).

Run with `--snapshot-update` after a deliberate change and review the SVGs before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import RadioButton

from mailgw.tui.app import MailgwApp
from mailgw.tui.widgets.toggles import Check

from .pilot_helpers import answer_dialog, edit_host_and_save, focus, press_for_dialog, type_into
from .test_tui_broken_file import BROKEN

SIZE = (80, 24)
NAME = Path("email-gateway.toml")  # relative, so the path on screen is the same on every machine


async def _focus(pilot: Pilot[None], selector: str) -> None:
    await focus(pilot, selector)


async def _confirm(pilot: Pilot[None]) -> None:
    await edit_host_and_save(pilot)
    await answer_dialog(pilot, "enter")


@pytest.mark.usefixtures("language")
class TestSections:
    def test_platform_gateway(self, snap_compare, here: Path) -> None:
        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE)

    def test_custom_server(self, snap_compare, existing: Path) -> None:
        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE)

    def test_custom_server_login_and_password(self, snap_compare, existing: Path) -> None:
        async def run_before(pilot: Pilot[None]) -> None:
            await type_into(pilot, "#password-input", "typed")

        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=run_before)

    def test_oauth2_sign_in(self, snap_compare, existing: Path) -> None:
        """OAuth 2.0 chosen: the Microsoft fields, a tenant that is not one, Get a token."""

        async def run_before(pilot: Pilot[None]) -> None:
            pilot.app.query_one("#method-oauth2", RadioButton).value = True
            await type_into(pilot, "#oauth2-tenant", "contoso")
            await focus(pilot, "#oauth2-client-id")

        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=run_before)

    def test_validation_under_the_field(self, snap_compare, existing: Path) -> None:
        async def run_before(pilot: Pilot[None]) -> None:
            await type_into(pilot, "#host", "bad host")

        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=run_before)

    def test_trust_all_warning(self, snap_compare, existing: Path) -> None:
        async def run_before(pilot: Pilot[None]) -> None:
            pilot.app.query_one("#trust-all", Check).value = True
            await _focus(pilot, "#trust-all")

        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=run_before)

    def test_email_settings_with_preview(self, snap_compare, existing: Path) -> None:
        async def run_before(pilot: Pilot[None]) -> None:
            await pilot.press("f6")
            await _focus(pilot, "#signature")
            await pilot.press(*"Fleet desk", "enter", *"+1 555")
            await _focus(pilot, "#from-name")

        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=run_before)


@pytest.mark.usefixtures("language")
class TestDialogs:
    def test_save_diff(self, snap_compare, existing: Path) -> None:
        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=edit_host_and_save)

    def test_cannot_save_yet(self, snap_compare, existing: Path) -> None:
        async def run_before(pilot: Pilot[None]) -> None:
            await type_into(pilot, "#host", "")
            await press_for_dialog(pilot, "f2")

        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=run_before)

    def test_unsaved_changes_on_quit(self, snap_compare, existing: Path) -> None:
        async def run_before(pilot: Pilot[None]) -> None:
            await type_into(pilot, "#host", "mx9.ex.io")
            await press_for_dialog(pilot, "f10")

        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=run_before)

    def test_lock_held(self, snap_compare, existing: Path, lock_holder: object) -> None:
        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=_confirm)

    def test_file_changed_on_disk(self, snap_compare, existing: Path) -> None:
        async def run_before(pilot: Pilot[None]) -> None:
            existing.write_text(existing.read_text("utf-8") + "# their note\n", "utf-8")
            await _confirm(pilot)

        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=run_before)

    def test_overwrite_shows_the_difference(self, snap_compare, existing: Path) -> None:
        async def run_before(pilot: Pilot[None]) -> None:
            existing.write_text(existing.read_text("utf-8") + "# their note\n", "utf-8")
            await _confirm(pilot)
            await answer_dialog(pilot, "d")

        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=run_before)

    def test_save_failed(self, snap_compare, existing: Path) -> None:
        (existing.parent / f".{existing.name}.lock").mkdir()
        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=_confirm)

    def test_invalid_toml_read_only(self, snap_compare, here: Path) -> None:
        here.write_bytes(BROKEN)
        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE)


class TestNoColor:
    @pytest.fixture(autouse=True)
    def no_color(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("NO_COLOR", "1")

    def test_custom_server_no_color(self, snap_compare, existing: Path) -> None:
        async def run_before(pilot: Pilot[None]) -> None:
            await type_into(pilot, "#host", "bad host")

        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=run_before)

    def test_save_diff_no_color(self, snap_compare, existing: Path) -> None:
        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE, run_before=edit_host_and_save)

    def test_invalid_toml_no_color(self, snap_compare, here: Path) -> None:
        here.write_bytes(BROKEN)
        assert snap_compare(MailgwApp(NAME), terminal_size=SIZE)
