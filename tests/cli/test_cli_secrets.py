"""Issue 7: the password goes in through set-password only, and never comes out again."""

from __future__ import annotations

import base64
import json
import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailgw import cli
from mailgw.config import store
from mailgw.config.secrets import PasswordUnavailable, read_password
from tests.cli.mailgw_runner import MAILGW, Run

SENTINEL = "S3ntinel-pa55\"'\\#ünï"
USER = "fleet-sentinel-user@example.com"


def _b64_forms(text: str) -> set[str]:
    raw = text.encode()
    forms = set()
    for data in (raw, f"\0{USER}\0{text}".encode(), USER.encode(), f"{USER}\0{text}".encode()):
        encoded = base64.b64encode(data).decode()
        forms |= {encoded, encoded.rstrip("=")}
    return forms


FORBIDDEN = {SENTINEL, *_b64_forms(SENTINEL)}


def _assert_clean(*texts: str) -> None:
    for text in texts:
        for needle in FORBIDDEN:
            assert needle not in text, f"secret form {needle!r} leaked"


@pytest.fixture
def with_sentinel(mailgw: Run, config_path: Path) -> Path:
    """A custom server with login, the sentinel set through `set-password --stdin`."""
    result = mailgw(
        "set",
        "smtp.gateway=custom",
        "smtp.host=mail.example.com",
        "smtp.auth.enabled=true",
        f"smtp.auth.username={USER}",
        "email.from_address=alerts@example.com",
    )
    assert result.returncode == 2  # auth on without a password: refused, nothing saved
    assert mailgw("set", "smtp.gateway=custom", "smtp.host=mail.example.com",
                  f"smtp.auth.username={USER}").returncode == 0  # fmt: skip
    result = mailgw("set-password", "--stdin", input=SENTINEL + "\nnotes below the password\n")
    assert result.returncode == 0, result.stderr
    _assert_clean(result.stdout, result.stderr)
    assert mailgw("set", "smtp.auth.enabled=true").returncode == 0
    assert store.load(config_path).settings.smtp.auth.password == SENTINEL
    return config_path


def test_no_command_prints_the_password(mailgw: Run, with_sentinel: Path, tmp_path: Path) -> None:
    runs = [
        ["show"],
        ["show", "--json"],
        ["check"],
        ["check", "--json"],
        ["set", "smtp.port=2525"],
        ["set", "smtp.auth.password=guess"],
        ["unset", "smtp.port"],
        ["backups"],
        ["backups", "--json"],
        ["restore"],
        ["path"],
        ["schema"],
        ["--help"],
        ["set", "smtp.port=nope"],
    ]
    for args in runs:
        result = mailgw(*args)
        _assert_clean(result.stdout, result.stderr)
    # set-password itself, inline and into a file, and with a mismatch of the file's state
    again = mailgw("set-password", "--stdin", input=SENTINEL + "\n")
    _assert_clean(again.stdout, again.stderr)
    to_file = mailgw("set-password", "--stdin", "--file", str(tmp_path / "pw"), input=SENTINEL)
    _assert_clean(to_file.stdout, to_file.stderr)
    (tmp_path / "pw").chmod(0o644)
    loose = mailgw("check", "--json")
    assert loose.returncode == 1
    _assert_clean(loose.stdout, loose.stderr)


def test_show_masks_with_a_fixed_mask_and_reveals_on_request(
    mailgw: Run, with_sentinel: Path
) -> None:
    shown = mailgw("show").stdout
    assert f'smtp.auth.password = "{store.SECRET_MASK}"' in shown
    data = json.loads(mailgw("show", "--json").stdout)
    assert data["settings"]["smtp"]["auth"]["password"] == store.SECRET_MASK == "********"
    revealed = json.loads(mailgw("show", "--json", "--show-secrets").stdout)
    assert revealed["settings"]["smtp"]["auth"]["password"] == SENTINEL
    assert (
        SENTINEL.replace("\\", "\\\\").replace('"', '\\"')
        in mailgw("show", "--show-secrets").stdout
    )


def test_set_password_with_stdin_takes_the_first_line(mailgw: Run, config_path: Path) -> None:
    mailgw("set-password", "--stdin", input="first\r\nsecond\n")
    assert store.load(config_path).settings.smtp.auth.password == "first"
    empty = mailgw("set-password", "--stdin", input="\n")
    assert empty.returncode == 2 and "empty" in empty.stderr


