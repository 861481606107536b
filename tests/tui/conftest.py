"""Fixtures for the console's tests: a config file with comments and keys mailgw does not know."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from mailgw.config import store

from .tmux import Tmux

EXISTING = """\
# Managed by the ops team: keep this comment.
schema_version = 1

[smtp]
gateway = "custom"  # chosen in 2024
host = "mail.example.com"
port = 587
security = "starttls"

[smtp.auth]
enabled = true
username = "gps@example.com"
password = "old-secret-1"

[email]
from_address = "gps@example.com"
from_name = "Fleet"

[platform_extra]
# the platform keeps its own keys here
retention_days = 30
"""


@pytest.fixture(autouse=True)
def no_file_watch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The console's watch for saves by others is timed: only the tests of it switch it on, so
    that no other screen (a snapshot above all) depends on when a timer fires."""
    from mailgw.tui.app import MailgwApp

    monkeypatch.setattr(MailgwApp, "FILE_WATCH_SECONDS", None)


@pytest.fixture
def existing_config(config_path: Path) -> Path:
    """A config as an admin left it: comments, a trailing comment, an unknown table."""
    config_path.write_text(EXISTING, "utf-8")
    config_path.chmod(0o600)
    return config_path


@pytest.fixture(autouse=True)
def steady_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The text cursor stays shown instead of blinking: a picture must not depend on when it is
    taken (on a busy machine the snapshot came after the first half-second blink)."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)


@pytest.fixture
def lock_holder(existing_config: Path):  # type: ignore[no-untyped-def]
    """Another process holding the config's lock, as a second mailgw mid-save would."""
    lock = store.lock_path(existing_config)
    code = (
        "import fcntl, os, sys\n"
        f"fd = os.open({str(lock)!r}, os.O_RDWR | os.O_CREAT, 0o600)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "os.pwrite(fd, b'pid 4242, user ops, mailgw, since 2026-11-24T09:00:00+00:00', 0)\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    yield holder
    holder.kill()
    holder.wait(timeout=10)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    """A private tmux server at 80x24, killed afterwards."""
    session = Tmux()
    yield session
    session.kill()


@pytest.fixture
def here(config_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the config's folder: snapshots show a relative path, the same on every machine."""
    monkeypatch.chdir(config_path.parent)
    return config_path


@pytest.fixture
def existing(here: Path, existing_config: Path) -> Path:
    """The admin's existing config, from its own folder (for snapshots)."""
    return existing_config


@pytest.fixture(params=["C.UTF-8", "pt_BR.UTF-8"], ids=["en", "pt"])
def language(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each screen in both languages: a snapshot test that uses this runs once for each."""
    monkeypatch.setenv("LANG", request.param)
    return request.param


@pytest.fixture
def snap_compare(snap_compare):
    """The snapshot plugin's compare, and no word cut on the screen it pictures (layout.py)."""
    from .layout import cut_texts
    from .pilot_helpers import settled

    def compare(app, *, run_before=None, **options) -> bool:
        async def checked(pilot) -> None:
            if run_before is not None:
                await run_before(pilot)
            await settled(pilot)
            cut = cut_texts(pilot.app.screen)
            assert cut == [], f"cut at {pilot.app.size}: {cut}"

        return snap_compare(app, run_before=checked, **options)

    return compare
