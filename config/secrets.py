"""Where the SMTP secrets come from: `password_file` if set, else the inline `password`; the
OAuth 2.0 client secret and service account key from their files."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from mailgw.config.errors import ConfigError
from mailgw.config.model import AuthSettings, ReceiveSettings
from mailgw.config.trust import regular_file_reason, secret_file_problem
from mailgw.i18n import N_, _


class PasswordUnavailable(ConfigError):
    """The configured password file is missing or unreadable."""


class OAuth2SecretUnavailable(ConfigError):
    """The OAuth 2.0 client secret or service account key is missing, unreadable or malformed."""


class GatewaySecretUnavailable(ConfigError):
    """The platform gateway's vendor-installed secret file is missing or unreadable."""


class _Unreadable(Exception):
    """Why a secret file could not be read: `missing`, `denied` or `broken` (with the reason)."""

    def __init__(self, kind: str, reason: str = "") -> None:
        super().__init__(reason)
        self.kind = kind


def _read_text(path: Path, what: str) -> str:
    """The file's text, line endings untouched; raises _Unreadable saying what went wrong.

    A FIFO or device is refused rather than read (it could block forever or never end), and so,
    as root, is a file another user could change (trust.secret_file_problem)."""
    problem = secret_file_problem(path)
    if problem:
        raise _Unreadable("broken", problem)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise _Unreadable("missing") from None
    except PermissionError:
        raise _Unreadable("denied") from None
    except OSError as exc:
        raise _Unreadable("broken", _broken(what, path, exc)) from None
    try:
        reason = regular_file_reason(path, os.fstat(fd))  # swapped in since the check
        if reason:
            raise _Unreadable("broken", reason)
        return os.read(fd, _MAX_SECRET_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _Unreadable("broken", _broken(what, path, exc)) from None
    finally:
        os.close(fd)


_MAX_SECRET_BYTES = 1 << 20  # a password or a key file; more is not one


def _broken(what: str, path: Path, exc: Exception) -> str:
    message = _("cannot read {what} {path}: {reason}")
    return message.format(what=_(what), path=path, reason=exc)


def read_password(auth: AuthSettings) -> str:
    """The password to log in with, without one trailing line ending (LF or CRLF)."""
    if not auth.password_file:
        return auth.password
    path = Path(auth.password_file)
    try:
        text = _read_text(path, N_("the password file"))
    except _Unreadable as exc:
        raise PasswordUnavailable(_password_problem(exc, path)) from None
    return _without_line_ending(text)


def read_mailbox_password(receive: ReceiveSettings) -> str:
    """The receiving mailbox's password (receive.password_file), without its line ending."""
    path = Path(receive.password_file)
    try:
        text = _read_text(path, N_("the mailbox password file"))
    except _Unreadable as exc:
        raise PasswordUnavailable(
            _password_problem(exc, path, "receive.password_file", "--receive --file PATH")
        ) from None
    return _without_line_ending(text)


def _without_line_ending(text: str) -> str:
    for ending in ("\r\n", "\n"):
        if text.endswith(ending):
            return text[: -len(ending)]
    return text


@dataclass(frozen=True)
class ServiceAccount:
    """What a Google service account key file holds that a JWT-bearer grant needs."""

    client_email: str
    private_key: str = field(repr=False)
    token_uri: str = ""


def read_client_secret(path: str) -> str:
    """The OAuth 2.0 client secret in `path` (smtp.auth.oauth2.client_secret_file)."""
    key = "smtp.auth.oauth2.client_secret_file"
    text = _read_oauth2_file(path, N_("the client secret file"), key)
    secret = _without_line_ending(text).strip()
    if not secret:
        raise OAuth2SecretUnavailable(
            _(
                "the client secret file {path} ({key}) is empty; fill it with `mailgw set-secret`"
            ).format(path=path, key=key)
        )
    return secret


def read_service_account(path: str) -> ServiceAccount:
    """The Google service account key in `path` (smtp.auth.oauth2.service_account_file)."""
    key = "smtp.auth.oauth2.service_account_file"
    text = _read_oauth2_file(path, N_("the service account key"), key)
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None
    fields = ("client_email", "private_key")
    if not isinstance(data, dict) or not all(isinstance(data.get(f), str) for f in fields):
        raise OAuth2SecretUnavailable(
            _(
                "{path} ({key}) is not a service account key: the JSON file downloaded from "
                "Google Cloud (IAM > Service accounts > Keys) holds client_email and private_key"
            ).format(path=path, key=key)
        )
    token_uri = data.get("token_uri", "")
    return ServiceAccount(
        data["client_email"], data["private_key"], token_uri if isinstance(token_uri, str) else ""
    )


def _read_oauth2_file(path: str, what: str, key: str) -> str:
    try:
        return _read_text(Path(path), what)
    except _Unreadable as exc:
        raise OAuth2SecretUnavailable(_secret_file_problem(exc, path, key)) from None


def _secret_file_problem(exc: _Unreadable, path: str, key: str) -> str:
    if exc.kind == "missing":
        return _("{path} ({key}) does not exist").format(path=path, key=key)
    if exc.kind == "denied":
        return _(
            "{path} ({key}) cannot be read by this user; run as its owner (often with sudo)"
        ).format(path=path, key=key)
    return str(exc)


def _password_problem(
    exc: _Unreadable,
    path: Path,
    key: str = "smtp.auth.password_file",
    options: str = "--file PATH",
) -> str:
    if exc.kind == "missing":
        return _(
            "the password file {path} ({key}) does not exist; "
            "create it with `mailgw set-password {options}`"
        ).format(path=path, key=key, options=options)
    if exc.kind == "denied":
        return _(
            "the password file {path} ({key}) cannot be read by this user; "
            "run as its owner (often with sudo)"
        ).format(path=path, key=key)
    return str(exc)


def read_gateway_credentials(path: str) -> tuple[str, str]:
    """Username (first line) and API key (second line) of the platform gateway's secret file."""
    custom = _("the custom SMTP option (smtp.gateway = custom) works without it")
    try:
        lines = _read_text(Path(path), N_("the platform gateway credentials")).splitlines()
    except _Unreadable as exc:
        raise GatewaySecretUnavailable(_gateway_problem(exc, path, custom)) from None
    if len(lines) < 2 or not lines[0].strip() or not lines[1].strip():
        raise GatewaySecretUnavailable(
            _(
                "{path} must hold the gateway username on its first line and the API key on its "
                "second; ask support for a new one, or note that {custom}"
            ).format(path=path, custom=custom)
        )
    return lines[0].strip(), lines[1].strip()


def _gateway_problem(exc: _Unreadable, path: str, custom: str) -> str:
    if exc.kind == "missing":
        return _(
            "this install has no platform gateway credentials: {path} does not exist (the "
            "vendor installs it on managed installs); ask support for it, or note that {custom}"
        ).format(path=path, custom=custom)
    if exc.kind == "denied":
        return _(
            "the platform gateway credentials in {path} cannot be read by this user; "
            "run as root (sudo)"
        ).format(path=path)
    return str(exc)
