"""Which file is the config: --config, else $MAILGW_CONFIG, else /etc as root, else the user's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailgw.config import paths


@pytest.fixture(autouse=True)
def no_config_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the fallbacks: the suite's safety $MAILGW_CONFIG is lifted."""
    monkeypatch.delenv("MAILGW_CONFIG", raising=False)


def test_explicit_path_wins_over_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILGW_CONFIG", "/from/env.toml")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert paths.resolve_config_path("/given.toml") == Path("/given.toml")


def test_environment_wins_over_root_and_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILGW_CONFIG", "/from/env.toml")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert paths.resolve_config_path(None) == Path("/from/env.toml")


def test_root_uses_etc_mailgw(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert paths.resolve_config_path(None) == Path("/etc/mailgw/email-gateway.toml")


def test_user_uses_xdg_config_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert paths.resolve_config_path(None) == tmp_path / "xdg" / "mailgw" / "email-gateway.toml"


def test_user_without_xdg_uses_home_dot_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.delenv("XDG_CONFIG_HOME")
    expected = Path.home() / ".config" / "mailgw" / "email-gateway.toml"
    assert paths.resolve_config_path(None) == expected


def test_tilde_is_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    assert paths.resolve_config_path("~/mine.toml") == Path.home() / "mine.toml"


def _mailgw_path(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "mailgw", *args, "path"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return out.stdout.strip()


def test_path_command_follows_the_same_rules(tmp_path: Path) -> None:
    env = {**os.environ, "MAILGW_CONFIG": str(tmp_path / "env.toml")}
    assert _mailgw_path(env) == str(tmp_path / "env.toml")
    assert _mailgw_path(env, "--config", str(tmp_path / "opt.toml")) == str(tmp_path / "opt.toml")
    env.pop("MAILGW_CONFIG")
    expected = "/etc/mailgw/email-gateway.toml" if os.geteuid() == 0 else None
    if expected is None:
        expected = str(Path(env["XDG_CONFIG_HOME"]) / "mailgw" / "email-gateway.toml")
    assert _mailgw_path(env) == expected


def test_missing_file_means_defaults_and_nothing_is_created(tmp_path: Path) -> None:
    from mailgw.config import store
    from mailgw.config.model import Settings

    target = tmp_path / "absent" / "email-gateway.toml"
    loaded = store.load(target)
    assert loaded.settings == Settings() and not loaded.exists
    assert not target.parent.exists()
