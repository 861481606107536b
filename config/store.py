"""The only code that touches the config file.

Reads and writes through tomlkit so that comments, key order, formatting and keys unknown to
mailgw (the platform may keep its own) survive every save; only changed values change. A save is
atomic (temp file in the same folder, unnamed until complete where Linux allows, fsync, rename,
fsync of the folder), locked against other writers, refused when the file changed on disk since
it was loaded, and keeps a backup first (itself written atomically).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import fnmatch
import os
import re
import stat
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions
from tomlkit.items import Table
from tomlkit.toml_document import TOMLDocument

from mailgw.config import trust
from mailgw.config.errors import (
    BackupNotFound,
    InvalidConfigFile,
    LockHeld,
    SaveFailed,
    StaleConfig,
    UnreadableConfig,
    UnsupportedSchema,
)
from mailgw.config.model import SCHEMA_VERSION, Settings
from mailgw.config.paths import default_folders
from mailgw.config.schema import (
    KEYS,
    SECRET_KEYS,
    TABLES,
    ValueParseError,
    coerce_value,
    get_value,
    set_value,
    to_dict,
)
from mailgw.i18n import N_, _

NEW_FILE_MODE = 0o600
BACKUPS_KEPT = 10
SECRET_MASK = "********"
MAX_CONFIG_BYTES = 1 << 20  # a config of a few dozen keys; anything bigger is not one


@dataclass
class LoadedConfig:
    """A config file as read: its document, the settings in it, and what it was on disk."""

    path: Path
    document: TOMLDocument
    settings: Settings
    original_bytes: bytes | None  # None when the file did not exist
    unknown_keys: list[str] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return self.original_bytes is not None


@dataclass(frozen=True)
class Change:
    """One key whose value a save changes."""

    key: str
    old: Any
    new: Any

    def shown(self) -> tuple[Any, Any]:
        """Old and new values as they may be shown: secrets masked."""
        if self.key in SECRET_KEYS:
            return (SECRET_MASK if self.old else ""), (SECRET_MASK if self.new else "")
        return self.old, self.new


@dataclass(frozen=True)
class SaveResult:
    path: Path
    changes: list[Change]
    backup: Path | None


@dataclass(frozen=True)
class Backup:
    id: str
    path: Path
    size: int
    taken: dt.datetime


# ---------------------------------------------------------------- reading


def load(path: Path) -> LoadedConfig:
    """Read the file at `path`; a missing file gives the defaults."""
    raw = _read_bytes(path)
    if raw is None:
        return LoadedConfig(path, tomlkit.document(), Settings(), None)
    document = parse(path, raw)
    settings, unknown = settings_from_document(path, document)
    return LoadedConfig(path, document, settings, raw, unknown)


def parse(path: Path, raw: bytes) -> TOMLDocument:
    """Parse TOML bytes, reporting errors with line and column (both counted from 1)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        reason = _(
            "the file starts with a UTF-8 byte order mark (BOM); save it as UTF-8 without one"
        )
        raise InvalidConfigFile(path, reason, 1, 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _position(raw[: exc.start].decode("utf-8", "replace"))
        raise InvalidConfigFile(path, _("not UTF-8 text"), line, col) from None
    try:
        return tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        reason = str(exc).split(" at line ")[0]
        if isinstance(exc, tomlkit.exceptions.UnexpectedEofError) or "'\\x00'" in reason:
            # tomlkit reports the end of the text as a NUL character at a made-up position
            line, col = _position(text)
            raise InvalidConfigFile(path, _("unexpected end of file"), line, col) from None
        raise InvalidConfigFile(path, _humane(reason), exc.line, exc.col + 1) from None
    except Exception as exc:  # tomlkit raises other errors (duplicate keys) without a position
        line, col = _stdlib_position(text)
        raise InvalidConfigFile(path, _humane(str(exc)), line, col) from None


def _humane(reason: str) -> str:
    return reason.rstrip(".").replace('Key "', 'key "', 1)


def _position(text: str) -> tuple[int, int]:
    """Line and column just past the end of `text`."""
    lines = text.split("\n")
    return len(lines), len(lines[-1]) + 1


def _stdlib_position(text: str) -> tuple[int | None, int | None]:
    """Where Python's own TOML reader places the error, when it has one (3.11+)."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        return None, None
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+), column (\d+)", str(exc))
        if found:
            return int(found[1]), int(found[2])
    return None, None


def settings_from_document(path: Path, document: TOMLDocument) -> tuple[Settings, list[str]]:
    """The typed settings in a parsed document, and the dotted keys mailgw does not know."""
    settings = Settings()
    plain = document.unwrap()
    for table in TABLES:
        found, node = _lookup(plain, table)
        if found and not isinstance(node, dict):
            reason = _("{table} must be a table ([{table}]), not {node}")
            raise InvalidConfigFile(path, reason.format(table=table, node=repr(node)))
    for key in KEYS:
        found, raw = _lookup(plain, key)
        if not found:
            continue
        try:
            set_value(settings, key, coerce_value(key, raw))
        except ValueParseError as exc:
            raise InvalidConfigFile(path, str(exc)) from None
    return settings, sorted(_unknown_keys(plain, ""))


def _lookup(plain: dict[str, Any], key: str) -> tuple[bool, Any]:
    node: Any = plain
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _unknown_keys(node: dict[str, Any], prefix: str) -> Iterator[str]:
    tables = {spec.table for spec in KEYS.values()}
    for name, value in node.items():
        key = f"{prefix}{name}"
        if key in KEYS:
            continue
        known_table = key in tables or any(t.startswith(key + ".") for t in tables)
        if isinstance(value, dict) and known_table:
            yield from _unknown_keys(value, key + ".")
        else:
            yield key


def _read_bytes(path: Path) -> bytes | None:
    """The config's bytes (None when missing): a regular file of at most MAX_CONFIG_BYTES."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO never blocks
    except FileNotFoundError:
        return None
    except PermissionError:
        raise UnreadableConfig(
            _(
                "permission denied reading {path}; run as a user who may read it (often with sudo)"
            ).format(path=path)
        ) from None
    except OSError as exc:
        raise UnreadableConfig(_cannot_read(path, exc)) from None
    try:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise UnreadableConfig(_("{path} is a folder, not a config file").format(path=path))
        return _read_regular(fd, path, MAX_CONFIG_BYTES)
    except trust.NotARegularFile as exc:
        raise UnreadableConfig(str(exc)) from None
    except OSError as exc:
        raise UnreadableConfig(_cannot_read(path, exc)) from None
    finally:
        _close_quietly(fd)


def _cannot_read(path: Path, exc: OSError) -> str:
    return _("cannot read {path}: {reason}").format(path=path, reason=exc.strerror)


# ---------------------------------------------------------------- rendering


def changes(loaded: LoadedConfig, settings: Settings) -> list[Change]:
    """The keys whose values differ between the loaded settings and `settings`."""
    out = []
    for key in KEYS:
        old, new = get_value(loaded.settings, key), get_value(settings, key)
        if old != new:
            out.append(Change(key, old, new))
    return out


def render(loaded: LoadedConfig, settings: Settings) -> str:
    """The text a save would write: the loaded document with only changed values replaced."""
    document = tomlkit.parse(tomlkit.dumps(loaded.document))  # a copy; loaded stays as read
    if not loaded.exists:
        document = _new_document()
    for change in changes(loaded, settings) if loaded.exists else _non_defaults(settings):
        _assign(document, change.key, change.new)
    text = tomlkit.dumps(document)
    return text if text.endswith("\n") or not loaded.exists else text + "\n"


def masked_diff(loaded: LoadedConfig, settings: Settings) -> str:
    """A unified diff of what a save would change, with secrets masked on both sides."""
    import difflib  # only the TUI's save dialog needs it; headless commands start faster

    old_text = _masked(loaded, loaded.settings)
    new_text = _masked(loaded, settings)
    return "".join(
        difflib.unified_diff(
            old_text.splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            fromfile=_("{path} (on disk)").format(path=loaded.path),
            tofile=_("{path} (to be saved)").format(path=loaded.path),
        )
    )


def _masked(loaded: LoadedConfig, settings: Settings) -> str:
    """Render `settings` over the loaded document with every secret replaced by the mask."""
    if not loaded.exists and settings == loaded.settings:
        return ""
    shown = settings.copy()
    base = loaded.settings.copy()
    for key in SECRET_KEYS:
        old, new = get_value(base, key), get_value(shown, key)
        set_value(base, key, SECRET_MASK if old else "")
        new_mask = SECRET_MASK if new == old else SECRET_MASK + " (changed)"
        set_value(shown, key, new_mask if new else "")
    document = tomlkit.parse(tomlkit.dumps(loaded.document))
    for key in SECRET_KEYS:
        if _lookup(document.unwrap(), key)[0]:
            _assign(document, key, get_value(base, key))
    masked_loaded = LoadedConfig(loaded.path, document, base, loaded.original_bytes)
    return render(masked_loaded, shown)


def _non_defaults(settings: Settings) -> list[Change]:
    defaults = Settings()
    return [
        Change(key, get_value(defaults, key), get_value(settings, key))
        for key in KEYS
        if get_value(defaults, key) != get_value(settings, key)
    ]


def _new_document() -> TOMLDocument:
    document = tomlkit.document()
    document.add(tomlkit.comment("mailgw email-gateway configuration; read by the platform."))
    document.add(tomlkit.comment("Keys are documented in config/README.md of mailgw."))
    document.add("schema_version", SCHEMA_VERSION)
    return document


def _assign(document: TOMLDocument, key: str, value: Any) -> None:
    """Set one dotted key in the document, creating its tables as needed, keeping the rest."""
    *tables, name = key.split(".")
    container: Any = document
    for part in tables:
        if part not in container:
            container.add(part, tomlkit.table())
        container = container[part]
    item = _toml_item(value)
    if name in container:
        old = container[name]
        with contextlib.suppress(AttributeError):
            item.trivia.comment = old.trivia.comment  # keep a trailing comment on the line
            item.trivia.comment_ws = old.trivia.comment_ws
        container[name] = item
    elif isinstance(container, Table):
        container.add(name, item)
    else:
        container[name] = item


def _toml_item(value: Any) -> Any:
    if isinstance(value, str) and "\n" in value and "\r" not in value:
        # readable multi-line text; a CR is escaped instead, since TOML readers may normalise
        # raw line endings inside multi-line strings
        return tomlkit.string(value, multiline=True)
    if isinstance(value, list):
        array = tomlkit.array()
        array.extend(value)
        return array
    return tomlkit.item(value)


# ---------------------------------------------------------------- writing


def save(loaded: LoadedConfig, settings: Settings, *, force: bool = False) -> SaveResult:
    """Write `settings` to the loaded file atomically; return what changed."""
    _refuse_newer_schema(loaded.path, max(loaded.settings.schema_version, settings.schema_version))
    change_list = changes(loaded, settings) if loaded.exists else _non_defaults(settings)
    text = render(loaded, settings)
    with _os_errors_as_save_failed(loaded.path), _place(loaded.path) as place:
        with _locked(place):
            current = _read_at(place)
            if not force and current != loaded.original_bytes:
                raise StaleConfig(loaded.path)
            backup = _backup(place, current) if current is not None else None
            _write_atomic(place, text.encode("utf-8"), current)
    loaded.document = tomlkit.parse(text)
    loaded.settings = settings.copy()
    loaded.original_bytes = text.encode("utf-8")
    return SaveResult(loaded.path, change_list, backup)


@contextlib.contextmanager
def _os_errors_as_save_failed(path: Path) -> Iterator[None]:
    """Any file-system error not already explained becomes a SaveFailed naming the file."""
    try:
        yield
    except OSError as exc:
        raise SaveFailed(_os_reason(N_("save"), path, exc)) from None


def write_secret_file(path: Path, secret: str) -> None:
    """Atomically write a secret file (mode 0600 from creation, owner kept, trailing newline).

    The same rules as the config's: as root, nothing on the way may be another user's."""
    with _os_errors_as_save_failed(path), _place(path) as place:
        _mode, uid, gid = _file_mode_and_owner(place)
        with _locked(place):
            _replace(place, (secret + "\n").encode("utf-8"), NEW_FILE_MODE, uid, gid)
        _fsync_folder(place.fd)


def managed_paths(config: Path) -> list[Path]:
    """The files and folders the store keeps for `config`: the file, its lock and backups."""
    target = _real_target(config)
    return [target, lock_path(target), backup_folder(target)]


def is_managed(config: Path, candidate: Path) -> bool:
    """True when writing `candidate` would overwrite the config or a file the store keeps for it
    (the same file by any name: a symlink or a hard link counts)."""
    real = _resolved(candidate)
    for managed in map(_resolved, managed_paths(config)):
        if real == managed or managed in real.parents:
            return True
        with contextlib.suppress(OSError):
            if os.path.samefile(real, managed):
                return True
    return False


def _refuse_newer_schema(path: Path, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise UnsupportedSchema(
            _(
                "{path} has schema_version {version}; this mailgw writes version {supported}. "
                "Upgrade mailgw before changing this file."
            ).format(path=path, version=version, supported=SCHEMA_VERSION)
        )


def _real_target(path: Path) -> Path:
    """The file a save replaces, as messages name it: a symlink's target (never the link)."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _resolved(path: Path) -> Path:
    """Where writes to `path` land: every symlink on the way resolved."""
    return Path(os.path.realpath(os.path.abspath(path)))


@dataclass(frozen=True)
class _Place:
    """A file to write, by its name in its folder, which is open (and, as root, checked)."""

    folder: Path
    fd: int
    name: str

    @property
    def target(self) -> Path:
        return self.folder / self.name


_AT = os.O_NOFOLLOW | os.O_CLOEXEC  # every open relative to a checked folder


@contextlib.contextmanager
def _place(path: Path) -> Iterator[_Place]:
    """The folder the file `path` resolves to, opened without following a symlink and, as
    root, judged on its descriptor: what is judged is what is written into."""
    trust.refuse_untrusted(path)  # every folder and symlink on the way, as named
    shown, real = _real_target(path), _resolved(path)
    _ensure_folder(real.parent)
    fd = os.open(real.parent, os.O_RDONLY | os.O_DIRECTORY | _AT)
    try:
        _refuse_untrusted_fd(shown.parent, fd)
        place = _Place(shown.parent, fd, real.name)
        _refuse_non_regular(place)
        yield place
    finally:
        _close_quietly(fd)


def _close_quietly(fd: int) -> None:
    """Close a descriptor only read from: a failure to close it loses nothing."""
    with contextlib.suppress(OSError):
        os.close(fd)


def _refuse_untrusted_fd(path: Path, fd: int) -> None:
    reason = trust.stat_reason(path, os.fstat(fd))
    if reason:
        raise trust.UntrustedPath(reason)


def _refuse_non_regular(place: _Place) -> None:
    """A device, FIFO or folder is never replaced by a regular file."""
    try:
        info = os.stat(place.name, dir_fd=place.fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    reason = trust.regular_file_reason(place.target, info)
    if reason and not stat.S_ISLNK(info.st_mode):  # a dangling link: its target is created
        raise trust.NotARegularFile(reason)


def _read_at(place: _Place) -> bytes | None:
    """The file's bytes as they are now (None when missing), never through a symlink."""
    try:
        fd = os.open(place.name, os.O_RDONLY | os.O_NONBLOCK | _AT, dir_fd=place.fd)
    except FileNotFoundError:
        return None
    try:
        return _read_regular(fd, place.target)
    finally:
        _close_quietly(fd)


def _read_regular(fd: int, path: Path, limit: int | None = None) -> bytes:
    info = os.fstat(fd)
    reason = trust.regular_file_reason(path, info)
    if reason:
        raise trust.NotARegularFile(reason)
    if limit is not None and info.st_size > limit:
        raise UnreadableConfig(_too_big(path, info.st_size))
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
        if limit is not None and sum(map(len, chunks)) > limit:
            raise UnreadableConfig(_too_big(path, sum(map(len, chunks))))
    return b"".join(chunks)


def _too_big(path: Path, size: int) -> str:
    return _(
        "{path} is {size} bytes; a config file is at most {limit} bytes (it holds a few dozen "
        "keys), so this is not one"
    ).format(path=path, size=size, limit=MAX_CONFIG_BYTES)


def _file_mode_and_owner(place: _Place) -> tuple[int, int | None, int | None]:
    """Keep an existing mode (never wider than 0660, never world-readable) and owner."""
    try:
        st = os.stat(place.name, dir_fd=place.fd, follow_symlinks=False)
    except FileNotFoundError:
        return NEW_FILE_MODE, None, None
    return st.st_mode & 0o660, st.st_uid, st.st_gid


def _kept_attributes(place: _Place) -> Attributes:
    """The file's extended attributes (POSIX ACLs, SELinux label...) to carry over the replace."""
    try:
        fd = os.open(place.name, os.O_RDONLY | os.O_NONBLOCK | _AT, dir_fd=place.fd)
    except FileNotFoundError:
        return []
    try:
        return [(name, os.getxattr(fd, name)) for name in os.listxattr(fd)]
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return []  # a file system without extended attributes: nothing to keep
        raise
    finally:
        os.close(fd)


def _write_atomic(place: _Place, data: bytes, previous: bytes | None = None) -> None:
    """Temp file beside the target (0600 from creation), fsync, rename over, fsync the folder.

    If the folder cannot be flushed after the rename, the previous content is put back, so that
    a failed save always leaves the old file.
    """
    mode, uid, gid = _file_mode_and_owner(place)
    attributes = _kept_attributes(place)
    _replace(place, data, mode, uid, gid, attributes)
    try:
        _fsync_folder(place.fd)
    except OSError as exc:
        reason = _os_reason(N_("flush the folder of"), place.target, exc)
        if previous is None:
            with contextlib.suppress(OSError):
                os.unlink(place.name, dir_fd=place.fd)
        else:
            try:
                _replace(place, previous, mode, uid, gid, attributes)
            except SaveFailed:
                raise SaveFailed(
                    reason.replace(
                        _("The old file is unchanged."), _("The new file may not be durable.")
                    )
                ) from None
        raise SaveFailed(reason) from None


Attributes = Sequence[tuple[str, bytes]]


def _replace(
    place: _Place, data: bytes, mode: int, uid: int | None, gid: int | None, kept: Attributes = ()
) -> None:
    """Write `data` to a fresh temp file and rename it over the target; no temp file survives."""
    try:
        tmp = _written_temp(place, place.name, data, (mode, uid, gid), kept)
    except OSError as exc:
        raise SaveFailed(_os_reason(N_("write"), place.target, exc)) from None
    try:
        os.replace(tmp, place.name, src_dir_fd=place.fd, dst_dir_fd=place.fd)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=place.fd)
        if isinstance(exc, OSError):
            raise SaveFailed(_os_reason(N_("write"), place.target, exc)) from None
        raise


def _written_temp(
    folder: _Place,
    final: str,
    data: bytes,
    mode_owner: tuple[int, int | None, int | None],
    kept: Attributes = (),
) -> str:
    """A hidden temp file beside `final` (in `folder`) holding `data`, flushed, ready to rename.

    Where Linux allows, the data is written to an unnamed file (O_TMPFILE) that only gets its
    name once complete, so a writer killed mid-write leaves nothing behind.
    """
    mode, uid, gid = mode_owner
    tmp = f".{final}.{os.getpid()}.tmp"
    fd, anonymous = _open_temp(folder.fd, tmp)
    named = not anonymous
    try:
        try:
            _fchown_like(fd, uid, gid)
            os.fchmod(fd, mode)
            _set_attributes(fd, kept, folder.folder / final)
            os.fchmod(fd, mode)  # an ACL put back sets the mode too: never wider than chosen
            _write_all(fd, data)
            os.fsync(fd)
            if anonymous:
                _name_unnamed(fd, folder.fd, tmp)
                named = True
        finally:
            os.close(fd)
    except BaseException:
        if named:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=folder.fd)
        raise
    return tmp


