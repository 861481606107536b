"""A save never corrupts: faults at every step, permissions, symlinks, broken and stale files."""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mailgw.config import store
from mailgw.config.errors import (
    BackupNotFound,
    ConfigError,
    InvalidConfigFile,
    SaveFailed,
    StaleConfig,
    UnreadableConfig,
    UnsupportedSchema,
)
from mailgw.config.model import Settings

ORIGINAL = b'# hand-written\nschema_version = 1\n\n[smtp]\nhost = "old.example"  # keep\n'
OS_CALLS = ("open", "write", "fsync", "fchmod", "fchown", "replace", "close", "mkdir", "ftruncate",
            "pwrite", "unlink", "stat")  # fmt: skip


def _existing(config_path: Path, data: bytes = ORIGINAL, mode: int = 0o600) -> Path:
    config_path.write_bytes(data)
    os.chmod(config_path, mode)
    return config_path


def _edited(loaded: store.LoadedConfig) -> Settings:
    settings = loaded.settings.copy()
    settings.smtp.host = "new.example"
    settings.email.signature = "x" * 5000  # several writes' worth on a slow disk
    return settings


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".tmp"))


@contextmanager
def _os_faults(fail_at: int | None, log: list[str]) -> Iterator[None]:
    """Log the os calls the store makes; make call number `fail_at` raise EIO."""
    originals = {name: getattr(os, name) for name in OS_CALLS}

    def wrap(name: str, real: Callable[..., object]) -> Callable[..., object]:
        def call(*args: object, **kwargs: object) -> object:
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if caller in ("mailgw.config.store", "pathlib"):
                log.append(name)
                if len(log) - 1 == fail_at:
                    raise OSError(errno.EIO, f"injected failure in os.{name}")
            return real(*args, **kwargs)

        return call

    for name, real in originals.items():
        setattr(os, name, wrap(name, real))
    try:
        yield
    finally:
        for name, real in originals.items():
            setattr(os, name, real)


