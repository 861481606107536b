"""After any save, by the wizard or by another front, the console shows what the file holds.

The wizard over the console saves a preset with a security of the person's own; the console's
fields then read as `store.load(path)` does, one security radio pressed, nothing unsaved. A
`mailgw set` in another process while the console is open shows there within the file watch;
with an edit pending, the edit stays and the save offers their file with it on top.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, RadioButton, RadioSet, Select, TextArea

from mailgw.config import store
from mailgw.config.model import Gateway, Security
from mailgw.config.schema import KEYS, get_value, parse_value
from mailgw.delivery.setup_flow import StepId
from mailgw.tui import app as tui_app
from mailgw.tui.app import MailgwApp
from mailgw.tui.dialogs.choice import ChoiceDialog
from mailgw.tui.sections.smtp_server import CustomServerFields
from mailgw.tui.widgets.field import Field
from mailgw.tui.widgets.password_field import PasswordField
from mailgw.tui.wizard import WizardScreen

from .pilot_helpers import focus, save_and_confirm, settle, settled, type_into, wait_until
from .test_tui_save_dialogs import dialog_text
from .test_tui_wizard import _at, _choose, _key, _typed

WATCH_SECONDS = 0.2

PRESET_SAVED = """\
schema_version = 1

[smtp]
gateway = "custom"
provider = "own_server"
host = "mail.example.org"
port = 465
security = "ssl"

[email]
from_address = "alerts@example.org"
"""


class Recording(MailgwApp):
    """The console, with every notification it shows kept for the test."""

    CSS_PATH = str(Path(tui_app.__file__).with_name("app.tcss"))  # not beside this test

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.told: list[str] = []

    def notify(self, message: str, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self.told.append(message)
        super().notify(message, *args, **kwargs)


def _shown(field: Field) -> Any:
    """What a bound field shows, as a value of its key (None for the password: never shown)."""
    control = field.control
    if isinstance(control, PasswordField):
        return None
    if isinstance(control, Input):
        return parse_value(field.key, control.value)
    if isinstance(control, RadioSet):
        pressed = control.pressed_button
        return pressed.name if pressed is not None else None
    if isinstance(control, Select):
        return control.value
    if isinstance(control, Checkbox):
        return control.value
    assert isinstance(control, TextArea)
    return control.text


def _differences(app: MailgwApp, path: Path) -> dict[str, tuple[Any, Any]]:
    """Every bound field whose shown value is not the file's: key -> (shown, in the file)."""
    on_disk = store.load(path).settings
    out = {}
    for field in app.query(Field):
        if field.key not in KEYS or isinstance(field.control, PasswordField):
            continue
        shown, held = _shown(field), get_value(on_disk, field.key)
        if shown != held:
            out[field.key] = (shown, held)
    return out


def _pressed(app: MailgwApp, selector: str) -> list[str]:
    return [b.name or "" for b in app.query_one(selector).query(RadioButton) if b.value]


async def _loaded(pilot: Pilot[None]) -> None:
    """Every tab mounted, the custom server's fields built, and the queues run dry."""
    app = pilot.app
    assert isinstance(app, MailgwApp)
    await wait_until(pilot, lambda: len(app.sections()) == 5, "every tab")
    await wait_until(
        pilot, lambda: any(f.ready for f in app.query(CustomServerFields)), "the server fields"
    )
    await settle(pilot)


def _status(app: MailgwApp) -> str:
    return str(app.query_one("#status").render())


async def _provider(pilot: Pilot[None], downs_or_end: str | int) -> None:
    """Open the wizard's provider list and pick by keys, as a person would."""
    await focus(pilot, "#q-smtp-provider")
    await pilot.press("enter")
    await settled(pilot)
    keys = ["end"] if downs_or_end == "end" else ["down"] * int(downs_or_end)
    await pilot.press(*keys, "enter")
    await settled(pilot)


