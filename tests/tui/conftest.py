"""Fixtures for the console's tests: a config file with comments and keys mailgw does not know."""

from __future__ import annotations

from pathlib import Path

import pytest

EXISTING = """\
# Managed by the ops team: keep this comment.
schema_version = 1

[smtp]
gateway = "custom"  # chosen in 2024
host = "mail.example.com"
port = 587
security = "starttls"

[smtp.auth]
enabled = true
username = "gps@example.com"
password = "old-secret-1"

[email]
from_address = "gps@example.com"
from_name = "Fleet"

[platform_extra]
# the platform keeps its own keys here
retention_days = 30
"""


@pytest.fixture
def existing_config(config_path: Path) -> Path:
    """A config as an admin left it: comments, a trailing comment, an unknown table."""
    config_path.write_text(EXISTING, "utf-8")
    config_path.chmod(0o600)
    return config_path
