"""The one editing path: every front changes the settings here, never a field by itself.

Text typed in a field or given to `mailgw set` is parsed by the key specs the model declares;
the rules that tie keys together (port follows security, a preset fills the server, a new host
drops the old pin...) are written once, in `_follow`; validation, the diff and the save go
through the store. The TUI's fields, the wizard and the commands all call `EditSession`, so the
same input gives the same file and the same message in every front.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailgw.config import store, trust
from mailgw.config.errors import ConfigError, InvalidConfigFile, SaveFailed
from mailgw.config.model import DEFAULT_PORTS, IMAP_PORTS, AuthMethod, Security, Settings
from mailgw.config.schema import (
    KEYS,
    ValueParseError,
    get_value,
    key_spec,
    parse_value,
    set_value,
)
from mailgw.config.validate import Problem, Severity, errors, validate
from mailgw.i18n import _

if TYPE_CHECKING:
    from mailgw.config.presets import Preset

PORT_KEY = "smtp.port"
PASSWORD_KEY = "smtp.auth.password"
PASSWORD_FILE_KEY = "smtp.auth.password_file"
METHOD_KEY = "smtp.auth.method"
OAUTH2_PROVIDER_KEY = "smtp.auth.oauth2.provider"
# What a host's certificate settings are: they belong to one host and go when it changes.
_HOST_TRUST_KEYS = ("smtp.tls_fingerprint", "smtp.trust_all")


class EditRefused(ConfigError):
    """A save was asked while an error remains; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        found = "; ".join(f"{p.key}: {p.for_command}" for p in problems)
        super().__init__(_("not saved (the file is unchanged): {found}").format(found=found))


