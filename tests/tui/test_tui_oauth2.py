"""OAuth 2.0 from the console alone: switch a password login to OAuth 2.0, fill in what the
provider needs, "Get a token", save, and send through an XOAUTH2 server on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit
from textual.widgets import Input, RadioSet, Select

from mailgw.tui.app import MailgwApp
from mailgw.tui.sections.smtp_server import OAuth2Fields
from tests.smtp import conftest as smtp_fixtures
from tests.smtp.conftest import RECIPIENT, private_file
from tests.support.oauth_server import CLIENT_SECRET, TOKEN_SENTINEL_PREFIX, Authority
from tests.support.smtpserver import smtp_server

from .pilot_helpers import save_and_confirm, type_into, wait_until
from .send_helpers import custom_config, open_test_pane, run_to_end
from .test_front_parity import choose_option, choose_radio

ca, ca_file, good_cert = smtp_fixtures.ca, smtp_fixtures.ca_file, smtp_fixtures.good_cert
authority, endpoint = smtp_fixtures.authority, smtp_fixtures.endpoint
MAILBOX = "fleet@fleetco.example"


@pytest.fixture
def trusted(monkeypatch: pytest.MonkeyPatch, ca_file: str) -> None:
    monkeypatch.setenv("MAILGW_CA_FILE", ca_file)


def _shown(app: MailgwApp) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query("Static, Label, Input"))


def _assert_clean(text: str, authority: Authority) -> None:
    assert CLIENT_SECRET not in text and TOKEN_SENTINEL_PREFIX not in text


async def test_switch_to_microsoft_oauth2_get_a_token_save_and_send(
    config_path: Path, tmp_path: Path, authority: Authority, endpoint, good_cert, trusted
) -> None:
    secret = private_file(tmp_path / "client.secret", CLIENT_SECRET + "\n")
    with smtp_server("starttls", cert=good_cert, oauth=authority) as server:
        custom_config(config_path, server.port, "starttls", login=(MAILBOX, "old-password"))
        app = MailgwApp(config_path)
        async with app.run_test(size=(100, 50)) as pilot:
            methods = app.query_one("#auth-method", RadioSet)
            await choose_radio(pilot, app, methods, "smtp.auth.method", "oauth2")
            fields = app.query_one(OAuth2Fields)
            await wait_until(pilot, lambda: fields.display, "the OAuth 2.0 fields")
            password_hidden = not app.query_one("#password-login").display
            key_file_hidden = not app.query_one("#field-service_account_file").display
            await type_into(pilot, "#oauth2-tenant", authority.tenant)
            await type_into(pilot, "#oauth2-client-id", authority.client_id)
            await type_into(pilot, "#oauth2-secret-file", secret)
            await type_into(pilot, "#oauth2-token-url", endpoint.microsoft_url)
            fields.query_one("#get-token").focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: "Success" in fields.token_text, "the token")
            token_text, sent_before = fields.token_text, list(server.recorder.commands)
            await save_and_confirm(pilot)
            await wait_until(pilot, lambda: not app.session.is_modified(), "the save")
            pane = await open_test_pane(pilot)
            await type_into(pilot, "#test-recipient", RECIPIENT)
            await run_to_end(pilot, pane.panel, "#test-send-button")
            verdict, screen = pane.panel.verdict(), _shown(app)
    saved = tomlkit.parse(config_path.read_text())["smtp"]["auth"].unwrap()
    assert password_hidden and key_file_hidden
    assert "127.0.0.1 issued a token" in token_text and sent_before == []
    assert saved["method"] == "oauth2" and saved["oauth2"]["client_secret_file"] == secret
    assert saved["oauth2"]["tenant"] == authority.tenant
    assert "✓ Success" in verdict and server.recorder.logins == [f"{MAILBOX}:ok"]
    _assert_clean(screen + config_path.read_text(), authority)


async def test_google_shows_only_the_key_file_and_a_refusal_says_what_to_grant(
    config_path: Path, tmp_path: Path, authority: Authority, endpoint, good_cert, trusted
) -> None:
    authority.delegated = False
    key = private_file(tmp_path / "key.json", authority.service_account_json(endpoint.google_url))
    custom_config(config_path, 465, "ssl", login=(MAILBOX, "old-password"))
    app = MailgwApp(config_path)
    async with app.run_test(size=(100, 50)) as pilot:
        methods = app.query_one("#auth-method", RadioSet)
        await choose_radio(pilot, app, methods, "smtp.auth.method", "oauth2")
        provider = app.query_one("#oauth2-provider", Select)
        await choose_option(pilot, app, provider, "smtp.auth.oauth2.provider", "google")
        shown = {
            name: app.query_one(f"#field-{name}").display
            for name in ("tenant", "client_id", "client_secret_file", "service_account_file")
        }
        await type_into(pilot, "#oauth2-key-file", key)
        fields = app.query_one(OAuth2Fields)
        fields.query_one("#get-token").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Failed" in fields.token_text, "the refusal")
        token_text = fields.token_text
        url_hint = app.query_one("#oauth2-token-url", Input).placeholder
    assert shown == {
        "tenant": False, "client_id": False, "client_secret_file": False,
        "service_account_file": True,
    }  # fmt: skip
    assert "domain-wide delegation" in token_text and "unauthorized_client" in token_text
    assert url_hint == "default: oauth2.googleapis.com"
    assert app.session.settings.smtp.auth.oauth2.service_account_file == key
