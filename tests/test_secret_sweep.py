"""Issue 7 across the whole product: a password set once is in no command's output, ever.

The password goes in through `set-password --stdin`, as a script would; then every headless
command runs as a real process (successful and failing sends included, the DNS commands against
loopback servers) and its stdout and stderr are searched for the password and its base64 forms.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.dnsserver import LoopbackDNSServer, Zone
from tests.support.ports import free_port
from tests.support.smtpserver import Behaviour, smtp_server

SENTINEL = "Sentinel-pa55:wörd"
MAILBOX_SENTINEL = "Mailbox-Sentinel-7q!x"  # the [receive] mailbox's password
USER = "fleet@example.com"


def _forms(secret: str, user: str) -> list[str]:
    """The password and what carries it on the wire: AUTH PLAIN and AUTH LOGIN payloads."""
    raw = [secret.encode(), f"\0{user}\0{secret}".encode(), f"{user}\0{user}\0{secret}".encode()]
    forms = [secret]
    for data in raw:
        encoded = base64.b64encode(data).decode()
        forms += [encoded, encoded.rstrip("=")]
    return forms


def _mailgw(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "MAILGW_CONFIG"}
    return subprocess.run(
        [sys.executable, "-m", "mailgw", "--config", str(config), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=90,
    )


@pytest.fixture
def configured(config_path: Path) -> Path:
    """A custom loopback server with a login whose password is the sentinel."""
    stored = _mailgw(config_path, "set-password", "--stdin", stdin=SENTINEL + "\n")
    assert stored.returncode == 0, stored.stderr
    result = _mailgw(
        config_path,
        "set",
        "smtp.gateway=custom",
        "smtp.host=127.0.0.1",
        f"smtp.port={free_port()}",
        "smtp.security=none",
        "smtp.timeout=5",
        "smtp.auth.enabled=true",
        f"smtp.auth.username={USER}",
        "email.from_address=alerts@example.com",
    )
    assert result.returncode == 0, result.stderr
    assert SENTINEL in config_path.read_text("utf-8")  # it really is there to leak
    mailbox = _mailgw(config_path, "set-password", "--receive", "--stdin", stdin=MAILBOX_SENTINEL)
    assert mailbox.returncode == 0, mailbox.stderr
    receive = ["receive.host=127.0.0.1", "receive.security=none", f"receive.port={free_port()}"]
    assert _mailgw(config_path, "set", *receive, f"receive.username={USER}").returncode == 0
    return config_path


def _assert_clean(result: subprocess.CompletedProcess[str], what: str) -> None:
    output = result.stdout + result.stderr
    leaked = [form for form in [*_forms(SENTINEL, USER), MAILBOX_SENTINEL] if form in output]
    assert leaked == [], f"{what} printed the password ({leaked})"
    assert "Traceback" not in output, f"{what} printed a traceback"


@pytest.fixture
def dns_zone() -> Zone:
    zone = Zone()
    zone.add_txt("example.com", "v=spf1 ip4:127.0.0.1 -all")
    zone.add("example.com", "MX", "10 mail.example.com.")
    return zone


COMMANDS: list[tuple[str, ...]] = [
    ("show",),
    ("show", "--json"),
    ("check",),
    ("check", "--json"),
    ("path",),
    ("schema",),
    ("backups",),
    ("backups", "--json"),
    ("set", "email.from_name=Fleet alerts"),
    ("unset", "email.from_name"),
    ("set", "smtp.auth.password=guess"),
    ("records", "--offline"),
    ("records", "--offline", "--json"),
    ("probe", "--transcript"),
    ("probe", "--json"),
    ("test-send", "--to", "ops@example.com", "--transcript"),
    ("test-send", "--to", "ops@example.com", "--json"),
    ("test-send", "--to", "<broken"),
    ("detect", "127.0.0.1", "--ports", "PORT:starttls", "--timeout", "2", "--json"),
    ("receive-check",),
    ("receive-check", "--json"),
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: " ".join(args))
def test_no_command_prints_the_password(configured: Path, args: tuple[str, ...]) -> None:
    args = tuple(arg.replace("PORT", str(free_port())) for arg in args)
    _assert_clean(_mailgw(configured, *args), " ".join(args))


def test_dns_commands_print_no_password(configured: Path, dns_zone: Zone, tmp_path: Path) -> None:
    message = tmp_path / "received.eml"
    message.write_text("From: alerts@example.com\nTo: ops@example.com\nSubject: hi\n\nbody\n")
    with LoopbackDNSServer(dns_zone) as server:
        ns = ("--nameserver", server.nameserver, "--timeout", "1")
        runs = {
            "dns": _mailgw(configured, "dns", "--domain", "example.com", *ns, "--no-authoritative"),
            "records": _mailgw(configured, "records", *ns),
            "spf": _mailgw(configured, "spf", "--ip", "127.0.0.1", "--sender", USER, *ns),
            "dkim-verify": _mailgw(configured, "dkim-verify", str(message), *ns),
        }
    for what, result in runs.items():
        assert result.returncode in (0, 1), f"{what}: {result.stderr}"
        _assert_clean(result, what)


def test_a_successful_login_and_send_print_no_password(configured: Path) -> None:
    behaviour = Behaviour(username=USER, password=SENTINEL)
    with smtp_server("plain", behaviour=behaviour, auth_required=True) as server:
        _mailgw(configured, "set", f"smtp.port={server.port}")
        sent = _mailgw(configured, "test-send", "--to", "ops@example.com", "--transcript")
        probed = _mailgw(configured, "probe", "--json", "--transcript")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert len(server.recorder.logins) == 2  # both logged in: the password went over the wire
    assert "AUTH" in sent.stdout  # the transcript is there, masked
    _assert_clean(sent, "test-send")
    _assert_clean(probed, "probe")


def test_setup_plain_interrupted_prints_no_password(configured: Path) -> None:
    _assert_clean(_mailgw(configured, "setup", "--plain", stdin="\n\n"), "setup --plain")


def test_the_search_finds_a_password_that_is_shown(configured: Path) -> None:
    """Control: the one command that reveals the password on request is caught by the search."""
    revealed = _mailgw(configured, "show", "--show-secrets")
    with pytest.raises(AssertionError, match="printed the password"):
        _assert_clean(revealed, "show --show-secrets")
