"""The OAuth 2.0 keys are judged as the password ones are: what each provider needs, the secret
files' shape and privacy, and never a token over a connection without TLS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailgw.config.model import AuthMethod, Gateway, OAuth2Provider, Security, Settings
from mailgw.config.validate import Severity, validate

GUID = "11111111-2222-3333-4444-555555555555"
OAUTH2 = "smtp.auth.oauth2."


def _secret(tmp_path: Path, text: str = "s3cret\n", mode: int = 0o600, name="client.secret") -> str:
    path = tmp_path / name
    path.write_text(text)
    path.chmod(mode)
    return str(path)


def _settings(tmp_path: Path, provider: str = "microsoft", **oauth2: str) -> Settings:
    settings = Settings()
    smtp = settings.smtp
    smtp.gateway, smtp.host, smtp.security = Gateway.CUSTOM, "smtp.office365.com", Security.STARTTLS
    smtp.auth.enabled, smtp.auth.method, smtp.auth.username = True, AuthMethod.OAUTH2, "a@b.example"
    smtp.auth.oauth2.provider = OAuth2Provider(provider)
    settings.email.from_address = "a@b.example"
    if provider == "microsoft":
        smtp.auth.oauth2.tenant, smtp.auth.oauth2.client_id = GUID, GUID
        smtp.auth.oauth2.client_secret_file = _secret(tmp_path)
    for key, value in oauth2.items():
        setattr(smtp.auth.oauth2, key, value)
    return settings


def _errors(settings: Settings) -> dict[str, str]:
    return {p.key: p.message for p in validate(settings) if p.severity == Severity.ERROR}


def test_a_complete_microsoft_sign_in_has_no_problem(tmp_path: Path) -> None:
    assert validate(_settings(tmp_path)) == []


@pytest.mark.parametrize("tenant", [GUID, "fleetco.onmicrosoft.com", "FleetCo.com"])
def test_a_tenant_is_a_guid_or_a_domain(tmp_path: Path, tenant: str) -> None:
    assert _errors(_settings(tmp_path, tenant=tenant)) == {}


@pytest.mark.parametrize("tenant", ["fleetco", "11111111-2222", "192.0.2.1", "a b.example"])
def test_anything_else_is_not_a_tenant(tmp_path: Path, tenant: str) -> None:
    assert "neither a tenant ID" in _errors(_settings(tmp_path, tenant=tenant))[OAUTH2 + "tenant"]


def test_microsoft_client_ids_are_guids(tmp_path: Path) -> None:
    errors = _errors(_settings(tmp_path, client_id="my-app"))
    assert "Overview page" in errors[OAUTH2 + "client_id"]


def test_oauth2_over_no_tls_is_an_error_even_to_loopback(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    settings.smtp.security, settings.smtp.host = Security.NONE, "127.0.0.1"
    assert "unencrypted" in _errors(settings)["smtp.security"]


@pytest.mark.parametrize(
    ("provider", "missing"),
    [
        ("microsoft", {"tenant", "client_id", "client_secret_file"}),
        ("google", {"service_account_file"}),
        ("custom", {"token_url", "client_id", "client_secret_file", "scope"}),
    ],
)
def test_each_provider_names_what_it_lacks(tmp_path: Path, provider: str, missing: set) -> None:
    settings = _settings(tmp_path, provider, tenant="", client_id="", client_secret_file="")
    assert {key.removeprefix(OAUTH2) for key in _errors(settings)} == missing


def test_a_missing_secret_file_is_named_with_its_fix(tmp_path: Path) -> None:
    settings = _settings(tmp_path, client_secret_file=str(tmp_path / "nowhere.secret"))
    assert "does not exist" in _errors(settings)[OAUTH2 + "client_secret_file"]
    settings = _settings(tmp_path, client_secret_file="")
    problem = next(p for p in validate(settings) if p.key == OAUTH2 + "client_secret_file")
    assert problem.command_fix == "use `mailgw set-secret`"


@pytest.mark.parametrize(("mode", "severity"), [(0o644, Severity.ERROR), (0o640, Severity.WARNING)])
def test_a_secret_others_can_read_is_judged_like_the_password(tmp_path, mode, severity) -> None:
    settings = _settings(tmp_path, client_secret_file=_secret(tmp_path, mode=mode, name="x"))
    [problem] = [p for p in validate(settings) if p.key == OAUTH2 + "client_secret_file"]
    assert problem.severity == severity and "chmod 600" in problem.message


def test_an_empty_secret_file_is_an_error(tmp_path: Path) -> None:
    settings = _settings(tmp_path, client_secret_file=_secret(tmp_path, "\n", name="empty"))
    assert "is empty" in _errors(settings)[OAUTH2 + "client_secret_file"]


@pytest.mark.parametrize("text", ["not json", "[]", json.dumps({"client_email": "x"})])
def test_a_service_account_file_must_be_a_key(tmp_path: Path, text: str) -> None:
    key = _secret(tmp_path, text, name="key.json")
    settings = _settings(tmp_path, "google", service_account_file=key)
    assert "not a service account key" in _errors(settings)[OAUTH2 + "service_account_file"]


@pytest.mark.parametrize("url", ["http://login.example/token", "login.example/token", "https://"])
def test_a_token_url_is_https(tmp_path: Path, url: str) -> None:
    assert "https://" in _errors(_settings(tmp_path, token_url=url))[OAUTH2 + "token_url"]


def test_the_oauth2_keys_are_not_judged_for_a_password_login(tmp_path: Path) -> None:
    settings = _settings(tmp_path, tenant="nonsense", client_id="nonsense")
    settings.smtp.auth.method = AuthMethod.PASSWORD
    settings.smtp.auth.password = "pw"
    assert not any(p.key.startswith(OAUTH2) for p in validate(settings))


def test_a_copy_is_independent_down_to_the_oauth2_table(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    copy = settings.copy()
    copy.smtp.auth.oauth2.tenant = "other.example"
    assert settings.smtp.auth.oauth2.tenant == GUID


# ------------------------------------------------ the receiving mailbox signs in with the same app


def _mailbox(settings: Settings, security: Security = Security.SSL) -> Settings:
    receive = settings.receive
    receive.host, receive.security, receive.username = "127.0.0.1", security, "inbox@b.example"
    receive.auth.method = AuthMethod.OAUTH2
    return settings


def test_an_oauth2_mailbox_needs_no_password_file(tmp_path: Path) -> None:
    assert _errors(_mailbox(_settings(tmp_path))) == {}


def test_an_oauth2_mailbox_needs_the_app_even_when_smtp_logs_in_by_password(
    tmp_path: Path,
) -> None:
    settings = _mailbox(_settings(tmp_path))
    settings.smtp.auth.method = AuthMethod.PASSWORD
    settings.smtp.auth.password = "pw"
    settings.smtp.auth.oauth2.client_secret_file = ""
    assert set(_errors(settings)) == {OAUTH2 + "client_secret_file"}


def test_the_apps_problems_are_said_once_when_both_use_it(tmp_path: Path) -> None:
    settings = _mailbox(_settings(tmp_path, client_id=""))
    keys = [p.key for p in validate(settings) if p.severity == Severity.ERROR]
    assert keys == [OAUTH2 + "client_id"]


def test_an_oauth2_mailbox_without_tls_is_refused_even_on_loopback(tmp_path: Path) -> None:
    errors = _errors(_mailbox(_settings(tmp_path), Security.NONE))
    assert list(errors) == ["receive.security"] and "unencrypted" in errors["receive.security"]
