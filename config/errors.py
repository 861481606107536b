"""Typed errors of the config layer; every message says what happened and what to do."""

from __future__ import annotations

from pathlib import Path

from mailgw.i18n import _


class ConfigError(Exception):
    """Base of every config-layer error: the message is one sentence a person can act on."""


class InvalidConfigFile(ConfigError):
    """The file exists but is not valid TOML, or a value has the wrong type. Never overwritten."""

    def __init__(self, path: Path, reason: str, line: int | None = None, col: int | None = None):
        self.path = path
        self.reason = reason
        self.line = line
        self.col = col
        where = (
            _(" at line {line}, column {col}").format(line=line, col=col)
            if line is not None
            else ""
        )
        super().__init__(
            _(
                "{path} is not a valid config file{where}: {reason}. "
                "Fix it by hand or restore a backup (`mailgw backups`); "
                "mailgw will not overwrite it."
            ).format(path=path, where=where, reason=reason)
        )


class UnreadableConfig(ConfigError):
    """The file or its folder cannot be read (permissions, I/O)."""


class LockHeld(ConfigError):
    """Another process is saving the same file."""

    def __init__(self, path: Path, holder: str):
        self.path = path
        self.holder = holder
        super().__init__(
            _(
                "{path} is being saved by another process ({holder}); "
                "wait for it to finish, or close the other mailgw, then try again."
            ).format(path=path, holder=holder)
        )


class StaleConfig(ConfigError):
    """The file changed on disk after it was loaded: saving would overwrite someone's edit."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(
            _(
                "{path} was changed by someone else since it was loaded; "
                "reload it to see their change, or save with --force to overwrite it."
            ).format(path=path)
        )


class SaveFailed(ConfigError):
    """Writing failed; the previous file is untouched."""


class UnsupportedSchema(ConfigError):
    """The file is of a newer schema_version than this mailgw understands."""


class BackupNotFound(ConfigError):
    """No backup with the given id."""
