"""test-send --receive and receive-check against real parts: aiosmtpd relays the test send (it
signs with dkimpy, as the platform's gateway does, and adds the receiver's headers) into Dovecot
on 127.0.0.1, the key is served by a loopback DNS server, and mailgw runs as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from tests.dns.keys import rsa_key, sign
from tests.support.dnsserver import Zone, serving
from tests.support.dovecot import PASSWORD, USER, DovecotMissing, RunningDovecot, dovecot_server
from tests.support.ports import free_port
from tests.support.smtpserver import Behaviour, smtp_server

SENDER = "alerts@example.com"
RECEIVER = "mx.receiver.test"
KEY = rsa_key(1024)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def dovecot(ca: trustme.CA) -> Iterator[RunningDovecot]:
    try:
        with dovecot_server(ca.issue_cert("imap.example.test", "127.0.0.1")) as server:
            yield server
    except DovecotMissing as exc:
        pytest.skip(f"no IMAP server for the receipt tests: {exc}")


@pytest.fixture(scope="module")
def nameserver() -> Iterator[str]:
    zone = Zone().add_txt("mte1._domainkey.example.com", KEY.record)
    with serving(zone) as server:
        yield server.nameserver


def received_by_receiver(message: bytes, dkim: str = "pass") -> bytes:
    """What the receiving MX adds on top: its verdicts, then its Received header."""
    top = (
        f"Authentication-Results: {RECEIVER}; dkim={dkim} header.d=example.com; spf=pass "
        f"smtp.mailfrom={SENDER}\r\n"
        f"Received: from relay.example.test (relay.example.test [127.0.0.1]) by {RECEIVER} "
        "with ESMTPS id 1; Tue, 24 Nov 2026 00:00:02 +0000\r\n"
    )
    return top.encode() + message


Relay = Callable[[bytes], bytes]


def signed(message: bytes) -> bytes:
    return received_by_receiver(sign(message, KEY, "example.com", "mte1"))


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

    def mailgw(*args: str, relay: Relay = signed, folder: str = "INBOX", **receive: str):
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
            return subprocess.run(
                [*base, *args, *dns], capture_output=True, text=True, env=env, timeout=90
            )

    return mailgw


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