@dataclass
class EditSession:
    """One config file being edited: what is on disk, the working settings, and the rules."""

    path: Path
    loaded: store.LoadedConfig | None = None
    broken: InvalidConfigFile | None = None  # set when the file on disk is not valid TOML
    settings: Settings = field(default_factory=Settings)
    replaces_broken: bool = False  # started from defaults over a broken file not yet replaced
    text_errors: dict[str, str] = field(default_factory=dict)  # key -> why its text is unread
    edited: set[str] = field(default_factory=set)  # keys set by the person, not by a rule
    # what the last look at the file saw (its stat) and found (differs from `loaded`?)
    _seen_on_disk: tuple[int, ...] | None = field(default=None, repr=False)
    _differs_on_disk: bool | None = field(default=None, repr=False)
    # secret files a save in progress names and writes once it succeeds (see save_with_secret_file)
    _secrets_to_write: set[str] = field(default_factory=set, repr=False)

    # ------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: Path) -> EditSession:
        """Read the file; an invalid one opens read-only (`broken`). UnreadableConfig raises."""
        session = cls(path)
        session.reload()
        return session

    @classmethod
    def open_strict(cls, path: Path) -> EditSession:
        """Read the file for a command: an invalid one raises, it is never edited."""
        session = cls.open(path)
        if session.broken is not None:
            raise session.broken
        return session

    @property
    def read_only(self) -> bool:
        return self.broken is not None

    def reload(self) -> None:
        """Read the file again, dropping every edit."""
        self.replaces_broken = False
        self.text_errors.clear()
        self.edited.clear()
        self._differs_on_disk = None
        try:
            self.loaded = store.load(self.path)
        except InvalidConfigFile as exc:
            self.loaded, self.broken, self.settings = None, exc, Settings()
            return
        self.broken = None
        self.settings = self.loaded.settings.copy()

    def rebase(self) -> None:
        """Read the file again and put this session's own edits back on top of it."""
        mine = {key: get_value(self.settings, key) for key in self.edited}
        typed = dict(self.text_errors)
        self.reload()
        if self.read_only:
            return
        self.update(mine)
        self.text_errors.update(typed)

    def changed_on_disk(self) -> bool:
        """True when the file is no longer what was read (another front or admin saved).

        Polled by the console: a stat each time, the file read only when the stat moved.
        """
        if self.loaded is None:
            return False
        try:
            info = os.stat(self.path)
            seen: tuple[int, ...] | None = (info.st_ino, info.st_size, info.st_mtime_ns)
        except FileNotFoundError:
            seen = None
        except OSError:
            return False
        if seen == self._seen_on_disk and self._differs_on_disk is not None:
            return self._differs_on_disk
        try:
            now = self.path.read_bytes() if seen is not None else None
        except OSError:
            return False  # unreadable now: the next save says why
        self._seen_on_disk = seen
        self._differs_on_disk = now != self.loaded.original_bytes
        return self._differs_on_disk

    # ------------------------------------------------------------ editing

    def set_text(self, key: str, text: str) -> None:
        """A value as typed: parsed by the key's spec; text that cannot be read is kept as an
        error of that key (the setting keeps its last good value, a save is refused)."""
        try:
            value = parse_value(key, text)
        except ValueParseError as exc:
            if key not in KEYS:
                raise
            self.text_errors[key] = str(exc)
            return
        self.update({key: value})

    def set(self, key: str, value: Any) -> None:
        """One key to a value already of its type (a checkbox, a choice, a detect result)."""
        self.update({key: value})

    def update(self, values: dict[str, Any]) -> None:
        """Several keys at once (`mailgw set a=1 b=2`): the keys given win over every rule."""
        apply(self.settings, values, self._saved())
        for key in values:
            self.text_errors.pop(key, None)
        self.edited.update(values)

    def reset(self, key: str) -> None:
        """Put a key back to its default (`mailgw unset`), rules applied as for any edit."""
        self.set(key, key_spec(key).default)

    def apply_text(self, assignments: dict[str, str]) -> None:
        """Typed text for several keys at once (`mailgw set a=1 b=2`), applied together; text
        that cannot be read is kept as its key's error, as `set_text` keeps a field's, so a
        save is refused naming every problem as the console does. An unknown key raises."""
        values, unread = {}, {}
        for key, text in assignments.items():
            try:
                values[key] = parse_value(key, text)
            except ValueParseError as exc:
                if key not in KEYS:
                    raise
                unread[key] = str(exc)
        self.update(values)
        self.text_errors.update(unread)

    def _saved(self) -> Settings:
        return self.loaded.settings if self.loaded is not None else Settings()

    # ------------------------------------------------------------ judging

    def problems(self) -> list[Problem]:
        """Every problem of the settings as a save would leave them, errors first."""
        unread = [Problem(k, Severity.ERROR, m) for k, m in self.text_errors.items()]
        found = validate(
            self.settings,
            self.path,
            saving=True,
            secrets_to_write=frozenset(self._secrets_to_write),
        )
        return sorted([*unread, *found], key=lambda p: p.severity != Severity.ERROR)

    def blocking_problems(self) -> list[Problem]:
        return errors(self.problems())

    def is_modified(self) -> bool:
        """True when a save would change the file (or typed text is not yet a value)."""
        if self.loaded is None:
            return False
        return (
            self.replaces_broken
            or bool(self.text_errors)
            or bool(store.changes(self.loaded, self.settings))
        )

    def changes(self) -> list[store.Change]:
        assert self.loaded is not None
        return store.changes(self.loaded, self.settings)

    def diff(self) -> str:
        """What a save would change, password masked."""
        assert self.loaded is not None
        if self.replaces_broken:
            new = store.mask_secrets(store.render(self.loaded, self.settings))
            return _("(the broken file, already backed up, is replaced by:)\n{new}").format(new=new)
        return store.masked_diff(self.loaded, self.settings)

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
                store.mask_secrets(on_disk).splitlines(keepends=True),
                store.mask_secrets(to_write).splitlines(keepends=True),
                fromfile=_("{path} (on disk now)").format(path=self.path),
                tofile=_("{path} (if you overwrite)").format(path=self.path),
            )
        )

    # ------------------------------------------------------------ saving

    def save(self, *, force: bool = False) -> store.SaveResult:
        """Validate, then write through the store; EditRefused while an error remains."""
        assert self.loaded is not None
        blocking = self.blocking_problems()
        if blocking:
            raise EditRefused(blocking)
        result = store.save(self.loaded, self.settings, force=force)
        self.replaces_broken = False
        self.edited.clear()
        self._differs_on_disk = None
        return result

    def save_with_secret_file(
        self,
        key: str,
        path: Path,
        secret: str,
        save: Callable[[], store.SaveResult | None] | None = None,
    ) -> store.SaveResult | None:
        """Name the secret file `path` in `key` and keep `secret` in it, in the one safe order.

        A path the store keeps for this config, or one root may not write, is refused first;
        then the config is saved (`save`, default `self.save`), judged as if the file already
        held the secret; only then is the file written, and if that fails the config is put
        back as it was. Every secret-file key (password, OAuth2 secrets) is set this way.
        """
        refuse_secret_file(self.path, path)
        self.set(key, str(path))
        self._secrets_to_write.add(str(path))
        try:
            result = (save or self.save)()
        finally:
            self._secrets_to_write.discard(str(path))
        try:
            store.write_secret_file(path, secret)
        except ConfigError:
            if result is not None:
                store.undo_save(result)
                self.reload()
            raise
        return result

    def restore(self, backup_id: str | None, *, force: bool = False) -> store.SaveResult:
        """Put a backup back (the current file is backed up first), then show what it holds."""
        result = store.restore(self.path, backup_id, force=force)
        self.reload()
        return result

    def start_from_defaults(self) -> Path:
        """Back the broken file up, then edit defaults; the file changes only on save."""
        assert self.broken is not None
        backup, loaded = store.replacement_for_broken(self.path)
        self.loaded, self.broken = loaded, None
        self._differs_on_disk = None
        self.settings = Settings()
        self.replaces_broken = True
        return backup


