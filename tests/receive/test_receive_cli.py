"""test-send --receive and receive-check against real parts: aiosmtpd relays the test send (it
signs with dkimpy, as the platform's gateway does, and adds the receiver's headers) into Dovecot
on 127.0.0.1, the key is served by a loopback DNS server, and mailgw runs as a real process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import trustme

from tests.dns.keys import sign
from tests.smtp.conftest import private_file
from tests.support.dovecot import PASSWORD, USER, DovecotMissing, RunningDovecot, dovecot_server
from tests.support.oauth_server import (
    CLIENT_SECRET,
    TOKEN_SENTINEL_PREFIX,
    Authority,
    RunningEndpoint,
)
from tests.support.ports import free_port
from tests.support.smtpserver import Behaviour, smtp_server

from .conftest import KEY, RECEIVER, SENDER, Relay, received_by_receiver, signed


@pytest.fixture
def run(
    tmp_path: Path, ca: trustme.CA, dovecot: RunningDovecot, nameserver: str
) -> Callable[..., subprocess.CompletedProcess[str]]:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    config = tmp_path / "gw.toml"
    password = tmp_path / "mailbox.password"
    password.write_text(PASSWORD + "\n")
    password.chmod(0o600)

    def mailgw(
        *args: str,
        relay: Relay = signed,
        folder: str = "INBOX",
        interrupt: signal.Signals | None = None,
        **receive: str,
    ):
        def deliver(message: bytes) -> None:
            relayed = relay(message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
            if relayed:  # b"": lost on the way
                dovecot.deliver(relayed, folder)

        with smtp_server(behaviour=Behaviour(on_message=deliver)) as smtp:
            settings = {
                "smtp.gateway": "custom",
                "smtp.host": "127.0.0.1",
                "smtp.security": "none",
                "smtp.port": str(smtp.port),
                "smtp.timeout": "10",
                "email.from_address": SENDER,
                "receive.host": "127.0.0.1",
                "receive.port": str(dovecot.imaps_port),
                "receive.username": USER,
                "receive.password_file": str(password),
                **receive,
            }
            env = {**os.environ, "MAILGW_CA_FILE": str(ca_file)}
            env.pop("MAILGW_CONFIG", None)
            base = [sys.executable, "-m", "mailgw", "--config", str(config)]
            setting = [f"{k}={v}" for k, v in settings.items()]
            done = subprocess.run([*base, "set", *setting], capture_output=True, text=True, env=env)
            assert done.returncode == 0, done.stderr
            dns = ["--nameserver", nameserver] if args[0] == "test-send" else []
            if interrupt is not None:
                return interrupted_while_waiting([*base, *args, *dns], env, dovecot, interrupt)
            return subprocess.run(
                [*base, *args, *dns], capture_output=True, text=True, env=env, timeout=90
            )

    return mailgw


def interrupted_while_waiting(
    argv: list[str], env: dict[str, str], dovecot: RunningDovecot, sig: signal.Signals
) -> subprocess.CompletedProcess[str]:
    """Run the command, and signal it once Dovecot has logged it in (it is then waiting)."""
    logins = dovecot.log().count("Login: user=")
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while dovecot.log().count("Login: user=") == logins and time.monotonic() < deadline:
            time.sleep(0.02)  # until the mailbox took the login (not a wait in an app test)
        process.send_signal(sig)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    return subprocess.CompletedProcess(argv, process.returncode, out, err)


def send(run: Callable[..., subprocess.CompletedProcess[str]], **options: object):
    wait = str(options.pop("wait", 20))
    result = run("test-send", "--to", USER, "--receive", "--wait", wait, "--json", **options)
    assert PASSWORD not in result.stdout + result.stderr
    return result, json.loads(result.stdout) if result.stdout.strip() else {}


def test_a_signed_copy_in_the_inbox_is_proven(run) -> None:
    result, data = send(run)
    assert result.returncode == 0, result.stdout + result.stderr
    received = data["received"]
    assert (received["found"], received["folder"], received["proven"]) == (True, "INBOX", True)
    assert received["dkim"] == [
        {"domain": "example.com", "selector": "mte1", "result": "pass", "aligned": True,
         "why": received["dkim"][0]["why"]}
    ]  # fmt: skip
    verdicts = {
        (a["authserv_id"], a["method"], a["result"]) for a in received["authentication_results"]
    }
    assert verdicts == {(RECEIVER, "dkim", "pass"), (RECEIVER, "spf", "pass")}
    assert received["hops"][-1]["by_host"] == RECEIVER and received["hops"][-1]["tls"] is True
    assert data["ok"] is True and data["test_id"]


def test_the_text_report_ends_with_one_verdict(run) -> None:
    result = run("test-send", "--to", USER, "--receive", "--wait", "20")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "found in INBOX" in result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith("proven: dkim=pass aligned")


def test_a_copy_in_junk_is_a_finding_with_its_fix(run) -> None:
    result, data = send(run, folder="Junk")
    assert data["received"]["folder"] == "Junk"
    assert "Junk" in data["received"]["verdict"] and "DMARC" in data["received"]["fix"]


def test_a_copy_that_never_arrives_ends_at_the_deadline(run) -> None:
    result, data = send(run, relay=lambda message: b"", wait=3)
    assert result.returncode == 1
    assert data["received"]["found"] is False and "3 s" in data["received"]["verdict"]


def test_a_wrong_mailbox_password_could_not_run(run, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.password"
    wrong.write_text("not-the-password\n")
    wrong.chmod(0o600)
    result, data = send(run, **{"receive.password_file": str(wrong)})
    assert result.returncode == 2
    assert data["received"]["category"] == "auth_failed"
    assert "not-the-password" not in result.stdout + result.stderr


def test_a_forged_result_that_arrived_with_the_message_is_ignored(run) -> None:
    def forged_then_changed(message: bytes) -> bytes:
        forged = f"Authentication-Results: {RECEIVER}; dkim=pass header.d=example.com\r\n"
        signed_copy = sign(message, KEY, "example.com", "mte1")
        changed = signed_copy + b"A footer a relay added.\r\n"  # the body hash no longer matches
        return received_by_receiver(forged.encode() + changed, dkim="fail")

    result, data = send(run, relay=forged_then_changed)
    received = data["received"]
    assert result.returncode == 1
    dkim_verdicts = [
        a["result"] for a in received["authentication_results"] if a["method"] == "dkim"
    ]
    assert dkim_verdicts == ["fail"]  # the receiver's, not the forged pass below its Received
    assert received["ignored_authentication_results"] == 1
    assert received["dkim"][0]["result"] == "fail"
    assert "body" in received["dkim"][0]["why"]


def test_tls_refused_when_the_certificate_is_not_trusted(run, tmp_path: Path) -> None:
    result, data = send(run, **{"receive.host": "localhost"})  # the certificate names 127.0.0.1
    assert result.returncode == 2
    assert data["received"]["category"] == "certificate"


def test_starttls_not_offered_is_refused_before_the_login(ca: trustme.CA, run) -> None:
    try:
        server = dovecot_server(ca.issue_cert("127.0.0.1"), starttls=False)
        with server as plain:
            result = run("receive-check", "--json", **{"receive.port": str(plain.imap_port),
                         "receive.security": "starttls"})  # fmt: skip
    except DovecotMissing as exc:
        pytest.skip(str(exc))
    assert result.returncode == 2
    assert json.loads(result.stdout)["category"] == "starttls_unavailable"


def test_receive_check_logs_in_without_sending(run) -> None:
    result = run("receive-check", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["folders"] == ["INBOX", "Junk"] and data["idle"] is True
    assert [s["name"] for s in data["stages"]] == ["connect", "login"]
    assert PASSWORD not in result.stdout + result.stderr


def test_plain_text_to_loopback_only(run) -> None:
    free = str(free_port())
    result = run("receive-check", **{"receive.security": "none", "receive.port": free})
    assert result.returncode == 2 and "refused" in result.stdout


@pytest.mark.parametrize(
    ("sig", "code", "name"), [(signal.SIGINT, 130, "SIGINT"), (signal.SIGTERM, 143, "SIGTERM")]
)
def test_interrupted_while_waiting_for_the_copy(
    run, dovecot: RunningDovecot, sig: signal.Signals, code: int, name: str
) -> None:
    never = run("test-send", "--to", USER, "--receive", "--wait", "600", "--json",
                relay=lambda message: b"", interrupt=sig)  # fmt: skip
    assert never.returncode == code, never.stdout + never.stderr
    assert never.stderr.count("\n") == 1 and "Traceback" not in never.stderr
    assert "interrupted; the mailbox connection was closed" in never.stderr
    assert json.loads(never.stdout)["interrupted"] == name


# ------------------------------------------------------ the mailbox signs in with OAuth 2.0


def google_mailbox(tmp_path: Path, authority: Authority, endpoint: RunningEndpoint) -> dict:
    key = private_file(tmp_path / "sa.json", authority.service_account_json(endpoint.google_url))
    return {
        "receive.auth.method": "oauth2",
        "smtp.auth.oauth2.provider": "google",
        "smtp.auth.oauth2.service_account_file": key,
        "smtp.auth.oauth2.token_url": endpoint.google_url,
    }


def microsoft_mailbox(tmp_path: Path, authority: Authority, endpoint: RunningEndpoint) -> dict:
    return {
        "receive.auth.method": "oauth2",
        "smtp.auth.oauth2.provider": "microsoft",
        "smtp.auth.oauth2.tenant": authority.tenant,
        "smtp.auth.oauth2.client_id": authority.client_id,
        "smtp.auth.oauth2.client_secret_file": private_file(
            tmp_path / "client.secret", CLIENT_SECRET + "\n"
        ),
        "smtp.auth.oauth2.token_url": endpoint.microsoft_url,
    }


def assert_no_secret(result: subprocess.CompletedProcess[str]) -> None:
    shown = result.stdout + result.stderr
    assert TOKEN_SENTINEL_PREFIX not in shown and CLIENT_SECRET not in shown
    assert "PRIVATE KEY" not in shown


@pytest.mark.parametrize("mailbox", [google_mailbox, microsoft_mailbox], ids=["google", "ms"])
def test_receive_check_signs_in_with_the_smtp_apps_token(
    run, tmp_path: Path, authority: Authority, endpoint: RunningEndpoint, mailbox
) -> None:
    result = run("receive-check", "--json", **mailbox(tmp_path, authority, endpoint))
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert [s["name"] for s in data["stages"]] == ["token", "connect", "login"]
    assert_no_secret(result)


def test_a_send_verified_through_an_oauth2_mailbox_is_proven(
    run, tmp_path: Path, authority: Authority, endpoint: RunningEndpoint
) -> None:
    result, data = send(run, **google_mailbox(tmp_path, authority, endpoint))
    assert result.returncode == 0, result.stdout + result.stderr
    assert data["received"]["proven"] is True
    assert [s["name"] for s in data["received"]["connection"]] == ["token", "connect", "login"]
    assert_no_secret(result)


def test_an_app_without_the_imap_permission_is_told_to_add_it(
    run, tmp_path: Path, authority: Authority, endpoint: RunningEndpoint,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(authority, "imap_consented", False)  # SMTP.SendAsApp only
    result = run("receive-check", "--json", **microsoft_mailbox(tmp_path, authority, endpoint))
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert data["category"] == "auth_failed" and "IMAP.AccessAsApp" in data["fix"]
    assert_no_secret(result)


def test_a_google_mailbox_outside_the_domain_names_receive_username(
    run, tmp_path: Path, authority: Authority, endpoint: RunningEndpoint
) -> None:
    settings = {**google_mailbox(tmp_path, authority, endpoint),
                "receive.username": "someone@elsewhere.example"}  # fmt: skip
    result = run("receive-check", "--json", **settings)
    data = json.loads(result.stdout)
    assert result.returncode == 2 and data["category"] == "token_refused"
    assert "receive.username" in data["fix"] and "someone@elsewhere.example" in data["fix"]


def test_a_token_never_goes_in_clear_even_to_loopback(
    tmp_path: Path, authority: Authority, endpoint: RunningEndpoint
) -> None:
    """`set` refuses it; a file edited by hand to it is refused before any token is asked."""
    config = tmp_path / "gw.toml"
    base = [sys.executable, "-m", "mailgw", "--config", str(config)]
    oauth = [f"{k}={v}" for k, v in google_mailbox(tmp_path, authority, endpoint).items()]
    mailbox = ["receive.host=127.0.0.1", f"receive.username={USER}", "receive.security=none"]
    refused = subprocess.run([*base, "set", *oauth, *mailbox], capture_output=True, text=True)
    assert refused.returncode == 2 and "unencrypted" in refused.stderr
    assert not config.exists()
    config.write_text(
        '[smtp]\ngateway = "custom"\nhost = "127.0.0.1"\nport = 2525\nsecurity = "none"\n'
        '[receive]\nhost = "127.0.0.1"\nport = 143\nsecurity = "none"\n'
        f'username = "{USER}"\n[receive.auth]\nmethod = "oauth2"\n'
        '[smtp.auth.oauth2]\nprovider = "google"\n'
        f'service_account_file = "{tmp_path / "sa.json"}"\n'
    )
    asked_before = len(authority.requests)
    result = subprocess.run([*base, "test-send", "--to", USER, "--receive", "--json"],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert json.loads(result.stdout)["category"] == "config_invalid"
    assert len(authority.requests) == asked_before  # no token was even asked for


# ------------------------------------------------------ a copy that comes after the wait began


def delivered_after_login(dovecot: RunningDovecot) -> Relay:
    """The relay takes the mail and delivers it only once mailgw has logged in to the mailbox
    (and a second more: its first look is then over), as a real MX queue does, late."""

    def relay(message: bytes) -> bytes:
        logins = dovecot.log().count("Login: user=")

        def deliver() -> None:
            deadline = time.monotonic() + 30
            while dovecot.log().count("Login: user=") == logins and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(1.0)
            dovecot.deliver(signed(message))

        threading.Thread(target=deliver, daemon=True).start()
        return b""

    return relay


def test_a_late_copy_wakes_the_idle_wait(run, dovecot: RunningDovecot) -> None:
    result, data = send(run, relay=delivered_after_login(dovecot))
    assert result.returncode == 0, result.stdout + result.stderr
    assert data["received"]["proven"] is True


def test_without_idle_the_wait_polls_until_the_copy_comes(ca: trustme.CA, run) -> None:
    try:
        server = dovecot_server(ca.issue_cert("127.0.0.1"), idle=False)
        with server as polled:
            check = run("receive-check", "--json", **{"receive.port": str(polled.imaps_port)})
            result, data = send(run, relay=delivered_after_login(polled),
                                **{"receive.port": str(polled.imaps_port)})  # fmt: skip
    except DovecotMissing as exc:
        pytest.skip(str(exc))
    assert json.loads(check.stdout)["idle"] is False
    assert result.returncode == 0, result.stdout + result.stderr
    assert data["received"]["found"] is True