def _set_attributes(fd: int, kept: Attributes, final: Path) -> None:
    for name, value in kept:
        try:
            os.setxattr(fd, name, value)
        except OSError as exc:
            raise SaveFailed(
                _(
                    "could not keep the extended attribute {name} (an ACL or a security label) "
                    "of {path}: {reason}; saving would drop it, so nothing was saved. "
                    "The old file is unchanged."
                ).format(name=name, path=final, reason=exc.strerror)
            ) from None


def _name_unnamed(fd: int, folder_fd: int, tmp: str) -> None:
    """Give an O_TMPFILE file a name: linkat(AT_SYMLINK_FOLLOW) of its /proc/self/fd entry."""
    fds = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:  # with a dir fd, os.link calls linkat with AT_SYMLINK_FOLLOW; plain link() would not
        os.link(str(fd), tmp, src_dir_fd=fds, dst_dir_fd=folder_fd, follow_symlinks=True)
    finally:
        with contextlib.suppress(OSError):  # a read-only folder fd: nothing to lose
            os.close(fds)


def _open_temp(folder_fd: int, tmp: str) -> tuple[int, bool]:
    """An fd to write to, 0600 from creation; True if it is unnamed (O_TMPFILE)."""
    if _TMPFILE and os.path.isdir("/proc/self/fd"):
        try:
            flags = _TMPFILE | os.O_WRONLY | os.O_CLOEXEC
            return os.open(".", flags, NEW_FILE_MODE, dir_fd=folder_fd), True
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                raise  # only "this file system cannot" falls back to a named temp file
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _AT
    return os.open(tmp, flags, NEW_FILE_MODE, dir_fd=folder_fd), False


