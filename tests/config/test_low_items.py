"""Small bounds on what a config, a command line or a message may hold (issue 16, Low)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailgw.config import store
from mailgw.config.errors import InvalidConfigFile
from mailgw.config.model import Gateway, Settings
from mailgw.config.validate import is_valid_host, validate


def _custom(**smtp: object) -> Settings:
    settings = Settings()
    settings.smtp.gateway, settings.smtp.host = Gateway.CUSTOM, "mail.example.com"
    for name, value in smtp.items():
        setattr(settings.smtp, name, value)
    return settings


def _errors(settings: Settings) -> dict[str, str]:
    return {p.key: p.message for p in validate(settings) if p.severity.value == "error"}


@pytest.mark.parametrize("host", ["[::1", "::1]", "a.example..", "fe80::1%a b c", "[1.2.3.4"])
def test_malformed_hosts_are_refused(host: str) -> None:
    assert not is_valid_host(host)


@pytest.mark.parametrize("host", ["[::1]", "::1", "fe80::1%eth0", "mail.example.com.", "192.0.2.1"])
def test_well_formed_hosts_are_kept(host: str) -> None:
    assert is_valid_host(host)


@pytest.mark.parametrize("helo", ["client one", "x" * 2000, "a..b"])
def test_a_helo_name_that_is_no_host_name_is_an_error(helo: str) -> None:
    assert "smtp.helo_name" in _errors(_custom(helo_name=helo))


@pytest.mark.parametrize("helo", ["client.example.test", "[192.0.2.1]", "[IPv6:2001:db8::1]"])
def test_a_helo_name_may_be_a_host_or_an_address_literal(helo: str) -> None:
    assert "smtp.helo_name" not in _errors(_custom(helo_name=helo))


def test_the_timeout_has_an_upper_bound() -> None:
    assert "smtp.timeout" in _errors(_custom(timeout=86400.0))
    assert "smtp.timeout" not in _errors(_custom(timeout=600.0))


def test_a_relative_password_file_is_an_error() -> None:
    settings = _custom()
    settings.smtp.auth.password_file = "secrets/smtp.pw"
    assert "relative path" in _errors(settings)["smtp.auth.password_file"]


def test_control_characters_in_the_display_name_are_an_error() -> None:
    settings = _custom()
    settings.email.from_name = "Fleet\x1b]0;owned\x07"
    assert "control characters" in _errors(settings)["email.from_name"]


def test_a_bom_is_named(config_path: Path) -> None:
    config_path.write_bytes(b"\xef\xbb\xbfschema_version = 1\n")
    with pytest.raises(InvalidConfigFile, match="byte order mark") as caught:
        store.load(config_path)
    assert (caught.value.line, caught.value.col) == (1, 1)


def test_invalid_utf8_in_a_set_value_is_a_clear_error(config_path: Path) -> None:
    mailgw = [sys.executable, "-m", "mailgw", "--config", str(config_path)]
    env = {**os.environ, "LANG": "C.UTF-8"}
    result = subprocess.run(
        [*mailgw, "set", os.fsdecode(b"email.from_name=Fleet \xff")],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "not valid UTF-8" in result.stderr
    assert "bug" not in result.stderr and not config_path.exists()


def test_a_fifo_as_password_file_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "smtp.secret"
    os.mkfifo(fifo, 0o600)
    settings = _custom()
    settings.smtp.auth.enabled, settings.smtp.auth.username = True, "u"
    settings.smtp.auth.password_file = str(fifo)
    assert "FIFO, not a regular file" in _errors(settings)["smtp.auth.password_file"]


def test_backups_are_ordered_by_sequence_not_by_the_clock(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    config_path.write_bytes(b"schema_version = 1\n")
    loaded = store.load(config_path)
    first = loaded.settings.copy()
    first.smtp.port = 2001
    store.save(loaded, first)  # backs up the original, stamped with a clock that ran ahead

    class Behind(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            return dt.datetime(2001, 1, 1, tzinfo=dt.timezone.utc)

    monkeypatch.setattr(dt, "datetime", Behind)  # the clock was put right: far behind
    second = loaded.settings.copy()
    second.smtp.port = 2002
    store.save(loaded, second)  # backs up the port-2001 file, stamped in 2001
    monkeypatch.undo()
    newest = store.list_backups(config_path)[0]
    assert b"port = 2001" in newest.path.read_bytes()
    store.restore(config_path)
    assert b"port = 2001" in config_path.read_bytes()


def test_the_presets_read_by_the_standard_library_are_what_tomlkit_reads() -> None:
    from importlib import resources

    import tomlkit

    from mailgw.config import presets

    text = resources.files("mailgw.config").joinpath("presets.toml").read_text("utf-8")
    assert presets._data() == tomlkit.parse(text).unwrap()  # the reader of Python 3.10
