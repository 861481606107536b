"""Cold start of `mailgw check` and `mailgw show` next to a bare `python -c pass`.

    .venv/bin/python benchmarks/cold_start.py [RUNS]

Each command runs RUNS times (default 21) as a fresh process against a small config in a
temporary folder; the median and the fastest wall-clock time are printed in milliseconds.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAILGW = str(Path(sys.executable).with_name("mailgw"))
CONFIG = """\
schema_version = 1
[smtp]
gateway = "custom"
host = "mail.example.com"
[smtp.auth]
enabled = true
username = "fleet@example.com"
password = "benchmark"
[email]
from_address = "alerts@example.com"
"""


def _time(command: list[str], env: dict[str, str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=False)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 21
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "email-gateway.toml"
        config.write_text(CONFIG)
        config.chmod(0o600)
        env = {**os.environ, "MAILGW_CONFIG": str(config)}
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "mailgw show": [MAILGW, "show"],
            "mailgw check": [MAILGW, "check"],
        }
        print(f"{'command':<16}{'median ms':>11}{'min ms':>9}   ({runs} runs each)")
        for name, command in commands.items():
            times = _time(command, env, runs)
            print(f"{name:<16}{statistics.median(times):>11.0f}{min(times):>9.0f}")


if __name__ == "__main__":
    main()