_TMPFILE = getattr(os, "O_TMPFILE", 0)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fchown_like(fd: int, uid: int | None, gid: int | None) -> None:
    if uid is None or gid is None:
        return
    with contextlib.suppress(PermissionError):  # only root may give a file away; others keep theirs
        os.fchown(fd, uid, gid)


def _fsync_folder(folder_fd: int) -> None:
    os.fsync(folder_fd)


def _ensure_folder(folder: Path) -> None:
    """A missing folder is created only when it is mailgw's default one: any other was named by
    someone, and creating it (with its parents) could build a path where none should be."""
    if folder.is_dir():
        return
    if folder not in default_folders():
        raise SaveFailed(
            _(
                "the folder {folder} does not exist; create it first (mailgw creates only its "
                "default folder). The old file is unchanged."
            ).format(folder=folder)
        )
    try:
        folder.mkdir(mode=0o750, parents=True, exist_ok=True)
    except OSError as exc:
        raise SaveFailed(_os_reason(N_("create the folder"), folder, exc)) from None


def _os_reason(action: str, path: Path, exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        hint = _("run as a user who may write there (often with sudo)")
    elif exc.errno == errno.ENOSPC:
        hint = _("free some disk space")
    elif exc.errno == errno.EROFS:
        hint = _("the file system is read-only")
    else:
        hint = _("check the folder and try again")
    reason = _("could not {action} {path}: {reason}; {hint}.").format(
        action=_(action), path=path, reason=exc.strerror, hint=hint
    )
    return f"{reason} {_('The old file is unchanged.')}"


# ---------------------------------------------------------------- locking


def lock_path(target: Path) -> Path:
    return target.parent / f".{target.name}.lock"


@contextlib.contextmanager
def _locked(place: _Place) -> Iterator[None]:
    """Hold an exclusive lock on the config's lock file; say who holds it if it is taken."""
    path = lock_path(place.target)
    try:
        fd = os.open(path.name, os.O_RDWR | os.O_CREAT | _AT, NEW_FILE_MODE, dir_fd=place.fd)
    except OSError as exc:
        raise SaveFailed(_os_reason(N_("create the lock file"), path, exc)) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(place.target, _holder(fd)) from None
        except OSError as exc:
            raise SaveFailed(_os_reason(N_("lock"), path, exc)) from None
        with contextlib.suppress(OSError):  # who holds the lock is a courtesy to the next writer
            os.ftruncate(fd, 0)
            os.pwrite(fd, _holder_line().encode(), 0)
        _remove_stale_temps(place)
        yield
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)  # closing releases the lock


