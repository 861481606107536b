"""The first-run wizard offers OAuth 2.0 next to the password: the questions the provider
needs, a test send that fetches a token, and a saved file that `check` passes."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit

from mailgw.config import store
from mailgw.delivery.setup_flow import StepId
from mailgw.tui.app import MailgwApp
from mailgw.tui.wizard import WizardScreen
from tests.smtp import conftest as smtp_fixtures
from tests.smtp.conftest import private_file
from tests.support.oauth_server import CLIENT_SECRET, TOKEN_SENTINEL_PREFIX, Authority
from tests.support.smtpserver import smtp_server

from .pilot_helpers import settled, wait_until
from .test_tui_wizard import _at, _check, _choose, _key, _typed, send_in_test_step

ca, ca_file, good_cert = smtp_fixtures.ca, smtp_fixtures.ca_file, smtp_fixtures.good_cert
authority, endpoint = smtp_fixtures.authority, smtp_fixtures.endpoint
MAILBOX = "fleet@fleetco.example"


def _existing(config_path: Path, port: int, token_url: str) -> None:
    """An install whose password login Microsoft now refuses; its endpoint points at the test's."""
    document = {
        "smtp": {
            "gateway": "custom", "host": "127.0.0.1", "port": port, "security": "starttls",
            "helo_name": "client.example.test", "timeout": 15.0,
            "auth": {"enabled": True, "username": MAILBOX, "password": "basic-auth-is-off",
                     "oauth2": {"token_url": token_url}},
        },
        "email": {"from_address": MAILBOX},
    }  # fmt: skip
    config_path.write_text(tomlkit.dumps(document))
    config_path.chmod(0o600)


async def test_wizard_switches_the_login_to_oauth2_and_the_test_send_proves_it(
    config_path: Path,
    tmp_path: Path,
    authority: Authority,
    endpoint,
    good_cert,
    ca_file: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAILGW_CA_FILE", ca_file)
    secret = private_file(tmp_path / "client.secret", CLIENT_SECRET + "\n")
    with smtp_server("starttls", cert=good_cert, oauth=authority) as server:
        _existing(config_path, server.port, endpoint.microsoft_url)
        app = MailgwApp(config_path, wizard=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await _at(pilot, StepId.GATEWAY)
            await _key(pilot, "f9", StepId.SERVER)
            await _key(pilot, "f9", StepId.AUTH)
            await _choose(pilot, "#q-smtp-auth-method", 1)  # OAuth 2.0
            await wait_until(
                pilot, lambda: bool(app.screen.query("#q-smtp-auth-oauth2-tenant")), "its questions"
            )
            password_asked = bool(app.screen.query("#q-smtp-auth-password"))
            await _typed(pilot, "#q-smtp-auth-oauth2-tenant", authority.tenant_domain)
            await _typed(pilot, "#q-smtp-auth-oauth2-client_id", authority.client_id)
            await _typed(pilot, "#q-smtp-auth-oauth2-client_secret_file", secret)
            await _key(pilot, "f9", StepId.SENDER)
            panel = await send_in_test_step(pilot)
            verdict, rows = panel.verdict(), [row.name for row in panel.timeline.rows]
            shown = app.export_screenshot() + panel.transcript_text()
            await _key(pilot, "f9", StepId.REVIEW)
            await _key(pilot, "f9", StepId.SAVE)
            await pilot.press("f9")
            await wait_until(pilot, lambda: not isinstance(app.screen, WizardScreen), "console")
            await settled(pilot)
    assert not password_asked
    assert "✓ Success" in verdict and rows[0] == "token"
    assert server.recorder.logins == [f"{MAILBOX}:ok"]
    assert CLIENT_SECRET not in shown and TOKEN_SENTINEL_PREFIX not in shown
    auth = store.load(config_path).settings.smtp.auth
    assert auth.method.value == "oauth2" and auth.oauth2.client_secret_file == secret
    assert auth.oauth2.tenant == authority.tenant_domain
    assert _check(config_path).returncode == 0