def test_set_password_without_a_terminal_or_stdin_flag_refuses(mailgw: Run, config_path) -> None:
    result = mailgw("set-password", input="")
    assert result.returncode == 2 and "--stdin" in result.stderr
    assert not config_path.exists()


def test_the_password_never_reaches_argv_or_the_environment(config_path: Path) -> None:
    """While set-password waits for its input, its argv and environment hold nothing secret."""
    child = subprocess.Popen(
        [str(MAILGW), "set-password", "--stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "MAILGW_CONFIG": str(config_path)},
        text=True,
    )
    time.sleep(0.3)  # let it start and block on stdin
    cmdline = Path(f"/proc/{child.pid}/cmdline").read_bytes()
    environ = Path(f"/proc/{child.pid}/environ").read_bytes()
    out, err = child.communicate(SENTINEL + "\n", timeout=30)
    assert child.returncode == 0, err
    assert b"set-password" in cmdline
    for blob in (cmdline, environ):
        for needle in FORBIDDEN:
            assert needle.encode() not in blob
    _assert_clean(out, err)


def test_commands_leave_no_secret_in_the_environment_for_children(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = dict(os.environ)
    runner = CliRunner()
    args = ["--config", str(config_path)]
    result = runner.invoke(cli.main, [*args, "set-password", "--stdin"], input=SENTINEL + "\n")
    assert result.exit_code == 0, result.output
    for command in (["show"], ["check", "--json"], ["show", "--show-secrets"]):
        runner.invoke(cli.main, [*args, *command])
    assert dict(os.environ) == before
    _assert_clean(*os.environ.values())


def test_password_file_round_trip(mailgw: Run, config_path: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secrets" / "smtp.password"
    secret.parent.mkdir(mode=0o700)
    mailgw("set-password", "--stdin", input="inline-first\n")
    result = mailgw("set-password", "--stdin", "--file", str(secret), input=SENTINEL + "\n")
    assert result.returncode == 0, result.stderr
    assert f"password saved in {secret} (0600)" in result.stdout
    assert secret.read_text("utf-8") == SENTINEL + "\n"
    assert secret.stat().st_mode & 0o777 == 0o600
    auth = store.load(config_path).settings.smtp.auth
    assert (auth.password, auth.password_file) == ("", str(secret))
    assert read_password(auth) == SENTINEL
    shown = json.loads(mailgw("show", "--json").stdout)["settings"]["smtp"]["auth"]
    assert shown["password_file"] == str(secret) and shown["password"] == ""
    # back to inline: the file is no longer named (it would win over the new password)
    mailgw("set-password", "--stdin", input="inline-again\n")
    auth = store.load(config_path).settings.smtp.auth
    assert (auth.password, auth.password_file) == ("inline-again", "")
    assert read_password(auth) == "inline-again"


def test_a_relative_password_file_is_stored_absolute(config_path: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(MAILGW), "--config", str(config_path), "set-password", "--stdin", "--file", "pw"],
        input="x\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert store.load(config_path).settings.smtp.auth.password_file == str(tmp_path / "pw")


def test_unset_password_clears_it(mailgw: Run, config_path: Path) -> None:
    mailgw("set-password", "--stdin", input="to-be-cleared\n")
    result = mailgw("unset", "smtp.auth.password")
    assert result.returncode == 0
    assert f'smtp.auth.password: "{store.SECRET_MASK}" -> ""' in result.stdout
    assert store.load(config_path).settings.smtp.auth.password == ""
    assert "to-be-cleared" not in config_path.read_text()


def _login_with_file(mailgw: Run, secret: Path) -> None:
    assert mailgw("set", "smtp.gateway=custom", "smtp.host=mail.example.com",
                  "smtp.auth.username=u").returncode == 0  # fmt: skip
    mailgw("set-password", "--stdin", "--file", str(secret), input="pw\n")
    assert mailgw("set", "smtp.auth.enabled=true").returncode == 0


@pytest.mark.parametrize(("mode", "code", "severity"), [(0o644, 1, "error"), (0o604, 1, "error"),
                                                        (0o640, 0, "warning")])  # fmt: skip
def test_check_reports_a_readable_password_file_with_the_chmod(
    mailgw: Run, tmp_path: Path, mode: int, code: int, severity: str
) -> None:
    secret = tmp_path / "smtp.secret"
    _login_with_file(mailgw, secret)
    secret.chmod(mode)
    result = mailgw("check")
    assert result.returncode == code
    assert f"{severity}: smtp.auth.password_file:" in result.stdout
    assert f"chmod 600 {secret}" in result.stdout


@pytest.mark.parametrize(("mode", "code", "severity"), [(0o644, 1, "error"), (0o604, 1, "error"),
                                                        (0o640, 0, "warning")])  # fmt: skip
def test_check_reports_an_inline_password_in_a_readable_config(
    mailgw: Run, config_path: Path, mode: int, code: int, severity: str
) -> None:
    mailgw("set-password", "--stdin", input="pw\n")
    config_path.chmod(mode)
    result = mailgw("check", "--json")
    assert result.returncode == code
    problem = json.loads(result.stdout)["problems"][0]
    assert (problem["key"], problem["severity"]) == ("smtp.auth.password", severity)
    assert f"chmod 600 {config_path}" in problem["message"]


def test_a_save_narrows_a_world_readable_config(mailgw: Run, config_path: Path) -> None:
    mailgw("set-password", "--stdin", input="pw\n")
    config_path.chmod(0o644)
    assert mailgw("set", "smtp.port=2525").returncode == 0
    assert config_path.stat().st_mode & 0o777 == 0o640
    assert mailgw("check").returncode == 0


def test_a_missing_password_file_is_an_error_naming_it(
    mailgw: Run, config_path: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "smtp.secret"
    _login_with_file(mailgw, secret)
    secret.unlink()
    result = mailgw("check", "--json")
    assert result.returncode == 1
    problem = json.loads(result.stdout)["problems"][0]
    assert problem["key"] == "smtp.auth.password_file" and str(secret) in problem["message"]
    with pytest.raises(PasswordUnavailable, match=str(secret)):  # and at send time
        read_password(store.load(config_path).settings.smtp.auth)


def _exited(pid: int) -> bool:
    """True once the child has finished (without reaping it)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("args", [[], ["--stdin"]], ids=["prompt", "stdin-at-a-terminal"])
def test_the_terminal_prompt_asks_twice_without_echo(config_path: Path, args: list[str]) -> None:
    """Through a real pseudo-terminal: two prompts, a mismatch asks again, nothing echoed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: a session whose controlling terminal is the pty
        os.environ["MAILGW_CONFIG"] = str(config_path)
        os.execv(str(MAILGW), [str(MAILGW), "set-password", *args])
    transcript = b""
    seen = 0  # where the last awaited word ended: each prompt is awaited afresh

    def read_until(word: bytes) -> None:
        nonlocal transcript, seen
        deadline = time.monotonic() + 20
        while word not in transcript[seen:] and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.5)[0]:
                try:
                    transcript += os.read(fd, 1024)
                except OSError:
                    break
        assert word in transcript[seen:], transcript
        seen = transcript.index(word, seen) + len(word)

    try:
        read_until(b"SMTP password:")
        os.write(fd, b"first-try\n")
        read_until(b"Repeat the password:")
        os.write(fd, b"different\n")
        read_until(b"do not match")
        read_until(b"SMTP password:")
        os.write(fd, SENTINEL.encode() + b"\n")
        read_until(b"Repeat the password:")
        os.write(fd, SENTINEL.encode() + b"\n")
        read_until(b"password saved")
    finally:
        if not _exited(pid):
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    for secret in (b"first-try", b"different", SENTINEL.encode()):
        assert secret not in transcript
    assert store.load(config_path).settings.smtp.auth.password == SENTINEL


def test_a_refused_save_removes_the_new_password_file(
    mailgw: Run, config_path: Path, tmp_path: Path
) -> None:
    config_path.write_text('[smtp]\ngateway = "custom"\n')  # no host: every save is refused
    secret = tmp_path / "smtp.secret"
    result = mailgw("set-password", "--stdin", "--file", str(secret), input="pw\n")
    assert result.returncode == 2 and "smtp.host" in result.stderr
    assert not secret.exists()
    assert config_path.read_text() == '[smtp]\ngateway = "custom"\n'


def test_the_mailbox_password_goes_to_its_own_file(mailgw: Run, config_path: Path) -> None:
    result = mailgw("set-password", "--receive", "--stdin", input=SENTINEL + "\nnotes\n")
    assert result.returncode == 0, result.stderr
    secret = config_path.parent / "mailbox.password"
    assert f"mailbox password saved in {secret} (0600)" in result.stdout
    assert secret.read_text("utf-8") == SENTINEL + "\n"
    assert secret.stat().st_mode & 0o777 == 0o600
    assert store.load(config_path).settings.receive.password_file == str(secret)
    assert SENTINEL not in config_path.read_text("utf-8")
    _assert_clean(result.stdout, result.stderr, mailgw("show", "--json").stdout)