class SecretFileRefused(SaveFailed):
    """A secret file would overwrite the config, a file the store keeps, or a non-file."""


def refuse_secret_file(config: Path, secret: Path) -> None:
    """Raise when `secret` may not be written as a secret file of the config at `config`."""
    if store.is_managed(config, secret):
        raise SecretFileRefused(
            _(
                "{secret} is the config file {config} or a file mailgw keeps for it (its lock "
                "or backups); writing the secret there would destroy it. Choose another path, "
                "for example beside it: {example}"
            ).format(secret=secret, config=config, example=config.parent / "smtp.secret")
        )
    problem = trust.secret_file_problem(secret)
    if problem:
        raise trust.UntrustedPath(problem)
    if not secret.parent.is_dir():
        raise SecretFileRefused(
            _("the folder {folder} does not exist; create it first").format(folder=secret.parent)
        )


# ---------------------------------------------------------------- the rules, once


def apply(settings: Settings, values: dict[str, Any], saved: Settings | None = None) -> None:
    """Set `values` in `settings` and let the other keys follow; `saved` is the file's state
    (a return to the saved host brings its pin back)."""
    before = settings.copy()
    for key, value in values.items():
        set_value(settings, key, value)
    _follow(before, settings, set(values), saved or before)


def _follow(before: Settings, after: Settings, given: set[str], saved: Settings) -> None:
    """Keys that follow others; a key in `given` was set on purpose and is never moved."""
    # a chosen preset is where the security rule starts from: a security chosen with it moves
    # the preset's standard port as it would move any standard port
    start = _follow_preset(before, after, given) or before
    _follow_security(start, after, given)
    _follow_host(before, after, given, saved)
    _follow_password(after, given)
    _follow_receive_security(before, after, given)