def _holder_line() -> str:
    import getpass

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    command = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    return f"pid {os.getpid()}, user {user}, {command}, since {started}"


def _holder(fd: int) -> str:
    for _attempt in range(20):  # the holder writes its name just after taking the lock
        with contextlib.suppress(OSError):
            text = os.pread(fd, 512, 0).decode("utf-8", "replace").strip()
            if text:
                return text
        time.sleep(0.005)
    return "an unknown process"


def _remove_stale_temps(place: _Place) -> None:
    """Temp files left by a killed writer; safe to remove while we hold the lock."""
    pattern = f".{place.name}.*.tmp"
    with contextlib.suppress(OSError):
        _unlink_matching(place.fd, pattern)
    with contextlib.suppress(OSError), _backups_fd(place, create=False) as backups:
        _unlink_matching(backups, pattern)


def _unlink_matching(folder_fd: int, pattern: str) -> None:
    for name in fnmatch.filter(os.listdir(folder_fd), pattern):
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=folder_fd)


# ---------------------------------------------------------------- backups


BACKUPS = "backups"


def backup_folder(target: Path) -> Path:
    return target.parent / BACKUPS


@contextlib.contextmanager
def _backups_fd(place: _Place, *, create: bool) -> Iterator[int]:
    """The backups folder beside the file, opened as a real folder (never through a symlink)
    and, as root, judged as the file's own folder is."""
    if create:
        with contextlib.suppress(FileExistsError):
            os.mkdir(BACKUPS, 0o700, dir_fd=place.fd)
    try:
        fd = os.open(BACKUPS, os.O_RDONLY | os.O_DIRECTORY | _AT, dir_fd=place.fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR) and _is_symlink_at(place.fd, BACKUPS):
            raise trust.UntrustedPath(
                _(
                    "{path} is a symlink; mailgw keeps backups only in a real folder beside the "
                    "file (remove the link). The old file is unchanged."
                ).format(path=backup_folder(place.target))
            ) from None
        raise
    try:
        _refuse_untrusted_fd(backup_folder(place.target), fd)
        yield fd
    finally:
        _close_quietly(fd)


