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


class GatewaySecretUnavailable(ConfigError):
    """The platform gateway's vendor-installed secret file is missing or unreadable."""


def read_gateway_credentials(path: str) -> tuple[str, str]:
    """Username (first line) and API key (second line) of the platform gateway's secret file."""
    custom = "the custom SMTP option (smtp.gateway = custom) works without it"
    try:
        lines = Path(path).read_text("utf-8").splitlines()
    except FileNotFoundError:
        raise GatewaySecretUnavailable(
            f"this install has no platform gateway credentials: {path} does not exist (the "
            f"vendor installs it on managed installs); ask support for it, or note that {custom}"
        ) from None
    except PermissionError:
        raise GatewaySecretUnavailable(
            f"the platform gateway credentials in {path} cannot be read by this user; "
            "run as root (sudo)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GatewaySecretUnavailable(f"cannot read {path}: {exc}") from None
    if len(lines) < 2 or not lines[0].strip() or not lines[1].strip():
        raise GatewaySecretUnavailable(
            f"{path} must hold the gateway username on its first line and the API key on its "
            f"second; ask support for a new one, or note that {custom}"
        )
    return lines[0].strip(), lines[1].strip()
