"""The headless commands: test-send, probe and detect, their exit codes, text and JSON."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailgw import cli
from mailgw.config import store
from tests.smtp.conftest import RECIPIENT, SENTINEL_PASSWORD, SENTINEL_USER, assert_no_secret
from tests.support.ports import free_port
from tests.support.smtpserver import Behaviour, RawServer, raw_server, read_command, smtp_server

LOGIN = Behaviour(username=SENTINEL_USER, password=SENTINEL_PASSWORD)


def _write_config(path: Path, port: int, security: str, password_file: str, **extra: str) -> None:
    lines = [
        "[smtp]",
        'gateway = "custom"',
        f'host = "{extra.get("host", "127.0.0.1")}"',
        f"port = {port}",
        f'security = "{security}"',
        "timeout = 10",
        'helo_name = "client.example.test"',
        *extra.get("smtp_lines", "").splitlines(),
        "[smtp.auth]",
        f"enabled = {extra.get('auth', 'true')}",
        f'username = "{SENTINEL_USER}"',
        f'password_file = "{password_file}"',
        "[email]",
        'from_address = "alerts@example.com"',
        'from_name = "Fleet Alerts"',
        'signature = "The fleet team"',
    ]
    path.write_text("\n".join(lines) + "\n")


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        cli.run(list(argv))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@pytest.fixture
def trusted(monkeypatch, ca_file) -> None:
    monkeypatch.setenv("MAILGW_CA_FILE", ca_file)


def test_test_send_json_exit_0(capsys, config_path, password_file, good_cert, trusted) -> None:
    with smtp_server("starttls", cert=good_cert, behaviour=LOGIN) as server:
        _write_config(config_path, server.port, "starttls", password_file)
        code, out, _ = _run(
            capsys, "--config", str(config_path), "test-send", "--to", RECIPIENT, "--json"
        )
    data = json.loads(out)
    assert code == 0 and data["ok"] is True and data["category"] is None
    assert set(data) >= {"ok", "stage", "category", "message", "fix", "stages", "tls"}
    assert {"name", "ok", "ms"} == set(data["stages"][0])
    assert data["tls"]["fingerprint_sha256"] and data["transcript"]
    assert len(server.recorder.messages) == 1
    assert_no_secret(out)


def test_test_send_text_with_transcript_masks_auth(
    capsys, config_path, password_file, good_cert, trusted
) -> None:
    with smtp_server("ssl", cert=good_cert, behaviour=LOGIN) as server:
        _write_config(config_path, server.port, "ssl", password_file)
        code, out, err = _run(
            capsys,
            "--config",
            str(config_path),
            "test-send",
            "--to",
            RECIPIENT,
            "--kind",
            "report",
            "--transcript",
        )
    assert code == 0, out + err
    assert "AUTH PLAIN ********" in out and "SHA-256" in out and "ok: " in out
    assert_no_secret(out, err)


def test_failed_send_exits_1_with_category_and_fix(capsys, config_path, password_file) -> None:
    behaviour = Behaviour(username=SENTINEL_USER, password="other")
    with smtp_server("plain", behaviour=behaviour) as server:
        _write_config(config_path, server.port, "none", password_file)
        code, out, _ = _run(capsys, "--config", str(config_path), "probe")
    assert code == 1
    assert "[auth_failed]" in out and "fix: " in out
    assert_no_secret(out)


def test_invalid_config_exits_2(capsys, config_path, password_file) -> None:
    _write_config(config_path, 25, "none", password_file, host="bad host name")
    code, out, _ = _run(capsys, "--config", str(config_path), "probe", "--json")
    assert code == 2 and json.loads(out)["category"] == "config_invalid"


def test_bad_arguments_exit_2(capsys, config_path, password_file) -> None:
    _write_config(config_path, 25, "none", password_file)
    code, _, err = _run(capsys, "--config", str(config_path), "test-send", "--to", "a@b\r\nX: y")
    assert code == 2 and "line break" in err
    code, _, _ = _run(capsys, "--config", str(config_path), "detect", "--ports", "seventy")
    assert code == 2


@pytest.mark.parametrize(
    "to", ["<a@b>x", "a@b@c", "@", '"x"@[1.2.3', "a@b, c@d", "Name <a@>", "", "a@b."]
)
def test_recipient_that_is_not_one_address_exits_2_in_one_line(
    capsys, config_path, password_file, to: str
) -> None:
    _write_config(config_path, 25, "none", password_file, auth="false")
    code, out, err = _run(capsys, "--config", str(config_path), "test-send", "--to", to)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "not one email address" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("to", "header"),
    [(f"<{RECIPIENT}>", RECIPIENT), (f"Ops Desk <{RECIPIENT}>", f"Ops Desk <{RECIPIENT}>")],
)
def test_recipient_with_a_display_name_or_brackets_is_sent(
    capsys, config_path, password_file, to: str, header: str
) -> None:
    with smtp_server("plain") as server:
        _write_config(config_path, server.port, "none", password_file, auth="false")
        code, out, err = _run(capsys, "--config", str(config_path), "test-send", "--to", to)
    assert code == 0, out + err
    assert server.recorder.envelopes[0][1] == [RECIPIENT]
    assert f"To: {header}\r\n".encode() in server.recorder.messages[0]


def test_detect_recommends_implicit_tls_and_applies_it(
    capsys, config_path, password_file, good_cert, trusted
) -> None:
    with (
        smtp_server("ssl", cert=good_cert, behaviour=LOGIN) as implicit,
        smtp_server("starttls", cert=good_cert, behaviour=LOGIN) as starttls,
        smtp_server("plain") as plain,
    ):
        _write_config(config_path, 25, "none", password_file, auth="false")
        ports = f"{implicit.port}:ssl,{starttls.port}:starttls,{plain.port}"
        code, out, _ = _run(
            capsys, "--config", str(config_path), "detect", "127.0.0.1", "--ports", ports, "--json"
        )
        data = json.loads(out)
        assert code == 0
        assert data["recommended"] == {"port": implicit.port, "security": "ssl"}
        by_port = {p["port"]: p for p in data["ports"]}
        assert by_port[starttls.port]["security"] == "starttls"
        assert by_port[starttls.port]["auth_mechanisms"] == ["LOGIN", "PLAIN"]
        assert by_port[plain.port]["security"] == "none"
        assert by_port[implicit.port]["certificate_valid"] is True
        code, out, _ = _run(
            capsys, "--config", str(config_path), "detect", "127.0.0.1", "--ports", ports, "--apply"
        )
    assert code == 0 and "recommended: port" in out
    saved = store.load(config_path).settings.smtp
    assert (saved.port, saved.security.value) == (implicit.port, "ssl")


def test_detect_apply_refuses_a_certificate_that_is_not_valid_and_pins_on_request(
    capsys, config_path, password_file, unknown_ca_cert, trusted
) -> None:
    _write_config(config_path, 25, "none", password_file, auth="false")
    before = config_path.read_bytes()
    with smtp_server("ssl", cert=unknown_ca_cert) as server:
        ports = f"{server.port}:ssl"
        args = ["--config", str(config_path), "detect", "127.0.0.1", "--ports", ports, "--apply"]
        code, out, err = _run(capsys, *args)
        assert code == 1 and config_path.read_bytes() == before
        assert "not saved" in err and "unknown certificate authority" in err and "--pin" in err
        seen = out.split("SHA-256 ")[1].split()[0]
        assert seen in err
        code, out, err = _run(capsys, *args, "--pin")
        assert code == 0, err
        saved = store.load(config_path).settings.smtp
        assert (saved.port, saved.security.value) == (server.port, "ssl")
        assert (saved.tls_fingerprint, saved.trust_all) == (seen, False)
        code, out, err = _run(capsys, "--config", str(config_path), "probe")
    assert code == 0 and "certificate pinned" in out, out + err


def test_detect_apply_to_another_host_drops_the_old_certificate_trust(
    capsys, config_path, password_file, good_cert, trusted
) -> None:
    old_trust = 'trust_all = true\ntls_fingerprint = "' + "AB" * 32 + '"'
    _write_config(
        config_path, 25, "starttls", password_file, host="old.example.test", smtp_lines=old_trust
    )
    assert store.load(config_path).settings.smtp.trust_all
    with smtp_server("ssl", cert=good_cert) as server:
        code, _, err = _run(
            capsys, "--config", str(config_path), "detect", "127.0.0.1",
            "--ports", f"{server.port}:ssl", "--apply",
        )  # fmt: skip
    assert code == 0, err
    saved = store.load(config_path).settings.smtp
    assert (saved.host, saved.tls_fingerprint, saved.trust_all) == ("127.0.0.1", "", False)


def test_pin_without_apply_cannot_run(capsys, config_path, password_file) -> None:
    _write_config(config_path, 25, "none", password_file)
    code, _, err = _run(capsys, "--config", str(config_path), "detect", "127.0.0.1", "--pin")
    assert code == 2 and "--apply" in err


def test_detect_with_nothing_listening_exits_1(capsys, config_path, password_file) -> None:
    _write_config(config_path, 25, "none", password_file)
    port = free_port()
    code, out, _ = _run(
        capsys, "--config", str(config_path), "detect", "127.0.0.1", "--ports", str(port)
    )
    assert code == 1 and "connect_refused" in out


def _hanging(state: RawServer):
    """Greets, reads EHLO, then never answers: the client stays mid-send until stopped."""

    async def handle(reader, writer) -> None:
        writer.write(b"220 mail.example.test ESMTP\r\n")
        await writer.drain()
        await read_command(reader, state)
        await asyncio.sleep(60)

    return handle


@contextlib.contextmanager
def _mid_send(config_path: Path, password_file: str) -> Iterator[subprocess.Popen[str]]:
    """The installed entry point in a subprocess, stopped in the middle of a test send."""
    with raw_server(_hanging) as server:
        _write_config(config_path, server.port, "none", password_file)
        env = {**os.environ, "MAILGW_CONFIG": str(config_path)}
        argv = [sys.executable, "-m", "mailgw", "test-send", "--to", RECIPIENT, "--transcript"]
        process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        try:
            deadline = time.monotonic() + 60  # generous: a loaded machine starts Python slowly
            while time.monotonic() < deadline:  # until the server has read the client's EHLO
                if server.lines or process.poll() is not None:
                    break
                time.sleep(0.01)
            assert server.lines and process.poll() is None, process.communicate()
            yield process
        finally:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=30)


def test_installed_command_never_puts_the_password_in_argv_environment_or_output(
    config_path, password_file
) -> None:
    """While it talks to the server, the running process shows no password to `ps` or /proc."""
    with _mid_send(config_path, password_file) as process:
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes()
        environ = Path(f"/proc/{process.pid}/environ").read_bytes()
        assert b"test-send" in cmdline and b"MAILGW_CONFIG=" in environ  # the real process
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert_no_secret(cmdline.decode(errors="replace"), environ.decode(errors="replace"))
    assert_no_secret(out, err)


def test_ctrl_c_mid_send_exits_130_in_one_line(config_path, password_file) -> None:
    with _mid_send(config_path, password_file) as process:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert err.count("\n") == 1 and "interrupted during EHLO" in err
    assert "Traceback" not in err and out == ""


def test_installed_command_reports_a_failed_login_without_the_password(
    config_path, password_file
) -> None:
    """The real entry point in a subprocess: output and exit code as a script sees them."""
    behaviour = Behaviour(username=SENTINEL_USER, password="other")
    with smtp_server("plain", behaviour=behaviour) as server:
        _write_config(config_path, server.port, "none", password_file)
        env = {**os.environ, "MAILGW_CONFIG": str(config_path)}
        done = subprocess.run(
            [sys.executable, "-m", "mailgw", "test-send", "--to", RECIPIENT, "--transcript"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
    assert done.returncode == 1, done.stderr
    assert "auth_failed" in done.stdout and "Traceback" not in done.stderr
    assert_no_secret(done.stdout, done.stderr)


def test_headless_commands_load_no_smtp_library_until_used() -> None:
    code = (
        "import sys\nfrom mailgw import cli\n"
        "print(sorted({'aiosmtplib', 'cryptography'} & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_platform_gateway_without_its_secret_file_exits_2(capsys, config_path) -> None:
    from mailgw.config.presets import platform_gateway

    secret = platform_gateway().secret_file
    if Path(secret).exists():
        pytest.skip(f"{secret} exists here: probing would contact the real gateway")
    config_path.write_text('[smtp]\ngateway = "platform"\n')
    code, out, _ = _run(capsys, "--config", str(config_path), "probe", "--json")
    data = json.loads(out)
    assert code == 2 and data["category"] == "config_invalid"
    assert secret in data["message"] and "custom SMTP option" in data["message"]
