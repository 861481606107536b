"""Where the SMTP password comes from: `password_file` if set, else the inline `password`."""

from __future__ import annotations

from pathlib import Path

from mailgw.config.errors import ConfigError
from mailgw.config.model import AuthSettings


class PasswordUnavailable(ConfigError):
    """The configured password file is missing or unreadable."""


def read_password(auth: AuthSettings) -> str:
    """The password to log in with; the file's single trailing newline is not part of it."""
    if not auth.password_file:
        return auth.password
    path = Path(auth.password_file)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise PasswordUnavailable(
            f"the password file {path} (smtp.auth.password_file) does not exist; "
            "create it with `mailgw set-password --file PATH`"
        ) from None
    except PermissionError:
        raise PasswordUnavailable(
            f"the password file {path} (smtp.auth.password_file) cannot be read by this user; "
            "run as its owner (often with sudo)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PasswordUnavailable(f"cannot read the password file {path}: {exc}") from None
    return text[:-1] if text.endswith("\n") else text
