"""Run the real installed `mailgw` command as a subprocess against a config in tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.mailgw_runner import MAILGW, Run


@pytest.fixture
def mailgw(config_path: Path) -> Run:
    """`mailgw(*args, input=None)`: the installed command with $MAILGW_CONFIG = config_path."""
    if not MAILGW.exists():
        pytest.skip(f"the mailgw command is not installed beside {sys.executable}")

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):
        full_env = {**os.environ, "MAILGW_CONFIG": str(config_path), **(env or {})}
        result = subprocess.run(
            [str(MAILGW), *args],
            input=input,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=60,
        )
        assert "Traceback" not in result.stderr, result.stderr
        return result

    return run
