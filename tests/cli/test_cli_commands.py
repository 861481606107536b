"""Every headless command through the installed `mailgw`: output, JSON and exit codes 0/1/2."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailgw import cli
from mailgw.config import store
from mailgw.config.schema import KEYS
from tests.cli.mailgw_runner import MAILGW, Run


def _one_line(stderr: str) -> str:
    assert stderr.endswith("\n") and stderr.count("\n") == 1, stderr
    assert stderr.startswith("mailgw: ")
    return stderr


def test_show_on_a_missing_file_lists_every_key_at_its_default(mailgw: Run, config_path) -> None:
    result = mailgw("show")
    assert result.returncode == 0
    assert "file does not exist yet: defaults" in result.stdout
    for key in KEYS:
        assert f"\n{key} = " in result.stdout
    assert 'email.from_address = "no-reply@x-gpsmail.com"' in result.stdout
    assert not config_path.exists()


def test_show_json_is_the_settings_tree(mailgw: Run, config_path: Path) -> None:
    config_path.write_text("[smtp]\nport = 2525\n[platform]\nown = 1\n")
    data = json.loads(mailgw("show", "--json").stdout)
    assert data["path"] == str(config_path) and data["exists"] is True
    assert data["settings"]["smtp"]["port"] == 2525
    assert data["settings"]["smtp"]["auth"]["password"] == ""
    assert set(data["settings"]) == {"schema_version", "smtp", "email", "sender_domain", "dns"}


def test_set_types_validates_saves_and_prints_what_changed(mailgw: Run, config_path) -> None:
    result = mailgw(
        "set",
        "smtp.gateway=custom",
        "smtp.host=mail.example.com",
        "smtp.trust_all=yes",
        "smtp.timeout=12",
        "sender_domain.dkim_selectors=s1, s2",
    )
    assert result.returncode == 0, result.stderr
    assert 'smtp.host: "" -> "mail.example.com"' in result.stdout
    assert "smtp.trust_all: false -> true" in result.stdout
    assert "warning: smtp.trust_all" in result.stderr  # saved, but worth knowing
    settings = store.load(config_path).settings
    assert settings.smtp.trust_all is True and settings.smtp.timeout == 12.0
    assert settings.sender_domain.dkim_selectors == ["s1", "s2"]
    assert os.stat(config_path).st_mode & 0o777 == 0o600
    again = mailgw("set", "smtp.host=mail.example.com")
    assert again.returncode == 0 and again.stdout == "nothing changed\n"


@pytest.mark.parametrize(
    ("assignment", "words"),
    [
        ("smtp.port=abc", "whole number"),
        ("smtp.security=tls", "one of none, ssl, starttls"),
        ("smtp.trust_all=maybe", "true or false"),
        ("smtp.nosuch=1", "unknown key"),
        ("no-equals-sign", "KEY=VALUE"),
    ],
)
def test_set_with_a_bad_value_exits_2_with_one_line(
    mailgw: Run, config_path: Path, assignment: str, words: str
) -> None:
    result = mailgw("set", assignment)
    assert result.returncode == 2
    assert words in _one_line(result.stderr)
    assert not config_path.exists()


def test_set_that_fails_validation_is_not_saved(mailgw: Run, config_path: Path) -> None:
    config_path.write_text('[smtp]\ngateway = "custom"\nhost = "ok.example"\n')
    before = config_path.read_bytes()
    result = mailgw("set", "email.from_name=Evil\r\nBcc: x@example.com", "smtp.port=70000")
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert line.startswith("mailgw: not saved (the file is unchanged): ")
    assert (
        "email.from_name: must not contain line breaks" in line
        and "smtp.port: 70000 is out of range" in line
    )
    assert config_path.read_bytes() == before


def test_set_password_on_the_command_line_is_refused(mailgw: Run, config_path: Path) -> None:
    result = mailgw("set", "smtp.auth.password=hunter2")
    assert result.returncode == 2
    assert "mailgw set-password" in _one_line(result.stderr)
    assert "hunter2" not in result.stderr + result.stdout
    assert not config_path.exists()


@pytest.mark.parametrize(
    ("start", "command", "port"),
    [
        ([], ["smtp.security=ssl"], 465),
        ([], ["smtp.security=none"], 25),
        (["smtp.security=ssl"], ["smtp.security=starttls"], 587),
        ([], ["smtp.security=ssl", "smtp.port=2465"], 2465),
        (["smtp.port=2525"], ["smtp.security=ssl"], 2525),  # a port set by hand stays
        (["smtp.port=25"], ["smtp.host=x.example"], 25),  # no security change, no move
    ],
)
def test_port_follows_security_like_the_admin_panel(
    mailgw: Run, config_path: Path, start: list[str], command: list[str], port: int
) -> None:
    if start:
        assert mailgw("set", *start).returncode == 0
    result = mailgw("set", *command)
    assert result.returncode == 0, result.stderr
    assert store.load(config_path).settings.smtp.port == port


def test_unset_puts_keys_back_to_their_defaults(mailgw: Run, config_path: Path) -> None:
    mailgw("set", "smtp.port=2525", "email.from_name=Fleet")
    result = mailgw("unset", "smtp.port", "email.from_name")
    assert result.returncode == 0
    assert "smtp.port: 2525 -> 587" in result.stdout
    settings = store.load(config_path).settings
    assert (settings.smtp.port, settings.email.from_name) == (587, "")
    bad = mailgw("unset", "smtp.nosuch")
    assert bad.returncode == 2 and "unknown key" in _one_line(bad.stderr)


def test_check_ok_is_exit_0(mailgw: Run) -> None:
    result = mailgw("check")
    assert (result.returncode, result.stdout) == (0, "ok: no problems found\n")
    data = json.loads(mailgw("check", "--json").stdout)
    assert data == {"ok": True, "problems": []}


def test_check_with_errors_is_exit_1_and_json_lists_them(mailgw: Run, config_path) -> None:
    config_path.write_text('[smtp]\ngateway = "custom"\nport = 465\ntrust_all = true\n')
    text = mailgw("check")
    assert text.returncode == 1
    assert "error: smtp.host: a custom SMTP server needs a host name" in text.stdout
    result = mailgw("check", "--json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert {"key": "smtp.host", "severity": "error"}.items() <= data["problems"][0].items()
    assert {(p["key"], p["severity"]) for p in data["problems"]} == {
        ("smtp.host", "error"),
        ("smtp.port", "warning"),
        ("smtp.trust_all", "warning"),
    }
    assert all(set(p) == {"key", "severity", "message"} for p in data["problems"])


def test_check_with_only_warnings_is_exit_0(mailgw: Run, config_path: Path) -> None:
    config_path.write_text('[smtp]\ngateway = "custom"\nhost = "a.example"\ntrust_all = true\n')
    result = mailgw("check", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["ok"] is True


@pytest.mark.parametrize("command", [["show"], ["show", "--json"], ["check"], ["check", "--json"],
                                     ["set", "smtp.port=25"], ["unset", "smtp.port"]])  # fmt: skip
def test_an_invalid_file_is_exit_2_with_line_and_column(
    mailgw: Run, config_path: Path, command: list[str]
) -> None:
    config_path.write_text('[smtp]\nhost = "unterminated\n')
    before = config_path.read_bytes()
    result = mailgw(*command)
    assert result.returncode == 2 and result.stdout == ""
    assert "line 2, column 21" in _one_line(result.stderr)
    assert config_path.read_bytes() == before


def test_unreadable_config_is_exit_2(mailgw: Run, config_path: Path) -> None:
    config_path.mkdir()
    result = mailgw("show")
    assert result.returncode == 2 and "is a folder" in _one_line(result.stderr)


def test_newer_schema_is_shown_but_not_written(mailgw: Run, config_path: Path) -> None:
    config_path.write_text("schema_version = 2\n")
    assert mailgw("show").returncode == 0
    assert mailgw("check").returncode == 1
    result = mailgw("set", "smtp.port=25")
    assert result.returncode == 2 and "schema_version" in result.stderr
    assert config_path.read_text() == "schema_version = 2\n"


def test_backups_and_restore(mailgw: Run, config_path: Path) -> None:
    assert mailgw("backups").stdout.startswith("no backups yet")
    assert mailgw("restore").returncode == 2
    mailgw("set", "smtp.port=2001")
    first = config_path.read_bytes()
    mailgw("set", "smtp.port=2002")
    mailgw("set", "smtp.port=2003")
    listed = json.loads(mailgw("backups", "--json").stdout)
    assert len(listed) == 2 and listed[0]["id"] > listed[1]["id"]
    assert set(listed[0]) == {"id", "path", "size", "taken"}
    text = mailgw("backups").stdout
    assert listed[0]["id"] in text and listed[1]["id"] in text
    result = mailgw("restore", listed[1]["id"])
    assert result.returncode == 0 and "restored" in result.stdout
    assert config_path.read_bytes() == first
    assert mailgw("restore").returncode == 0  # the newest: the file before this restore
    assert store.load(config_path).settings.smtp.port == 2003
    missing = mailgw("restore", "20000101T000000000000Z")
    assert missing.returncode == 2 and "mailgw backups" in _one_line(missing.stderr)


def test_path_prints_the_config_path(mailgw: Run, config_path: Path, tmp_path: Path) -> None:
    assert mailgw("path").stdout == f"{config_path}\n"
    other = tmp_path / "other.toml"
    assert mailgw("--config", str(other), "path").stdout == f"{other}\n"


def test_schema_prints_json(mailgw: Run) -> None:
    result = mailgw("schema")
    assert result.returncode == 0
    assert json.loads(result.stdout)["properties"]["smtp"]["properties"]["port"]["maximum"] == 65535


@pytest.mark.parametrize(
    "args", [["nosuch"], ["set"], ["show", "--bogus"], ["--config"], ["unset"]]
)
def test_usage_errors_are_exit_2_with_one_line(mailgw: Run, args: list[str]) -> None:
    result = mailgw(*args)
    assert result.returncode == 2
    assert "--help" in _one_line(result.stderr)


def test_help_and_version_are_exit_0(mailgw: Run) -> None:
    assert mailgw("--help").returncode == 0
    version = mailgw("--version")
    assert version.returncode == 0 and version.stdout.startswith("mailgw, version ")


def test_force_is_accepted_where_a_save_can_be_stale(mailgw: Run) -> None:
    assert mailgw("set", "--force", "smtp.port=25").returncode == 0
    assert mailgw("unset", "--force", "smtp.port").returncode == 0
    assert mailgw("restore", "--force").returncode == 0


def test_a_closed_pipe_is_not_an_error(config_path: Path) -> None:
    result = subprocess.run(
        f"'{MAILGW}' show | head -n 1",
        shell=True,
        capture_output=True,
        text=True,
        env={**os.environ, "MAILGW_CONFIG": str(config_path)},
        timeout=60,
    )
    assert result.stdout.startswith("# ") and result.stderr == ""


def test_python_dash_m_mailgw_works(config_path: Path) -> None:
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "mailgw", "--config", str(config_path), "path"],
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stdout) == (0, f"{config_path}\n")


# ------------------------------------------------------------------ in-process


def test_no_command_opens_the_console(monkeypatch: pytest.MonkeyPatch, config_path) -> None:
    opened: list[Path] = []
    import mailgw.tui.app

    monkeypatch.setattr(mailgw.tui.app, "run", opened.append)
    result = CliRunner().invoke(cli.main, ["--config", str(config_path)])
    assert result.exit_code == 0 and opened == [config_path]


def test_an_unexpected_error_is_one_line_without_its_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], config_path: Path
) -> None:
    def explode(path: Path) -> None:
        raise RuntimeError("SENTINEL-password-in-a-message")

    monkeypatch.setattr(store, "load", explode)
    with pytest.raises(SystemExit) as exited:
        cli.run(["--config", str(config_path), "show"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "RuntimeError" in err and "bug in mailgw" in err
    assert "SENTINEL" not in err


def test_check_exit_code_survives_the_entry_point(
    capsys: pytest.CaptureFixture[str], config_path: Path
) -> None:
    config_path.write_text('[smtp]\ngateway = "custom"\n')
    with pytest.raises(SystemExit) as exited:
        cli.run(["--config", str(config_path), "check"])
    assert exited.value.code == 1


def test_show_lists_the_keys_it_keeps_but_does_not_know(mailgw: Run, config_path: Path) -> None:
    config_path.write_text('[platform.mailer]\nqueue = "q"\n[email]\nreply_to = "a@b.example"\n')
    assert "# kept as they are (not mailgw's): email.reply_to, platform" in mailgw("show").stdout
    data = json.loads(mailgw("show", "--json").stdout)
    assert data["unknown_keys"] == ["email.reply_to", "platform"]


def test_show_imports_neither_textual_nor_the_email_validator(config_path: Path) -> None:
    import sys

    code = (
        "import sys\n"
        "from mailgw import cli\n"
        f"cli.main.main(['--config', {str(config_path)!r}, 'show'], standalone_mode=False)\n"
        "print(sorted(m for m in ('textual', 'email_validator') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.splitlines()[-1] == "[]", result.stderr


def test_show_escapes_control_characters(mailgw: Run, config_path: Path) -> None:
    config_path.write_text('[email]\nsignature = "a\\u001b[31mred\\r\\nb"\n')
    shown = mailgw("show").stdout
    assert "\x1b" not in shown and "\r" not in shown
    assert 'email.signature = "a\\u001b[31mred\\r\\nb"' in shown


def test_restore_mends_a_broken_file(mailgw: Run, config_path: Path) -> None:
    mailgw("set", "smtp.port=2001")
    mailgw("set", "smtp.port=2002")
    config_path.write_text("[smtp\nbroken by hand\n")
    assert mailgw("show").returncode == 2
    result = mailgw("restore")
    assert result.returncode == 0, result.stderr
    assert store.load(config_path).settings.smtp.port == 2001
    kept = [b.path.read_text() for b in store.list_backups(config_path)]
    assert "[smtp\nbroken by hand\n" in kept  # even the broken file is not lost