def _is_symlink_at(folder_fd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=folder_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _backup(place: _Place, data: bytes) -> Path:
    """Keep `data` (the file as it is now) as a timestamped backup, 0600; prune to the last 10.

    Written under a temp name and renamed, so that a killed save never leaves a torn backup.
    """
    folder = backup_folder(place.target)
    path = folder / "(not yet named)"
    try:
        with _backups_fd(place, create=True) as fd:
            backups = _Place(folder, fd, BACKUPS)
            path = folder / _new_backup_name(fd, place.name)
            try:
                tmp = _written_temp(backups, path.name, data, (NEW_FILE_MODE, None, None))
            except OSError as exc:
                raise SaveFailed(_os_reason(N_("keep a backup in"), folder, exc)) from None
            try:
                os.replace(tmp, path.name, src_dir_fd=fd, dst_dir_fd=fd)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.unlink(tmp, dir_fd=fd)
                raise SaveFailed(_os_reason(N_("write the backup"), path, exc)) from None
            for old in _backup_names(fd, place.name)[BACKUPS_KEPT:]:
                with contextlib.suppress(OSError):
                    os.unlink(old, dir_fd=fd)
    except OSError as exc:
        raise SaveFailed(_os_reason(N_("keep a backup in"), folder, exc)) from None
    return path


def _new_backup_name(folder_fd: int, name: str) -> str:
    """The next backup's name: `NAME.SEQUENCE-STAMP`. Backups are ordered by the sequence, one
    more than the newest's, so a clock that ran ahead (or back) never makes an old one look
    newest; the time stamp is for people."""
    kept = _backup_names(folder_fd, name)
    sequence = _sequence_of(kept[0], name) + 1 if kept else 1
    stamp = dt.datetime.now(dt.timezone.utc).strftime(_STAMP)
    return f"{name}.{sequence:06d}-{stamp}"


_STAMP = "%Y%m%dT%H%M%S%fZ"


def _sequence_of(entry: str, name: str) -> int:
    """A backup's sequence number; 0 for one named by time alone (older mailgw)."""
    head, dash, _stamp = entry[len(name) + 1 :].partition("-")
    return int(head) if dash else 0


def _stamp_of(entry: str, name: str) -> dt.datetime:
    """When a backup was taken (ValueError when `entry` is no backup of `name`)."""
    suffix = entry[len(name) + 1 :]
    head, dash, stamp = suffix.partition("-")
    if dash and not head.isdigit():
        raise ValueError(entry)
    taken = dt.datetime.strptime(stamp if dash else suffix, _STAMP)
    return taken.replace(tzinfo=dt.timezone.utc)


def _backup_names(folder_fd: int, name: str) -> list[str]:
    """The backups of the file `name` in the backups folder, newest (highest sequence) first."""
    found = []
    for entry in fnmatch.filter(os.listdir(folder_fd), f"{name}.*Z"):
        with contextlib.suppress(ValueError):
            found.append((_sequence_of(entry, name), _stamp_of(entry, name), entry))
    return [entry for *_order, entry in sorted(found, reverse=True)]


def list_backups(path: Path) -> list[Backup]:
    """Backups of the config at `path`, newest first."""
    target = _real_target(path)
    folder = backup_folder(target)
    found = []
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | _AT)
    except OSError:
        return []
    try:
        for name in _backup_names(fd, target.name):
            with contextlib.suppress(OSError):
                info = os.stat(name, dir_fd=fd, follow_symlinks=False)
                if stat.S_ISREG(info.st_mode):
                    backup_id = name[len(target.name) + 1 :]
                    taken = _stamp_of(name, target.name)
                    found.append(Backup(backup_id, folder / name, info.st_size, taken))
    finally:
        _close_quietly(fd)
    return found


