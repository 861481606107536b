"""Fixtures for the live SMTP tests: a trustme CA, certificates, settings pointing at 127.0.0.1."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trustme

from mailgw.config.model import Gateway, Security, Settings
from tests.support.smtpserver import SERVER_NAME

SENTINEL_USER = "fleet@example.com"
SENTINEL_PASSWORD = "Sentinel-Pa55w0rd-7f3a!"
RECIPIENT = "ops@example.net"


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(scope="session")
def good_cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert(SERVER_NAME, "127.0.0.1", "localhost")


@pytest.fixture(scope="session")
def wrong_host_cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("other.example.test")


@pytest.fixture(scope="session")
def expired_cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert(
        SERVER_NAME,
        "127.0.0.1",
        not_before=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc),
        not_after=dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc),
    )


@pytest.fixture(scope="session")
def unknown_ca_cert() -> trustme.LeafCert:
    return trustme.CA().issue_cert(SERVER_NAME, "127.0.0.1")


@pytest.fixture
def password_file(tmp_path: Path) -> str:
    path = tmp_path / "smtp.password"
    path.write_text(SENTINEL_PASSWORD + "\n")
    path.chmod(0o600)
    return str(path)


@pytest.fixture
def make_settings(password_file: str) -> Callable[..., Settings]:
    """Settings for a custom server on 127.0.0.1 (or `host`), auth off unless asked."""

    def make(port: int, security: str = "none", *, auth: bool = False, **smtp: Any) -> Settings:
        settings = Settings()
        settings.smtp.gateway = Gateway.CUSTOM
        settings.smtp.host = smtp.pop("host", "127.0.0.1")
        settings.smtp.port = port
        settings.smtp.security = Security(security)
        settings.smtp.timeout = smtp.pop("timeout", 10.0)
        settings.smtp.helo_name = "client.example.test"
        for key, value in smtp.items():
            setattr(settings.smtp, key, value)
        settings.smtp.auth.enabled = auth
        settings.smtp.auth.username = SENTINEL_USER
        settings.smtp.auth.password_file = password_file
        settings.email.from_address = "alerts@example.com"
        settings.email.from_name = "Fleet Alerts"
        settings.email.signature = "Regards,\nThe fleet team"
        return settings

    return make


def secret_forms() -> list[str]:
    """The password and every base64 form an AUTH exchange could carry."""
    blobs = [
        SENTINEL_PASSWORD.encode(),
        f"\0{SENTINEL_USER}\0{SENTINEL_PASSWORD}".encode(),
    ]
    forms = [SENTINEL_PASSWORD]
    for blob in blobs:
        encoded = base64.b64encode(blob).decode()
        forms += [encoded, encoded.rstrip("=")]
    return forms


def assert_no_secret(*texts: object) -> None:
    for text in texts:
        shown = text if isinstance(text, str) else json.dumps(text, default=str)
        for form in secret_forms():
            assert form not in shown


# ---------------------------------------------------------------- OAuth 2.0


@pytest.fixture
def authority() -> Any:
    from tests.support.oauth_server import Authority

    return Authority()


@pytest.fixture
def endpoint(authority: Any, good_cert: trustme.LeafCert) -> Any:
    """The token endpoint on 127.0.0.1 (HTTPS with the trustme CA), running for the test."""
    from tests.support.oauth_server import token_endpoint

    with token_endpoint(authority, good_cert) as running:
        yield running


def private_file(path: Path, text: str) -> str:
    path.write_text(text)
    path.chmod(0o600)
    return str(path)


@pytest.fixture
def make_oauth_settings(
    make_settings: Callable[..., Settings], authority: Any, endpoint: Any, tmp_path: Path
) -> Callable[..., Settings]:
    """Settings that sign in to `endpoint` with OAuth 2.0: provider microsoft or google."""
    from mailgw.config.model import AuthMethod, OAuth2Provider

    def make(port: int, security: str, provider: str = "microsoft", **oauth2: Any) -> Settings:
        settings = make_settings(port, security, auth=True)
        auth = settings.smtp.auth
        auth.method, auth.password_file = AuthMethod.OAUTH2, ""
        auth.username = sorted(authority.mailboxes)[0]
        settings.email.from_address = auth.username
        auth.oauth2.provider = OAuth2Provider(provider)
        if provider == "google":
            key = authority.service_account_json(endpoint.google_url)
            auth.oauth2.service_account_file = private_file(tmp_path / "google-key.json", key)
        else:
            secret = private_file(tmp_path / "client.secret", authority.client_secret + "\n")
            auth.oauth2.client_secret_file = secret
            auth.oauth2.tenant, auth.oauth2.client_id = authority.tenant, authority.client_id
            auth.oauth2.token_url = endpoint.microsoft_url
        for key, value in oauth2.items():
            setattr(auth.oauth2, key, value)
        return settings

    return make
