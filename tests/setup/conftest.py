"""The live SMTP fixtures of tests/smtp, shared (not copied) with the setup tests."""

from __future__ import annotations

from tests.smtp.conftest import ca, ca_file, good_cert, password_file  # noqa: F401
