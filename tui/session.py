"""What the console edits: the loaded file, the edited model, and every file operation it needs.

No Textual here: the widgets read and write `EditSession.settings`; this module talks to the
store. The model, not the widgets, is the state that gets saved.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit
import tomlkit.exceptions

from mailgw.config import store
from mailgw.config.errors import InvalidConfigFile
from mailgw.config.model import SCHEMA_VERSION, Settings
from mailgw.config.schema import SECRET_KEYS, set_value
from mailgw.config.validate import Problem, errors, validate
from mailgw.i18n import _


@dataclass
class EditSession:
    """One config file open in the console."""

    path: Path
    loaded: store.LoadedConfig | None = None
    broken: InvalidConfigFile | None = None  # set when the file on disk is not valid TOML
    settings: Settings = field(default_factory=Settings)
    replaces_broken: bool = False  # started from defaults over a broken file not yet replaced

    @classmethod
    def open(cls, path: Path) -> EditSession:
        """Read the file; an invalid one opens read-only. UnreadableConfig propagates."""
        session = cls(path)
        session.reload()
        return session

    @property
    def read_only(self) -> bool:
        return self.broken is not None

    def reload(self) -> None:
        """Read the file again, dropping every edit."""
        self.replaces_broken = False
        try:
            self.loaded = store.load(self.path)
        except InvalidConfigFile as exc:
            self.loaded, self.broken, self.settings = None, exc, Settings()
            return
        self.broken = None
        self.settings = self.loaded.settings.copy()

    def set(self, key: str, value: object) -> None:
        """One setting (dotted key) to a value already of its type."""
        set_value(self.settings, key, value)

    def is_modified(self) -> bool:
        """True when a save would change the file."""
        if self.loaded is None:
            return False
        return self.replaces_broken or bool(store.changes(self.loaded, self.settings))

    def problems(self) -> list[Problem]:
        return validate(self.settings, self.path)

    def blocking_problems(self) -> list[Problem]:
        return errors(self.problems())

    def diff(self) -> str:
        """What a save would change, password masked."""
        assert self.loaded is not None
        if self.replaces_broken:
            new = mask_secrets(store.render(self.loaded, self.settings))
            return _("(the broken file, already backed up, is replaced by:)\n{new}").format(new=new)
        return store.masked_diff(self.loaded, self.settings)

    def save(self, *, force: bool = False) -> store.SaveResult:
        assert self.loaded is not None
        result = store.save(self.loaded, self.settings, force=force)
        self.replaces_broken = False
        return result

    def disk_difference(self) -> str:
        """How the file on disk now differs from what an overwrite would write (masked)."""
        assert self.loaded is not None
        to_write = store.render(self.loaded, self.settings)
        try:
            on_disk = self.path.read_text("utf-8")
        except FileNotFoundError:
            on_disk = ""
        except (OSError, UnicodeDecodeError) as exc:
            return _("(the file on disk cannot be read: {exc})").format(exc=exc)
        return "".join(
            difflib.unified_diff(
                mask_secrets(on_disk).splitlines(keepends=True),
                mask_secrets(to_write).splitlines(keepends=True),
                fromfile=_("{path} (on disk now)").format(path=self.path),
                tofile=_("{path} (if you overwrite)").format(path=self.path),
            )
        )

    def start_from_defaults(self) -> Path:
        """Back the broken file up, then edit defaults; the file changes only on save."""
        assert self.broken is not None
        raw = self.path.read_bytes()
        backup = backup_broken_file(self.path, raw)
        document = tomlkit.document()
        document.add(tomlkit.comment("mailgw email-gateway configuration; read by the platform."))
        document.add(tomlkit.comment(f"Started from defaults; the broken file is in {backup}."))
        document.add("schema_version", SCHEMA_VERSION)
        self.loaded = store.LoadedConfig(self.path, document, Settings(), raw)
        self.broken = None
        self.settings = Settings()
        self.replaces_broken = True
        return backup


def mask_secrets(text: str) -> str:
    """TOML text with every secret value replaced by the mask; unparsable text is withheld."""
    if not text:
        return ""
    try:
        document = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError:
        return _("(not valid TOML; not shown because it may hold the password)\n")
    for key in SECRET_KEYS:
        *tables, name = key.split(".")
        node = document
        for part in tables:
            node = node.get(part) if hasattr(node, "get") else None
            if node is None:
                break
        if node is not None and name in node and node[name]:
            node[name] = store.SECRET_MASK
    return tomlkit.dumps(document)


def backup_broken_file(path: Path, raw: bytes) -> Path:
    """Copy a broken config into the store's backup folder, named as the store names backups."""
    target = Path(os.path.realpath(path))
    folder = store.backup_folder(target)
    folder.mkdir(mode=0o700, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    backup = folder / f"{target.name}.{stamp}"
    fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, store.NEW_FILE_MODE)
    try:
        view = memoryview(raw)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    return backup


def error_excerpt(path: Path, line: int | None, context: int = 2) -> str:
    """The lines around a parse error, numbered, with the bad line marked."""
    if line is None:
        return ""
    try:
        lines = path.read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    first, last = max(1, line - context), min(len(lines), line + context)
    shown = []
    for number in range(first, last + 1):
        mark = ">" if number == line else " "
        shown.append(f"{mark}{number:4} | {_masked_line(lines[number - 1])}")
    return "\n".join(shown)


def _masked_line(line: str) -> str:
    """Hide a password on a line we show from a file we cannot parse."""
    key = line.split("=", 1)[0].strip().strip("\"'")
    if "=" in line and key in {k.rpartition(".")[2] for k in SECRET_KEYS}:
        return line.split("=", 1)[0] + "= " + store.SECRET_MASK
    return line
