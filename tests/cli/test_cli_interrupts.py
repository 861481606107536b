"""One interrupt rule for every command: Ctrl-C exits 130 and SIGTERM 143, one line on stderr,
and under --json a JSON object saying so."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.dnsserver import Zone, serving

PAUSE_WHILE_ASKED = 30.0  # the DNS server never answers within this: the command is mid-lookup


@pytest.mark.parametrize(
    ("sig", "code", "name"), [(signal.SIGINT, 130, "SIGINT"), (signal.SIGTERM, 143, "SIGTERM")]
)
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_dns_interrupted_mid_lookup(
    config_path: Path, sig: signal.Signals, code: int, name: str, as_json: bool
) -> None:
    config_path.write_text('[email]\nfrom_address = "alerts@example.test"\n')
    with serving(Zone(), delay=PAUSE_WHILE_ASKED) as server:
        argv = [sys.executable, "-m", "mailgw", "--config", str(config_path), "dns",
                "--nameserver", server.nameserver, "--timeout", "20", "--no-authoritative",
                *(["--json"] if as_json else [])]  # fmt: skip
        process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "LANG": "C.UTF-8"},
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while server.max_in_flight == 0 and time.monotonic() < deadline:
                time.sleep(0.02)  # until the command has asked (not a wait in an app test)
            process.send_signal(sig)
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == code, err
    assert err.count("\n") == 1 and "interrupted" in err and "Traceback" not in err
    if as_json:
        data = json.loads(out)
        assert data["ok"] is False and data["interrupted"] == name
