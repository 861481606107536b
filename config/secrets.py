"""Where the SMTP password comes from: `password_file` if set, else the inline `password`."""

from __future__ import annotations

from pathlib import Path

from mailgw.config.errors import ConfigError
from mailgw.config.model import AuthSettings
from mailgw.i18n import N_, _


class PasswordUnavailable(ConfigError):
    """The configured password file is missing or unreadable."""


class GatewaySecretUnavailable(ConfigError):
    """The platform gateway's vendor-installed secret file is missing or unreadable."""


class _Unreadable(Exception):
    """Why a secret file could not be read: `missing`, `denied` or `broken` (with the reason)."""

    def __init__(self, kind: str, reason: str = "") -> None:
        super().__init__(reason)
        self.kind = kind


def _read_text(path: Path, what: str) -> str:
    """The file's text, line endings untouched; raises _Unreadable saying what went wrong."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise _Unreadable("missing") from None
    except PermissionError:
        raise _Unreadable("denied") from None
    except (OSError, UnicodeDecodeError) as exc:
        message = _("cannot read {what} {path}: {reason}")
        raise _Unreadable("broken", message.format(what=_(what), path=path, reason=exc)) from None


def read_password(auth: AuthSettings) -> str:
    """The password to log in with, without one trailing line ending (LF or CRLF)."""
    if not auth.password_file:
        return auth.password
    path = Path(auth.password_file)
    try:
        text = _read_text(path, N_("the password file"))
    except _Unreadable as exc:
        raise PasswordUnavailable(_password_problem(exc, path)) from None
    for ending in ("\r\n", "\n"):
        if text.endswith(ending):
            return text[: -len(ending)]
    return text


def _password_problem(exc: _Unreadable, path: Path) -> str:
    if exc.kind == "missing":
        return _(
            "the password file {path} (smtp.auth.password_file) does not exist; "
            "create it with `mailgw set-password --file PATH`"
        ).format(path=path)
    if exc.kind == "denied":
        return _(
            "the password file {path} (smtp.auth.password_file) cannot be read by this user; "
            "run as its owner (often with sudo)"
        ).format(path=path)
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
