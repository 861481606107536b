"""Editing every field of both sections, saving, and reading the TOML back."""

from __future__ import annotations

from pathlib import Path

import tomlkit
from textual.widgets import Input, RadioButton, Select, Static, TextArea

from mailgw.config import store
from mailgw.tui.app import MailgwApp
from mailgw.tui.widgets.field import problem_line
from mailgw.tui.widgets.toggles import Check

from .pilot_helpers import focus, save_and_confirm, settled, type_into, wait_until


async def test_editing_every_smtp_field_saves_them_and_keeps_comments(
    existing_config: Path,
) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "#host", "mx2.ex.io")
        app.query_one("#security-ssl", RadioButton).value = True  # port follows: 465
        await settled(pilot)
        await type_into(pilot, "#username", "ops@ex.io")
        await type_into(pilot, "#password-input", "n3w")
        app.query_one("#trust-all", Check).value = True
        await settled(pilot)
        await save_and_confirm(pilot)
    text = existing_config.read_text("utf-8")
    saved = tomlkit.parse(text).unwrap()
    assert saved["smtp"]["host"] == "mx2.ex.io"
    assert saved["smtp"]["security"] == "ssl"
    assert saved["smtp"]["port"] == 465
    assert saved["smtp"]["trust_all"] is True
    assert saved["smtp"]["auth"] == {
        "enabled": True,
        "username": "ops@ex.io",
        "password": "n3w",
    }
    assert "# Managed by the ops team: keep this comment." in text
    assert '"custom"  # chosen in 2024' in text
    assert saved["platform_extra"] == {"retention_days": 30}


async def test_editing_email_settings_saves_them(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        await type_into(pilot, "#from-address", "a@fleet.io")
        await type_into(pilot, "#from-name", "Fleet A")
        await focus(pilot, "#signature")
        await pilot.press(*"Desk", "enter", *"+1 55")
        signature = app.query_one("#signature", TextArea)
        await wait_until(pilot, lambda: signature.text == "Desk\n+1 55", "the typed signature")
        await settled(pilot)
        preview = str(app.query_one("#preview", Static).render())
        assert preview.endswith('entered the geofence "Depot" at 08:14.\n\n-- \nDesk\n+1 55')
        await save_and_confirm(pilot)
    saved = store.load(existing_config).settings.email
    assert saved.from_address == "a@fleet.io"
    assert saved.from_name == "Fleet A"
    assert saved.signature == "Desk\n+1 55"


async def test_switching_to_the_platform_gateway_and_saving(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.query_one("#platform-info").display is False
        app.query_one("#gateway-platform", RadioButton).value = True
        await settled(pilot)
        info = app.query_one("#platform-info", Static)
        assert info.display is True
        shown = str(info.render())
        assert "no-reply@x-gpsmail.com" in shown and "mandrill_verify.KEY" in shown
        assert app.query_one("#custom").display is False
        await save_and_confirm(pilot)
    assert store.load(existing_config).settings.smtp.gateway.value == "platform"


async def test_new_file_is_created_with_only_what_was_set(config_path: Path) -> None:
    app = MailgwApp(config_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        await type_into(pilot, "#from-name", "Fleet")
        await save_and_confirm(pilot)
    saved = tomlkit.parse(config_path.read_text("utf-8")).unwrap()
    assert saved == {"schema_version": 1, "email": {"from_name": "Fleet"}}
    assert config_path.stat().st_mode & 0o777 == 0o600


async def test_port_follows_security_choice(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        port = app.query_one("#port", Input)
        for security, expected in (("ssl", "465"), ("none", "25"), ("starttls", "587")):
            app.query_one(f"#security-{security}", RadioButton).value = True
            await settled(pilot)
            assert port.value == expected


async def test_hand_set_port_is_kept_when_security_changes(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "#port", "2525")
        app.query_one("#security-ssl", RadioButton).value = True
        await settled(pilot)
        assert app.query_one("#port", Input).value == "2525"
        await save_and_confirm(pilot)
    smtp = store.load(existing_config).settings.smtp
    assert (smtp.port, smtp.security.value) == (2525, "ssl")


async def test_preset_fills_host_security_and_port_and_shows_notes(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one("#provider", Select).value = "gmail"
        await settled(pilot)
        assert app.query_one("#host", Input).value == "smtp.gmail.com"
        assert app.query_one("#port", Input).value == "465"
        assert app.query_one("#security-ssl", RadioButton).value is True
        assert "app password" in str(app.query_one("#preset-notes", Static).render())


async def test_trust_all_shows_only_with_tls_and_warns(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        trust_all = app.query_one("#trust-all", Check)
        field, warning = app.query_one("#trust-all-field"), problem_line(trust_all)
        assert field.display is True and warning.display is False
        trust_all.value = True
        await settled(pilot)
        assert warning.display is True
        assert "Warning: any certificate is accepted" in str(warning.render())
        app.query_one("#security-none", RadioButton).value = True
        await settled(pilot)
        assert field.display is False


async def test_auth_checkbox_reveals_the_login(existing_config: Path) -> None:
    app = MailgwApp(existing_config)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.query_one("#login").display is True
        app.query_one("#auth", Check).value = False
        await settled(pilot)
        assert app.query_one("#login").display is False


async def test_choosing_custom_builds_its_fields_from_the_model(config_path: Path) -> None:
    config_path.write_text('[smtp]\ngateway = "platform"\nhost = "kept.ex.io"\nport = 2525\n')
    app = MailgwApp(config_path)
    async with app.run_test(size=(80, 24)) as pilot:
        assert not app.query("#host")  # the platform gateway needs none of them
        app.query_one("#gateway-custom", RadioButton).value = True
        await wait_until(pilot, lambda: app.query("#host"), "the custom server's fields")
        await settled(pilot)
        assert app.query_one("#host", Input).value == "kept.ex.io"
        assert app.query_one("#port", Input).value == "2525"
        await type_into(pilot, "#host", "mx3.ex.io")
        await save_and_confirm(pilot)
    smtp = store.load(config_path).settings.smtp
    assert (smtp.gateway.value, smtp.host, smtp.port) == ("custom", "mx3.ex.io", 2525)


async def test_a_preset_this_mailgw_does_not_know_is_shown_and_kept(config_path: Path) -> None:
    config_path.write_text('[smtp]\ngateway = "custom"\nprovider = "retired_one"\nhost = "a.ex"\n')
    app = MailgwApp(config_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: bool(app.query("#provider")), "the preset list")
        await settled(pilot)
        assert app.query_one("#provider", Select).value == "retired_one"
        assert not app.session.is_modified()
        config_path.write_text(config_path.read_text().replace("retired_one", "retired_two"))
        app.session.reload()
        app.after_reload()
        await settled(pilot)
        assert app.query_one("#provider", Select).value == "retired_two"
        assert not app.session.is_modified()
