"""Where the config file lives."""

from __future__ import annotations

import os
from pathlib import Path

SYSTEM_CONFIG = Path("/etc/mailgw/email-gateway.toml")
FILE_NAME = "email-gateway.toml"


def user_config_path() -> Path:
    """The per-user file, under $XDG_CONFIG_HOME (default ~/.config)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "mailgw" / FILE_NAME


def resolve_config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--config PATH, else $MAILGW_CONFIG, else /etc/mailgw as root, else the user's config dir."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get("MAILGW_CONFIG")
    if from_env:
        return Path(from_env).expanduser()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return SYSTEM_CONFIG
    return user_config_path()


def default_folders() -> set[Path]:
    """The folders mailgw may create when missing: its own default places for the config (the
    system one, the user's, and the one $MAILGW_CONFIG names), never one a --config names."""
    folders = {SYSTEM_CONFIG.parent, user_config_path().parent, resolve_config_path().parent}
    return {Path(os.path.realpath(folder)) for folder in folders}