def restore(path: Path, backup_id: str | None = None, *, force: bool = False) -> SaveResult:
    """Put a backup (the newest if no id) back in place, keeping the current file as a backup."""
    backups = list_backups(path)
    chosen = next((b for b in backups if backup_id in (None, b.id)), None)
    if chosen is None:
        raise BackupNotFound(
            _("no backup {id} of {path}; `mailgw backups` lists them").format(
                id=repr(backup_id), path=path
            )
            if backup_id
            else _("{path} has no backups yet").format(path=path)
        )
    with _os_errors_as_save_failed(path), _place(path) as place:
        data = _read_backup(place, chosen)
        document = parse(chosen.path, data)  # never put back something that is not a config
        settings_from_document(chosen.path, document)
        current = _read_at(place)
        with _locked(place):
            if not force and _read_at(place) != current:
                raise StaleConfig(path)
            backup = _backup(place, current) if current is not None else None
            _write_atomic(place, data, current)
    return SaveResult(path, [], backup)


def _read_backup(place: _Place, backup: Backup) -> bytes:
    with _backups_fd(place, create=False) as folder:
        fd = os.open(backup.path.name, os.O_RDONLY | os.O_NONBLOCK | _AT, dir_fd=folder)
        try:
            return _read_regular(fd, backup.path, MAX_CONFIG_BYTES)
        finally:
            _close_quietly(fd)


