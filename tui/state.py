"""mailgw's own small memory (the last test recipient): never in the platform's config file.

Kept in $MAILGW_STATE, else /var/lib/mailgw/state.toml as root, else
$XDG_STATE_HOME/mailgw/state.toml (default ~/.local/state). Written atomically; a missing or
unreadable file only means no remembered defaults.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions

STATE_ENV = "MAILGW_STATE"
SYSTEM_STATE = Path("/var/lib/mailgw/state.toml")
LAST_RECIPIENT = "last_recipient"


def state_path() -> Path:
    """Where the state file lives for this user."""
    explicit = os.environ.get(STATE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return SYSTEM_STATE
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "mailgw" / "state.toml"


def load() -> dict[str, Any]:
    """What was remembered; empty when the file is missing or unreadable."""
    try:
        text = state_path().read_text("utf-8")
        return tomlkit.parse(text).unwrap()
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.ParseError):
        return {}


def remember(**values: str) -> None:
    """Merge `values` into the state file, atomically; OSError when it cannot be written."""
    path = state_path()
    data = {**load(), **values}
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(tomlkit.dumps(data))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