@pytest.mark.parametrize(
    ("provider", "pick", "host", "security_key", "security", "port"),
    [
        ("own_server", "end", "mail.example.org", "down", Security.SSL, 465),
        ("gmail", 1, "smtp.gmail.com", "up", Security.STARTTLS, 587),
    ],
    ids=["own-server-ssl", "gmail-starttls"],
)
@pytest.mark.parametrize("lang", ["C.UTF-8", "pt_BR.UTF-8"])
async def test_wizard_save_leaves_the_console_showing_the_file(
    config_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lang: str,
    provider: str,
    pick: str | int,
    host: str,
    security_key: str,
    security: Security,
    port: int,
) -> None:
    monkeypatch.setenv("LANG", lang)
    app = Recording(config_path, wizard=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await _at(pilot, StepId.GATEWAY)
        await _choose(pilot, "#q-smtp-gateway", 1)
        await _key(pilot, "f9", StepId.SERVER)
        await _provider(pilot, pick)
        if provider == "own_server":
            await _typed(pilot, "#q-smtp-host", host)
        # one away from the preset's own security (STARTTLS for own server, SSL for Gmail)
        await focus(pilot, "#q-smtp-security")
        await pilot.press(security_key, "enter")
        await wait_until(
            pilot,
            lambda: pilot.app.screen.query_one("#q-smtp-port", Input).value == str(port),
            "the port to follow the security",
        )
        screen = await _key(pilot, "f9", StepId.AUTH)
        if screen.wizard.settings.smtp.auth.enabled:
            await focus(pilot, "#q-smtp-auth-enabled")
            await pilot.press("space")  # no login this time
            await settled(pilot)
        await _key(pilot, "f9", StepId.SENDER)
        await _typed(pilot, "#q-email-from_address", "alerts@example.org")
        await _key(pilot, "f9", StepId.TEST_SEND)
        await _key(pilot, "f8", StepId.REVIEW)
        await _key(pilot, "f9", StepId.SAVE)
        await pilot.press("f9")
        await wait_until(pilot, lambda: not isinstance(app.screen, WizardScreen), "the console")
        await _loaded(pilot)

        differences = _differences(app, config_path)
        security_set = app.query_one("#security", RadioSet)
        pressed = security_set.pressed_button
        pressed_buttons = _pressed(app, "#security")
        gateway_buttons = _pressed(app, "#gateway")
        modified, status = app.session.is_modified(), _status(app)
        before = len(app.told)
        await pilot.press("f2")
        await wait_until(  # a note, or (were anything unsaved) the save dialog
            pilot,
            lambda: len(app.told) > before or isinstance(app.screen, ChoiceDialog),
            "an answer to F2",
        )
        told, dialog = app.told[before:], isinstance(app.screen, ChoiceDialog)
        still_modified = app.session.is_modified()

    settings = store.load(config_path).settings
    assert settings.smtp.gateway == Gateway.CUSTOM and settings.smtp.provider == provider
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.security) == (
        host,
        port,
        security,
    )
    assert differences == {}
    assert pressed is not None and pressed.name == security.value
    assert pressed_buttons == [security.value] and gateway_buttons == [Gateway.CUSTOM.value]
    assert not modified and not still_modified and not dialog
    assert "unsaved" not in status and "não salvo" not in status
    nothing = "Nothing to save" if lang.startswith("C") else "Nada a salvar"
    assert any(message.startswith(nothing) for message in told), told


def _set_in_another_process(path: Path, *assignments: str) -> None:
    command = [sys.executable, "-m", "mailgw", "--config", str(path), "set", *assignments]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


async def test_a_save_by_another_front_shows_when_nothing_is_edited(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(MailgwApp, "FILE_WATCH_SECONDS", WATCH_SECONDS)
    config_path.write_text(PRESET_SAVED, "utf-8")
    config_path.chmod(0o600)
    app = Recording(config_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _loaded(pilot)
        assert not app.session.is_modified() and _differences(app, config_path) == {}
        await asyncio.to_thread(_set_in_another_process, config_path, "smtp.port=2525")
        await wait_until(pilot, lambda: app.query_one("#port", Input).value == "2525", "theirs")
        await settle(pilot)
        differences = _differences(app, config_path)
        modified, status, told = app.session.is_modified(), _status(app), list(app.told)
    assert differences == {}
    assert not modified and "unsaved" not in status and "saved" in status
    assert any("changed on disk; showing the new version" in message for message in told), told
    assert store.load(config_path).settings.smtp.port == 2525


async def test_a_save_by_another_front_over_an_edit_keeps_it_and_offers_theirs_plus_mine(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(MailgwApp, "FILE_WATCH_SECONDS", WATCH_SECONDS)
    config_path.write_text(PRESET_SAVED, "utf-8")
    config_path.chmod(0o600)
    app = Recording(config_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _loaded(pilot)
        await type_into(pilot, "#host", "mine.example.org")
        await asyncio.to_thread(_set_in_another_process, config_path, "smtp.port=2525")
        await wait_until(
            pilot,
            lambda: any("was changed by another program" in m for m in app.told),
            "the note that the file changed",
        )
        await settle(pilot)
        kept = app.query_one("#host", Input).value
        port_shown = app.query_one("#port", Input).value
        modified = app.session.is_modified()
        await save_and_confirm(pilot)
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ChoiceDialog) and "Theirs" in str(app.screen.choices),
            "the dialog for a file changed on disk",
        )
        stale = dialog_text(app)
        buttons = [str(b.label) for b in app.screen.query("Button")]
        await pilot.press("k")  # theirs + mine
        await wait_until(pilot, lambda: not isinstance(app.screen, ChoiceDialog), "dialog gone")
        await wait_until(pilot, lambda: app.query_one("#port", Input).value == "2525", "theirs")
        rebased = (app.query_one("#host", Input).value, app.session.is_modified())
        await save_and_confirm(pilot)
        await wait_until(pilot, lambda: not app.session.is_modified(), "the save")
        await settle(pilot)
        differences = _differences(app, config_path)
    assert (kept, port_shown, modified) == ("mine.example.org", "465", True)
    assert "File changed on disk" in stale and "--force" not in stale
    assert "Theirs + mine (K)" in buttons
    assert rebased == ("mine.example.org", True)
    saved = store.load(config_path).settings.smtp
    assert (saved.host, saved.port, saved.provider) == ("mine.example.org", 2525, "own_server")
    assert differences == {}
