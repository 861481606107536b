"""`mailgw setup --plain` driven through its prompts as a real process, answers piped on stdin."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomlkit

from mailgw.config import store
from tests.smtp.conftest import RECIPIENT, SENTINEL_PASSWORD, SENTINEL_USER, assert_no_secret
from tests.support.smtpserver import Behaviour, smtp_server

LOGIN = Behaviour(username=SENTINEL_USER, password=SENTINEL_PASSWORD)
TIMEOUT = 60  # seconds for a whole wizard run; a hang fails the test instead of the suite


def _env(ca_file: str | None = None, lang: str = "C.UTF-8") -> dict[str, str]:
    env = {**os.environ, "LANG": lang, "TERM": "dumb"}
    if ca_file:
        env["MAILGW_CA_FILE"] = ca_file
    return env


def _command(config_path: Path, *extra: str) -> list[str]:
    mailgw = [sys.executable, "-m", "mailgw", "--config", str(config_path)]
    return [*mailgw, "setup", "--plain", *extra]


def _run(
    config_path: Path, answers: list[str], *extra: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(config_path, *extra),
        input="".join(line + "\n" for line in answers),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=_env(**env),
    )


def _read_until(process: subprocess.Popen[str], text: str) -> str:
    """What the process printed up to and including `text`, waiting at most TIMEOUT seconds."""
    assert process.stdout is not None
    fd, seen = process.stdout.fileno(), b""
    deadline = time.monotonic() + TIMEOUT
    while text.encode() not in seen:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(left, 0))
        chunk = os.read(fd, 4096) if ready else b""
        if not chunk:
            raise AssertionError(f"{text!r} never printed; got:\n{seen.decode()}")
        seen += chunk
    return seen.decode()


def _check(config_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailgw", "--config", str(config_path), "check"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=_env(),
    )


def _custom_server_answers(port: int) -> tuple[list[str], list[str]]:
    """Answers up to the password, and the rest: detect, login, sender, test send, save."""
    through_password = [
        "2",  # gateway: own SMTP server
        "1",  # provider: other server
        "127.0.0.1",
        "y",  # detect
        "y",  # use the recommendation
        "",  # trust any certificate: keep no
        "y",  # login
        "",  # sign in with: keep password
        SENTINEL_USER,
        SENTINEL_PASSWORD,
        SENTINEL_PASSWORD,
    ]
    rest = [
        "alerts@example.com",
        "Fleet Alerts",
        r"Regards,\nThe fleet team",
        RECIPIENT,
        "2",  # an event notification
        "",  # review: continue
        "y",  # save
    ]
    return through_password, rest


def test_custom_server_with_detect_and_test_send_saves_a_valid_file(
    config_path: Path, ca_file: str, good_cert
) -> None:
    with smtp_server("starttls", cert=good_cert, behaviour=LOGIN) as server:
        first, rest = _custom_server_answers(server.port)
        process = subprocess.Popen(
            _command(config_path, "--detect-ports", f"{server.port}:starttls"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(ca_file),
        )
        assert process.stdin is not None
        process.stdin.write("".join(line + "\n" for line in first))
        process.stdin.flush()
        time.sleep(0.2)  # the password has been typed; the process waits for the sender
        proc = Path(f"/proc/{process.pid}")
        argv_and_env = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
        assert SENTINEL_PASSWORD.encode() not in argv_and_env
        out, err = process.communicate("".join(line + "\n" for line in rest), timeout=TIMEOUT)
    assert process.returncode == 0, out + err
    assert "works with starttls" in out and "Recommended: port" in out
    for stage in ("connect", "TLS handshake", "login (AUTH)", "RCPT TO", "DATA"):
        assert f"{stage} " in out
    assert "Test message accepted" in out and "Saved to" in out
    assert len(server.recorder.messages) == 1 and b"Fleet Alerts" in server.recorder.messages[0]
    assert_no_secret(out, err)
    smtp = store.load(config_path).settings.smtp
    assert (smtp.gateway.value, smtp.host, smtp.port) == ("custom", "127.0.0.1", server.port)
    assert smtp.security.value == "starttls" and not smtp.trust_all
    assert smtp.auth.enabled and smtp.auth.username == SENTINEL_USER
    saved = tomlkit.parse(config_path.read_text()).unwrap()
    assert saved["email"]["signature"] == "Regards,\nThe fleet team"
    assert config_path.stat().st_mode & 0o077 == 0
    check = _check(config_path)
    assert check.returncode == 0, check.stdout + check.stderr


def test_failing_test_send_shows_the_fix_and_can_be_retried_or_skipped(
    config_path: Path, ca_file: str, good_cert
) -> None:
    wrong = Behaviour(username=SENTINEL_USER, password="not-the-password")
    with smtp_server("starttls", cert=good_cert, behaviour=wrong) as server:
        answers = [
            "2",
            "1",
            "127.0.0.1",
            "n",  # no detect
            "1",  # starttls
            str(server.port),
            "",
            "y",
            "",  # sign in with: keep password
            SENTINEL_USER,
            SENTINEL_PASSWORD,
            SENTINEL_PASSWORD,
            "alerts@example.com",
            "",
            "",
            RECIPIENT,
            "",
            "r",  # retry once
            "x",  # not an answer: asked again
            "-",  # then skip the test send
            "",
            "n",  # do not save
        ]
        result = _run(config_path, answers, ca_file=ca_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("Failed at login (AUTH) [auth_failed]") == 2
    assert result.stdout.count("Fix: ") == 2
    assert "error: answer r, - or <" in result.stdout
    assert server.recorder.logins and not server.recorder.messages
    assert "Nothing was saved." in result.stdout
    assert not config_path.exists()
    assert_no_secret(result.stdout, result.stderr)


def test_invalid_answers_are_asked_again_with_the_reason(config_path: Path) -> None:
    answers = ["7", "1", "not an address", "alerts@example.com", "", "", "-", "", "y"]
    result = _run(config_path, answers)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error: type a number from 1 to 2" in result.stdout
    assert "is not a valid email address" in result.stdout
    assert store.load(config_path).settings.email.from_address == "alerts@example.com"


def test_back_and_revisit_from_the_review(config_path: Path) -> None:
    answers = [
        "2",  # own server...
        "<",  # ...no: back to the gateway from the provider question
        "1",  # platform
        "alerts@example.com",
        "First Name",
        "",
        "-",  # skip the test send
        "2",  # review: revisit step 2 (sender)
        "",
        "Second Name",
        "",
        "-",
        "",
        "y",
    ]
    result = _run(config_path, answers)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("== Step 1 of") == 2
    assert "  2) Sender and signature: done\n  3) Test send: skipped" in result.stdout
    settings = store.load(config_path).settings
    assert settings.smtp.gateway.value == "platform" and settings.email.from_name == "Second Name"


@pytest.mark.parametrize("answered", [0, 3, 8])
def test_end_of_input_mid_way_saves_nothing(config_path: Path, answered: int) -> None:
    answers = ["2", "1", "127.0.0.1", "n", "1", "", "", "y", SENTINEL_USER][:answered]
    result = _run(config_path, answers)
    assert result.returncode == 2
    assert "nothing was saved" in result.stderr and "Traceback" not in result.stderr
    assert not config_path.exists()


def test_existing_file_is_untouched_when_input_ends(config_path: Path) -> None:
    config_path.write_text('# keep me\n[email]\nfrom_address = "old@example.com"\n')
    before = config_path.read_bytes()
    result = _run(config_path, ["1", "new@example.com", "", "", "-", ""])
    assert result.returncode == 2 and config_path.read_bytes() == before


def test_portuguese_prompts(config_path: Path) -> None:
    answers = ["1", "alertas@example.com", "Frota", "", "-", "", "s"]
    result = _run(config_path, answers, lang="pt_BR.UTF-8")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "== Etapa 1 de 5: Gateway ==" in result.stdout
    assert "Endereço do remetente (From)" in result.stdout
    assert "Salvar estas configurações em" in result.stdout
    assert "Sender (From) address" not in result.stdout
    assert store.load(config_path).settings.email.from_name == "Frota"


def test_setup_without_a_terminal_falls_back_to_plain_prompts(config_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mailgw", "--config", str(config_path), "setup"],
        input="1\n\n\n\n-\n\ny\n",
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "== Step 1 of 5: Gateway ==" in result.stdout and "Saved to" in result.stdout
    assert check_ok(config_path)


def check_ok(config_path: Path) -> bool:
    return _check(config_path).returncode == 0


def test_broken_config_file_is_refused_before_any_question(config_path: Path) -> None:
    config_path.write_text("[smtp\nhost = \n")
    before = config_path.read_bytes()
    result = _run(config_path, ["1"])
    assert result.returncode == 2 and "not a valid config file" in result.stderr
    assert "Gateway" not in result.stdout and config_path.read_bytes() == before


def test_file_changed_during_setup_is_not_overwritten(config_path: Path) -> None:
    config_path.write_text('[email]\nfrom_name = "Before"\n')
    process = subprocess.Popen(
        _command(config_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert process.stdin is not None
    process.stdin.write("1\nalerts@example.com\nWizard\n\n-\n\n")  # up to the save question
    process.stdin.flush()
    shown = _read_until(process, "Save these settings to")
    config_path.write_text('[email]\nfrom_name = "Someone else"\n')  # an admin's edit meanwhile
    out, err = process.communicate("y\n", timeout=TIMEOUT)
    assert "Wizard" in shown + out
    assert process.returncode == 2 and "changed by someone else" in err
    assert "Traceback" not in err
    assert config_path.read_text() == '[email]\nfrom_name = "Someone else"\n'


def test_rerun_on_an_existing_install_keeps_the_password(config_path: Path) -> None:
    config_path.write_text(
        '# installed by hand\n[smtp]\ngateway = "custom"\nhost = "127.0.0.1"\n'
        f'[smtp.auth]\nenabled = true\nusername = "u"\npassword = "{SENTINEL_PASSWORD}"\n'
    )
    config_path.chmod(0o600)
    answers = ["", "", "", "n", "", "", "", "", "", "", "", "", "", "", "-", "", "y"]
    result = _run(config_path, answers)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Password (Enter keeps the current one):" in result.stdout
    assert "Host" not in result.stdout.split("Step 2 of 7")[0]
    assert "Nothing to save" in result.stdout
    assert store.load(config_path).settings.smtp.auth.password == SENTINEL_PASSWORD
    assert config_path.read_text().startswith("# installed by hand\n")
    assert_no_secret(result.stdout, result.stderr)


def test_detect_without_tls_is_not_taken_by_default_and_names_the_risk(config_path: Path) -> None:
    with smtp_server("plain") as stripped:  # EHLO without STARTTLS, as after an attacker
        answers = ["2", "1", "127.0.0.1", "y", ""]  # detect, then Enter at the question
        result = _run(config_path, answers, "--detect-ports", f"{stripped.port}:starttls")
    assert "weaker than the configured starttls" in result.stdout
    assert "Recommended: port" not in result.stdout
    assert f"Send mail in clear on port {stripped.port} anyway? [y/N]" in result.stdout
    assert not config_path.exists()


def test_a_test_send_that_could_not_be_built_is_not_marked_done(config_path: Path) -> None:
    """A test send that fails (here: no platform credentials) and is skipped is not "done".

    (It was a From the mail could not carry; a non-ASCII local part goes as SMTPUTF8 now.)"""
    answers = ["1", "joão@frotabr.com.br", "", "", RECIPIENT, "", "-", "", "n"]
    result = _run(config_path, answers)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Failed at config [config_invalid]" in result.stdout
    assert "Retry (r), skip the test send (-)" in result.stdout
    assert "3) Test send: skipped" in result.stdout and "3) Test send: done" not in result.stdout
