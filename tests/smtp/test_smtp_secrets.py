"""Reading the SMTP password and the gateway secret from their files."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgw.config.model import AuthSettings
from mailgw.config.secrets import (
    GatewaySecretUnavailable,
    PasswordUnavailable,
    read_gateway_credentials,
    read_password,
)


@pytest.mark.parametrize(
    ("content", "password"),
    [
        (b"s3cret\r\n", "s3cret"),
        (b"s3cret\n", "s3cret"),
        (b"s3cret", "s3cret"),
        (b"s3cret\n\n", "s3cret\n"),  # one line ending only: the rest may be the password's
        (b" s3cret \r\n", " s3cret "),
        (b"s3\rcret\r\n", "s3\rcret"),  # a CR inside is the password's, kept as it is
    ],
)
def test_one_trailing_line_ending_is_stripped(tmp_path: Path, content: bytes, password: str):
    path = tmp_path / "password"
    path.write_bytes(content)
    assert read_password(AuthSettings(enabled=True, password_file=str(path))) == password


def test_unreadable_files_say_which_and_why(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(PasswordUnavailable, match="does not exist"):
        read_password(AuthSettings(enabled=True, password_file=str(missing)))
    with pytest.raises(GatewaySecretUnavailable, match="custom SMTP option"):
        read_gateway_credentials(str(missing))
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(PasswordUnavailable, match="cannot read the password file"):
        read_password(AuthSettings(enabled=True, password_file=str(binary)))
    with pytest.raises(GatewaySecretUnavailable, match="cannot read the platform gateway"):
        read_gateway_credentials(str(binary))
    with pytest.raises(PasswordUnavailable, match="is a folder, not a regular file"):
        read_password(AuthSettings(enabled=True, password_file=str(tmp_path)))
