"""Where the installed `mailgw` command is, and the type of the `mailgw` fixture."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

MAILGW = Path(sys.executable).with_name("mailgw")

Run = Callable[..., subprocess.CompletedProcess[str]]