def _follow_preset(before: Settings, after: Settings, given: set[str]) -> Settings | None:
    """A newly chosen preset fills host, security and port (those not given); a provider that
    names a login starts with the login on. Returns the settings as the preset alone left
    them, or None when no preset was chosen."""
    if "smtp.provider" not in given or after.smtp.provider == before.smtp.provider:
        return None
    from mailgw.config.presets import provider  # reads a data file: only when a preset is chosen

    chosen = provider(after.smtp.provider)
    if chosen is None:
        return None
    filled = {"smtp.security": chosen.security, PORT_KEY: chosen.port}
    if chosen.host:  # "own server" names no host: keep the one typed
        filled["smtp.host"] = chosen.host
    start = before.copy()
    for key, value in filled.items():
        set_value(start, key, value)
        if key not in given:
            set_value(after, key, value)
    if "smtp.auth.enabled" not in given:
        login_by_default(after, before)
    _follow_oauth2(chosen, after, given)
    return start


def _follow_oauth2(chosen: Preset, after: Settings, given: set[str]) -> None:
    """A preset with an OAuth 2.0 sign-in names its provider; one that signs in only that way
    (Google Workspace) chooses the method too."""
    if not chosen.oauth2:
        return
    if OAUTH2_PROVIDER_KEY not in given:
        set_value(after, OAUTH2_PROVIDER_KEY, chosen.oauth2)
    if chosen.oauth2_only and METHOD_KEY not in given:
        after.smtp.auth.method = AuthMethod.OAUTH2


def login_by_default(settings: Settings, before: Settings | None = None) -> None:
    """A provider that names a login (Gmail, SendGrid...) starts with the login switched on,
    unless a login was ever set: `before` this edit, so that a username given along with the
    preset (`mailgw set smtp.provider=sendgrid smtp.auth.username=apikey`) switches it on as
    typing it after choosing the preset does."""
    from mailgw.config.presets import provider

    ever = (before or settings).smtp.auth
    auth, chosen = settings.smtp.auth, provider(settings.smtp.provider)
    if ever.enabled or ever.username or auth.enabled:
        return
    if chosen is not None and chosen.username_hint:
        auth.enabled = True


def _follow_security(before: Settings, after: Settings, given: set[str]) -> None:
    """As in the admin panel: a security change moves a standard port along with it; a port
    that is none of 25, 465 and 587 was chosen by hand and stays."""
    if after.smtp.security == before.smtp.security:
        return
    if PORT_KEY not in given and before.smtp.port in DEFAULT_PORTS.values():
        after.smtp.port = DEFAULT_PORTS[Security(after.smtp.security)]
    if after.smtp.security == Security.NONE and "smtp.trust_all" not in given:
        after.smtp.trust_all = False  # no TLS, no certificate to trust


def _follow_host(before: Settings, after: Settings, given: set[str], saved: Settings) -> None:
    """A pin and trust-all belong to one host: another host starts without them, and going
    back to the saved host brings the saved ones back (a typo in the host loses nothing)."""
    if _same_host(after.smtp.host, before.smtp.host):
        return
    source = saved if _same_host(after.smtp.host, saved.smtp.host) else Settings()
    for key in _HOST_TRUST_KEYS:
        if key not in given:
            set_value(after, key, get_value(source, key))


def _same_host(one: str, other: str) -> bool:
    return one.strip().lower().rstrip(".") == other.strip().lower().rstrip(".")


def _follow_password(after: Settings, given: set[str]) -> None:
    """One place holds the password: a typed password replaces the file, a file the inline one
    (a password_file wins on read, so a stale one would silently undo the new password)."""
    auth = after.smtp.auth
    if PASSWORD_KEY in given and auth.password and PASSWORD_FILE_KEY not in given:
        auth.password_file = ""
    if PASSWORD_FILE_KEY in given and auth.password_file and PASSWORD_KEY not in given:
        auth.password = ""


def _follow_receive_security(before: Settings, after: Settings, given: set[str]) -> None:
    """The mailbox's port follows its security as the SMTP one does (993 ssl, 143 otherwise)."""
    old, new = before.receive, after.receive
    if new.security == old.security or "receive.port" in given:
        return
    if old.port in IMAP_PORTS.values():
        new.port = IMAP_PORTS[Security(new.security)]