def replacement_for_broken(path: Path) -> tuple[Path, LoadedConfig]:
    """Back a broken config up (named as every backup), and a fresh document to replace it.

    The broken file itself stays in place until a save replaces it.
    """
    with _os_errors_as_save_failed(path), _place(path) as place:
        raw = _read_at(place) or b""
        backup = _backup(place, raw)
    document = _new_document()
    document.add(tomlkit.comment(f"Started from defaults; the broken file is in {backup}."))
    return backup, LoadedConfig(path, document, Settings(), raw)


def mask_secrets(text: str) -> str:
    """TOML text with every secret value replaced by the mask; unparsable text is withheld."""
    if not text:
        return ""
    try:
        document = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError:
        return _("(not valid TOML; not shown because it may hold the password)\n")
    for key in SECRET_KEYS:
        found, value = _lookup(document.unwrap(), key)
        if found and value:
            _assign(document, key, SECRET_MASK)
    return tomlkit.dumps(document)


def masked_values(settings: Settings) -> dict[str, Any]:
    """Every key's plain value, nested as in the file, with each set secret masked."""
    data = to_dict(settings)
    for key in SECRET_KEYS:
        *tables, name = key.split(".")
        node = data
        for part in tables:
            node = node[part]
        if node[name]:
            node[name] = SECRET_MASK
    return data


def undo_save(result: SaveResult) -> None:
    """Put back what a save replaced: the version it backed up, or no file when it created one."""
    if result.backup is None:
        with _os_errors_as_save_failed(result.path), _place(result.path) as place:
            os.unlink(place.name, dir_fd=place.fd)
        return
    prefix = _real_target(result.path).name + "."
    restore(result.path, result.backup.name[len(prefix) :], force=True)
