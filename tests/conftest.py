"""Fixtures for every test: the developer's real config and environment stay out of reach."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real ~/.config, /etc/mailgw or the caller's $MAILGW_CONFIG."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    # As root the default is /etc/mailgw: a test that forgets --config must still miss it.
    monkeypatch.setenv("MAILGW_CONFIG", str(tmp_path / "default-config" / "email-gateway.toml"))
    monkeypatch.setenv("MAILGW_STATE", str(tmp_path / "state" / "state.toml"))  # not /var/lib
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """A config path inside a fresh folder (the file itself does not exist yet)."""
    folder = tmp_path / "etc-mailgw"
    folder.mkdir(mode=0o750)
    return folder / "email-gateway.toml"
