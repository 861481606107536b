"""`mailgw test-send`, `token` and `set-secret` with method = oauth2, as an admin runs them:
the installed command against the loopback token endpoint and an XOAUTH2 SMTP server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tomlkit

from mailgw.config import store
from tests.smtp.conftest import RECIPIENT, private_file
from tests.support.oauth_server import CLIENT_SECRET, TOKEN_SENTINEL_PREFIX, Authority
from tests.support.smtpserver import smtp_server

MAILGW = Path(sys.executable).with_name("mailgw")


def _mailgw(config: Path, ca_file: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "MAILGW_CONFIG": str(config), "MAILGW_CA_FILE": ca_file, "LANG": "C"}
    return subprocess.run(
        [str(MAILGW), *args], input=stdin, capture_output=True, text=True, env=env, timeout=60
    )


def _write(config: Path, port: int, security: str, auth: dict[str, Any]) -> None:
    document = {
        "smtp": {
            "gateway": "custom", "host": "127.0.0.1", "port": port, "security": security,
            "timeout": 15, "helo_name": "client.example.test", "auth": auth,
        },
        "email": {"from_address": auth["username"]},
    }  # fmt: skip
    config.write_text(tomlkit.dumps(document))


def _microsoft(authority: Authority, endpoint: Any, tmp_path: Path) -> dict[str, Any]:
    secret = private_file(tmp_path / "client.secret", authority.client_secret + "\n")
    oauth2 = {
        "provider": "microsoft", "tenant": authority.tenant_domain,
        "client_id": authority.client_id, "client_secret_file": secret,
        "token_url": endpoint.microsoft_url,
    }  # fmt: skip
    return {"enabled": True, "method": "oauth2", "username": "fleet@fleetco.example",
            "oauth2": oauth2}  # fmt: skip


def _google(authority: Authority, endpoint: Any, tmp_path: Path) -> dict[str, Any]:
    key = private_file(tmp_path / "key.json", authority.service_account_json(endpoint.google_url))
    oauth2 = {"provider": "google", "service_account_file": key}
    return {"enabled": True, "method": "oauth2", "username": "fleet@fleetco.example",
            "oauth2": oauth2}  # fmt: skip


def _assert_clean(*texts: str, authority: Authority) -> None:
    for text in texts:
        assert CLIENT_SECRET not in text and TOKEN_SENTINEL_PREFIX not in text
        for token in authority.issued:
            assert token[len(TOKEN_SENTINEL_PREFIX) :] not in text


@pytest.mark.parametrize(("provider", "security"), [("microsoft", "starttls"), ("google", "ssl")])
def test_test_send_succeeds_end_to_end(
    tmp_path, config_path, authority, endpoint, good_cert, ca_file, provider, security
) -> None:
    auth = (_microsoft if provider == "microsoft" else _google)(authority, endpoint, tmp_path)
    with smtp_server(security, cert=good_cert, oauth=authority) as server:
        _write(config_path, server.port, security, auth)
        checked = _mailgw(config_path, ca_file, "check")
        sent = _mailgw(config_path, ca_file, "test-send", "--to", RECIPIENT, "--transcript")
        as_json = _mailgw(config_path, ca_file, "test-send", "--to", RECIPIENT, "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "✓ OAuth token" in sent.stdout and "AUTH XOAUTH2 ********" in sent.stdout
    assert sent.stderr == "" and "Warning" not in sent.stdout  # no library noise for the admin
    data = json.loads(as_json.stdout)
    assert data["ok"] and data["stages"][0]["name"] == "token"
    assert len(server.recorder.messages) == 2
    _assert_clean(sent.stdout, sent.stderr, as_json.stdout, authority=authority)


def test_token_command_gets_a_token_without_the_smtp_server(
    tmp_path, config_path, authority, endpoint, ca_file
) -> None:
    _write(config_path, 1, "starttls", _microsoft(authority, endpoint, tmp_path))
    result = _mailgw(config_path, ca_file, "token", "--json")
    data = json.loads(result.stdout)
    assert (
        result.returncode == 0 and data["ok"] and [s["name"] for s in data["stages"]] == ["token"]
    )
    _assert_clean(result.stdout, result.stderr, authority=authority)


def test_token_command_fails_with_the_entra_reason(
    tmp_path, config_path, authority, endpoint, ca_file
) -> None:
    auth = _microsoft(authority, endpoint, tmp_path)
    Path(auth["oauth2"]["client_secret_file"]).write_text("stale-secret\n")
    _write(config_path, 1, "starttls", auth)
    result = _mailgw(config_path, ca_file, "token")
    assert result.returncode == 1
    assert "AADSTS7000215" in result.stdout and "(`mailgw set-secret`)" in result.stdout


def test_set_secret_stores_the_secret_in_a_private_file_and_names_it(
    tmp_path, config_path, authority, endpoint, ca_file
) -> None:
    auth = _microsoft(authority, endpoint, tmp_path)
    del auth["oauth2"]["client_secret_file"]
    _write(config_path, 1, "starttls", auth)
    before = _mailgw(config_path, ca_file, "check")
    assert before.returncode == 1 and "mailgw set-secret" in before.stdout
    stored = _mailgw(config_path, ca_file, "set-secret", "--stdin", stdin=CLIENT_SECRET + "\n")
    assert stored.returncode == 0, stored.stderr
    secret_file = Path(store.load(config_path).settings.smtp.auth.oauth2.client_secret_file)
    assert secret_file == config_path.parent / "oauth2-client.secret"
    assert secret_file.read_text().strip() == CLIENT_SECRET
    assert secret_file.stat().st_mode & 0o077 == 0
    assert CLIENT_SECRET not in config_path.read_text()
    assert _mailgw(config_path, ca_file, "token").returncode == 0
    _assert_clean(stored.stdout, stored.stderr, authority=authority)


def test_set_secret_refuses_an_empty_secret_and_keeps_the_file(
    tmp_path, config_path, authority, endpoint, ca_file
) -> None:
    _write(config_path, 1, "starttls", _microsoft(authority, endpoint, tmp_path))
    before = config_path.read_bytes()
    result = _mailgw(config_path, ca_file, "set-secret", "--stdin", stdin="\n")
    assert result.returncode == 2 and "empty" in result.stderr
    assert config_path.read_bytes() == before


@pytest.mark.parametrize("offers_xoauth2", [True, False])
def test_detect_says_when_the_recommended_port_takes_no_token(
    tmp_path, config_path, authority, endpoint, good_cert, ca_file, offers_xoauth2
) -> None:
    oauth = authority if offers_xoauth2 else None
    with smtp_server("starttls", cert=good_cert, oauth=oauth) as server:
        _write(config_path, server.port, "starttls", _microsoft(authority, endpoint, tmp_path))
        ports = f"{server.port}:starttls"
        result = _mailgw(config_path, ca_file, "detect", "127.0.0.1", "--ports", ports)
    assert result.returncode == 0, result.stdout + result.stderr
    warned = "does not offer AUTH XOAUTH2" in result.stdout
    assert warned is not offers_xoauth2
    assert authority.requests == []  # detect logs in to nothing: no token is fetched


SWEEP = [
    ("show",), ("show", "--json"), ("show", "--show-secrets"), ("check", "--json"),
    ("backups",), ("backups", "--json"), ("token", "--transcript"), ("token", "--json"),
    ("probe", "--transcript"), ("probe", "--json"),
    ("test-send", "--to", RECIPIENT, "--transcript"), ("test-send", "--to", RECIPIENT, "--json"),
]  # fmt: skip


def test_no_command_prints_the_client_secret_or_a_token(
    tmp_path, config_path, authority, endpoint, good_cert, ca_file
) -> None:
    """The secret goes in through set-secret; every command then runs, sending ones included,
    and its output is searched for the secret, every token issued and any traceback."""
    auth = _microsoft(authority, endpoint, tmp_path)
    del auth["oauth2"]["client_secret_file"]
    with smtp_server("starttls", cert=good_cert, oauth=authority) as server:
        _write(config_path, server.port, "starttls", auth)
        child = subprocess.Popen(
            [str(MAILGW), "set-secret", "--stdin"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "MAILGW_CONFIG": str(config_path)},
        )  # fmt: skip
        argv = Path(f"/proc/{child.pid}/cmdline").read_bytes()
        out, err = child.communicate(CLIENT_SECRET + "\n", timeout=60)
        assert child.returncode == 0, err
        runs = {" ".join(args): _mailgw(config_path, ca_file, *args) for args in SWEEP}
    assert CLIENT_SECRET.encode() not in argv
    assert len(server.recorder.messages) == 2 and authority.issued  # the secret was used
    for what, result in runs.items():
        assert result.returncode == 0, f"{what}: {result.stdout}{result.stderr}"
        assert "Traceback" not in result.stdout + result.stderr, what
        _assert_clean(result.stdout, result.stderr, out, err, authority=authority)
