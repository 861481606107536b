"""DKIM verification of a large message: time and peak memory, with one and with three signatures.

    .venv/bin/python benchmarks/dkim_size.py [MEGABYTES]

The message (default: about the largest `dkim-verify` accepts, MAX_MESSAGE_BYTES) is text lines with
the runs of spaces relaxed canonicalisation folds, signed c=relaxed/relaxed by one and by three
selectors; the keys are served by a loopback DNS server started here. Each case runs in a fresh
process (median of RUNS): wall time of verify_message, and its peak memory (the process's
VmHWM less its resident size just before, in multiples of the message). A message over the
limit is timed too: it must be refused before it is read.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mailgw.delivery.dkim import MAX_MESSAGE_BYTES  # noqa: E402
from tests.dns.keys import MESSAGE, rsa_key  # noqa: E402
from tests.support.dnsserver import Zone, serving  # noqa: E402

RUNS = 3
SELECTORS = ("s1", "s2", "s3")
LINE = b"Vehicle  12 left  the geofence Depot North at 08:42 UTC, speed 47 km/h.   \r\n"

CHILD = """\
import asyncio, json, sys, time
from mailgw.delivery.dkim import verify_message
from mailgw.delivery.resolver import ResolverConfig

def resident(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024

raw = open(sys.argv[1], "rb").read()
if sys.argv[2] == "dkimpy":  # the reference: dkimpy alone, its first signature
    import dkim
    key = open(sys.argv[3], "rb").read()
    before = resident("VmRSS:")
    start = time.perf_counter()
    ok = dkim.DKIM(raw).verify(idx=0, dnsfunc=lambda *args, **kwargs: key)
    results = ["pass" if ok else "fail"]
else:
    config = ResolverConfig((sys.argv[2],), timeout=5)
    before = resident("VmRSS:")
    start = time.perf_counter()
    report = asyncio.run(verify_message(raw, resolver=config))
    results = [s.result for s in report.signatures]
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "peak": resident("VmHWM:") - before, "results": results}))
"""


def _message(size: int) -> bytes:
    head = MESSAGE.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
    return head + LINE * ((size - len(head)) // len(LINE))


def _signed(message: bytes, count: int) -> bytes:
    import dkim

    key = rsa_key(2048)
    for selector in SELECTORS[:count]:
        signer = dkim.DKIM(message)
        header = signer.sign(
            selector.encode(),
            b"example.test",
            key.private,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[b"from", b"to", b"subject", b"date"],
        )
        message = header + message
    return message


def _child(path: Path, *how: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), *how],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout)


def _median(path: Path, count: int, *how: str) -> tuple[float, float]:
    runs = [_child(path, *how) for _ in range(RUNS)]
    assert all(r["results"] == ["pass"] * count for r in runs), runs
    return statistics.median(r["seconds"] for r in runs), statistics.median(r["peak"] for r in runs)


def _refusal(nameserver: str, folder: Path) -> float:
    """Seconds `mailgw dkim-verify` takes to refuse a file just over the limit."""
    path = folder / "too-big.eml"
    with path.open("wb") as handle:
        handle.truncate(MAX_MESSAGE_BYTES + 1)  # sparse: nothing to read if it is not read
    mailgw = Path(sys.executable).with_name("mailgw")
    start = time.perf_counter()
    done = subprocess.run(
        [str(mailgw), "dkim-verify", "--nameserver", nameserver, str(path)],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    assert done.returncode == 2, done
    return elapsed


def main() -> None:
    room = 4096  # for the signature headers: the signed message must stay within the limit
    size = int(float(sys.argv[1]) * 1_000_000) if len(sys.argv) > 1 else MAX_MESSAGE_BYTES - room
    message = _message(size)
    zone = Zone()
    for selector in SELECTORS:
        zone.add_txt(f"{selector}._domainkey.example.test", rsa_key(2048).record)
    with tempfile.TemporaryDirectory() as name, serving(zone) as server:
        folder = Path(name)
        key = folder / "key.txt"
        key.write_text(rsa_key(2048).record)
        figures = {}
        for count in (1, 3):
            path = folder / f"signed-{count}.eml"
            path.write_bytes(_signed(message, count))
            figures[count] = _median(path, count, server.nameserver)
            if count == 1:
                figures[0] = _median(path, 1, "dkimpy", str(key))
        refused = _refusal(server.nameserver, folder)
    mib = len(message) / 2**20
    print(f"message of {len(message):,} bytes ({mib:.1f} MiB), median of {RUNS} fresh processes:")
    names = {0: "dkimpy alone, 1", 1: "mailgw, 1 signature", 3: "mailgw, 3 signatures"}
    for count in (0, 1, 3):
        seconds, peak = figures[count]
        print(
            f"  {names[count]:<21} {seconds:6.2f} s, peak {peak / 2**20:5.0f} MiB"
            f" = {peak / len(message):4.1f}x the message"
        )
    beyond = (figures[1][1] - figures[0][1]) / len(message)
    print(f"  3 signatures / 1:      {figures[3][0] / figures[1][0]:.2f}x the time")
    print(f"  peak beyond dkimpy's:  {beyond:.1f}x the message (1 signature)")
    print(f"  refusing a file of {MAX_MESSAGE_BYTES + 1:,} bytes: {refused * 1000:.0f} ms")


if __name__ == "__main__":
    main()