@pytest.mark.parametrize("unnamed", [True, False], ids=["o_tmpfile", "named-temp"])
@pytest.mark.parametrize("exists", [True, False], ids=["existing-file", "new-file"])
def test_a_fault_at_any_step_leaves_the_old_file_and_no_temp_file(
    config_path: Path, exists: bool, unnamed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if unnamed and not store._TMPFILE:
        pytest.skip("this platform has no O_TMPFILE")
    monkeypatch.setattr(store, "_TMPFILE", store._TMPFILE if unnamed else 0)
    folder = config_path.parent
    if exists:
        _existing(config_path)
    steps: list[str] = []
    with _os_faults(None, steps):
        store.save(store.load(config_path), _edited(store.load(config_path)))
    expected_new = config_path.read_bytes()
    for needed in ("open", "write", "fsync", "fchmod", "replace"):
        assert needed in steps
    failures = 0
    for fail_at, step in enumerate(steps):
        for entry in folder.rglob("*"):
            if entry.is_file():
                entry.unlink()
        if exists:
            _existing(config_path)
        loaded = store.load(config_path)
        try:
            with _os_faults(fail_at, []):
                store.save(loaded, _edited(loaded))
        except ConfigError as exc:
            failures += 1
            assert "injected failure" in str(exc), (step, exc)
            after = config_path.read_bytes() if exists else None
            assert after == (ORIGINAL if exists else None) or (
                not exists and not config_path.exists()
            ), f"fault in step {fail_at} ({step}) changed the file"
        else:  # a fault the save could tolerate (e.g. pruning old backups): the save went through
            assert config_path.read_bytes() == expected_new, (fail_at, step)
        assert _leftovers(folder) == [], f"fault in step {fail_at} ({step}) left a temp file"
        for backup in store.list_backups(config_path):
            assert backup.path.read_bytes() == ORIGINAL, f"torn backup after {step}"
    assert failures >= len([s for s in steps if s in ("write", "fsync", "replace", "fchmod")])


def test_folder_flush_failure_puts_the_old_file_back(config_path: Path, monkeypatch) -> None:
    _existing(config_path)
    loaded = store.load(config_path)

    def broken_flush(folder: Path) -> None:
        raise OSError(errno.EIO, "flush failed")

    monkeypatch.setattr(store, "_fsync_folder", broken_flush)
    with pytest.raises(SaveFailed, match="flush"):
        store.save(loaded, _edited(loaded))
    assert config_path.read_bytes() == ORIGINAL
    assert _leftovers(config_path.parent) == []


def test_backup_failure_stops_the_save(config_path: Path, monkeypatch) -> None:
    _existing(config_path)
    loaded = store.load(config_path)
    (config_path.parent / "backups").write_text("a file where the backup folder should be")
    with pytest.raises(SaveFailed, match="backup"):
        store.save(loaded, _edited(loaded))
    assert config_path.read_bytes() == ORIGINAL


# ------------------------------------------------------------------ permissions and owner


def test_new_file_is_0600_from_creation_even_with_a_loose_umask(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every byte is written into a file only its owner can read: no window of wider access."""
    modes_while_writing: list[int] = []
    real_write_all = store._write_all

    def spying_write_all(fd: int, data: bytes) -> None:
        modes_while_writing.append(stat.S_IMODE(os.fstat(fd).st_mode))
        real_write_all(fd, data)

    monkeypatch.setattr(store, "_write_all", spying_write_all)
    old_umask = os.umask(0)
    try:
        loaded = store.load(config_path)
        store.save(loaded, _edited(loaded))
        again = loaded.settings.copy()
        again.smtp.port = 2525
        store.save(loaded, again)  # an existing 0600 file is rewritten at 0600 too
    finally:
        os.umask(old_umask)
    assert modes_while_writing and set(modes_while_writing) == {0o600}
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.lock_path(config_path).stat().st_mode) == 0o600


@pytest.mark.parametrize(("before", "after"), [(0o640, 0o640), (0o600, 0o600), (0o644, 0o640),
                                               (0o400, 0o400)])  # fmt: skip
def test_existing_mode_is_kept_but_never_world_readable(
    config_path: Path, before: int, after: int
) -> None:
    _existing(config_path, mode=before)
    loaded = store.load(config_path)
    store.save(loaded, _edited(loaded))
    assert stat.S_IMODE(config_path.stat().st_mode) == after


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another owner")
def test_owner_and_group_are_kept(config_path: Path) -> None:
    _existing(config_path, mode=0o640)
    os.chown(config_path, 0, 65534)  # root's, readable by the platform's group
    loaded = store.load(config_path)
    store.save(loaded, _edited(loaded))
    st = config_path.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 65534, 0o640)


def test_backups_are_0600_in_a_0700_folder_and_the_last_ten_are_kept(config_path: Path) -> None:
    _existing(config_path, mode=0o640)
    loaded = store.load(config_path)
    contents = [config_path.read_bytes()]
    for number in range(13):
        settings = loaded.settings.copy()
        settings.smtp.port = 2000 + number
        store.save(loaded, settings)
        contents.append(config_path.read_bytes())
    backups = store.list_backups(config_path)
    assert len(backups) == store.BACKUPS_KEPT == 10
    assert [b.path.read_bytes() for b in backups] == contents[-2:-12:-1]  # newest first
    assert {stat.S_IMODE(b.path.stat().st_mode) for b in backups} == {0o600}
    assert stat.S_IMODE(store.backup_folder(config_path).stat().st_mode) == 0o700


def test_restore_puts_a_backup_back_and_keeps_the_current_file(config_path: Path) -> None:
    _existing(config_path)
    loaded = store.load(config_path)
    store.save(loaded, _edited(loaded))
    edited = config_path.read_bytes()
    oldest = store.list_backups(config_path)[-1]
    result = store.restore(config_path, oldest.id)
    assert config_path.read_bytes() == ORIGINAL
    assert result.backup is not None and result.backup.read_bytes() == edited
    store.restore(config_path)  # the newest backup: the edited file
    assert config_path.read_bytes() == edited


def test_restore_of_an_unknown_id_or_without_backups_is_a_clear_error(config_path: Path) -> None:
    with pytest.raises(BackupNotFound, match="no backups"):
        store.restore(config_path)
    _existing(config_path)
    loaded = store.load(config_path)
    store.save(loaded, _edited(loaded))
    with pytest.raises(BackupNotFound, match="mailgw backups"):
        store.restore(config_path, "20000101T000000000000Z")


def test_restore_refuses_a_broken_backup(config_path: Path) -> None:
    _existing(config_path)
    loaded = store.load(config_path)
    store.save(loaded, _edited(loaded))
    current = config_path.read_bytes()
    store.list_backups(config_path)[0].path.write_bytes(b"[smtp\n")
    with pytest.raises(InvalidConfigFile):
        store.restore(config_path)
    assert config_path.read_bytes() == current


# ------------------------------------------------------------------ symlinks


def test_symlinked_config_is_written_through_to_its_target(tmp_path: Path) -> None:
    real = tmp_path / "real" / "email-gateway.toml"
    real.parent.mkdir()
    real.write_bytes(ORIGINAL)
    os.chmod(real, 0o640)
    link_dir = tmp_path / "etc"
    link_dir.mkdir()
    link = link_dir / "email-gateway.toml"
    link.symlink_to(os.path.relpath(real, link_dir))
    loaded = store.load(link)
    store.save(loaded, _edited(loaded))
    assert link.is_symlink()
    assert b"new.example" in real.read_bytes()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert [b.path.read_bytes() for b in store.list_backups(link)] == [ORIGINAL]


def test_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    real = tmp_path / "real.toml"
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    loaded = store.load(link)
    store.save(loaded, _edited(loaded))
    assert link.is_symlink() and b"new.example" in real.read_bytes()


# ------------------------------------------------------------------ broken, stale, newer files


@pytest.mark.parametrize(
    ("text", "line", "col", "reason"),
    [
        (b'[smtp]\nhost = "x\n', 2, 10, "control characters"),
        (b"schema_version = 1\nport = @\n", 2, 8, "unexpected character"),
        (b"schema_version = 1\nport = ", 2, 8, "unexpected end of file"),
        (b'[smtp]\nhost = "x', 2, 10, "unexpected end of file"),
        (b"[smtp]\nport = 1\nport = 2\n", 3, None, "already exists"),
        (b'a = "\xff"\n', 1, 6, "not UTF-8"),
    ],
)
def test_invalid_toml_is_reported_with_line_and_column_and_never_overwritten(
    config_path: Path, text: bytes, line: int, col: int | None, reason: str
) -> None:
    _existing(config_path, text)
    with pytest.raises(InvalidConfigFile) as caught:
        store.load(config_path)
    error = caught.value
    assert error.line == line
    if col is not None:
        assert error.col == col
    assert reason.lower() in str(error).lower()
    assert f"line {line}" in str(error) and "\\x00" not in str(error)
    assert config_path.read_bytes() == text


def test_wrong_type_is_an_invalid_file(config_path: Path) -> None:
    _existing(config_path, b'[smtp]\nport = "twenty-five"\n')
    with pytest.raises(InvalidConfigFile, match="whole number"):
        store.load(config_path)


def test_a_folder_or_unreadable_path_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableConfig, match="folder"):
        store.load(tmp_path)


def test_a_file_changed_since_it_was_loaded_is_not_overwritten(config_path: Path) -> None:
    _existing(config_path)
    loaded = store.load(config_path)
    someone_else = ORIGINAL + b"# edited by someone else\n"
    config_path.write_bytes(someone_else)
    with pytest.raises(StaleConfig, match="--force"):
        store.save(loaded, _edited(loaded))
    assert config_path.read_bytes() == someone_else
    store.save(loaded, _edited(loaded), force=True)
    assert b"new.example" in config_path.read_bytes()


def test_a_file_created_since_defaults_were_loaded_is_stale(config_path: Path) -> None:
    loaded = store.load(config_path)
    _existing(config_path)
    with pytest.raises(StaleConfig):
        store.save(loaded, _edited(loaded))
    assert config_path.read_bytes() == ORIGINAL


def test_saving_twice_from_one_load_is_not_stale(config_path: Path) -> None:
    loaded = store.load(config_path)
    store.save(loaded, _edited(loaded))
    settings = loaded.settings.copy()
    settings.smtp.port = 2525
    store.save(loaded, settings)
    assert store.load(config_path).settings.smtp.port == 2525


def test_newer_schema_version_is_read_but_never_written(config_path: Path) -> None:
    newer = b'schema_version = 2\n[smtp]\nhost = "x.example"\n'
    _existing(config_path, newer)
    loaded = store.load(config_path)
    assert loaded.settings.schema_version == 2
    with pytest.raises(UnsupportedSchema, match="Upgrade mailgw"):
        store.save(loaded, _edited(loaded))
    assert config_path.read_bytes() == newer
    fresh = store.load(config_path.with_name("other.toml"))
    settings = fresh.settings.copy()
    settings.schema_version = 3
    with pytest.raises(UnsupportedSchema):
        store.save(fresh, settings)


# ------------------------------------------------------------------ masking


def test_masked_diff_and_changes_never_show_the_password(config_path: Path) -> None:
    _existing(config_path, ORIGINAL + b'\n[smtp.auth]\npassword = "old-SENTINEL"\n')
    loaded = store.load(config_path)
    settings = loaded.settings.copy()
    settings.smtp.auth.password = "new-SENTINEL"
    settings.smtp.port = 2525
    diff = store.masked_diff(loaded, settings)
    assert "SENTINEL" not in diff
    assert store.SECRET_MASK in diff and "2525" in diff
    shown = [c.shown() for c in store.changes(loaded, settings)]
    assert "SENTINEL" not in repr(shown)


def test_write_secret_file_is_0600_and_atomic(tmp_path: Path) -> None:
    secret = tmp_path / "smtp.secret"
    secret.write_text("old\n")
    os.chmod(secret, 0o644)
    store.write_secret_file(secret, "n3w")
    assert secret.read_text() == "n3w\n"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("text", [b'smtp = "x"\n', b"[[email]]\nfrom_name = 'a'\n",
                                  b"[smtp]\nauth = 5\n"])  # fmt: skip
def test_a_known_table_that_is_not_a_table_is_an_invalid_file(
    config_path: Path, text: bytes
) -> None:
    _existing(config_path, text)
    with pytest.raises(InvalidConfigFile, match="must be a table"):
        store.load(config_path)


def test_a_password_of_the_wrong_type_is_not_echoed_in_the_error(config_path: Path) -> None:
    _existing(config_path, b"[smtp.auth]\npassword = 98765432123\n")
    with pytest.raises(InvalidConfigFile) as caught:
        store.load(config_path)
    assert "smtp.auth.password must be a string" in str(caught.value)
    assert "98765432123" not in str(caught.value)


def test_masked_diff_of_a_new_file_masks_the_password(config_path: Path) -> None:
    loaded = store.load(config_path)
    settings = loaded.settings.copy()
    settings.smtp.auth.password = "SENTINEL-new"
    settings.smtp.host = "mail.example.com"
    diff = store.masked_diff(loaded, settings)
    assert "SENTINEL" not in diff
    assert '+host = "mail.example.com"' in diff and store.SECRET_MASK in diff
    assert store.masked_diff(loaded, loaded.settings.copy()) == ""
