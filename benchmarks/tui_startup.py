"""How fast the console starts and how many bytes it costs over SSH, measured in tmux at 80x24.

    .venv/bin/python benchmarks/tui_startup.py [--runs 5] [--keys 20]

For mailgw on a platform-gateway file and on a custom-SMTP file and, in the same run, two plain
Textual apps (benchmarks/reference_apps.py): a five-tab form of the console's shape, and one
Input: time from process start to the first complete frame (status line, form and footer;
median of --runs, alternating the four) and the CPU time used by then, bytes written to the
terminal up to that frame, bytes per keystroke typed into a text field, bytes per second when
idle, and peak memory (VmHWM). The pane's output is captured with `tmux pipe-pane` by a small
recorder that timestamps every chunk; the clock is CLOCK_MONOTONIC, shared by all processes.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import reference_apps

# A custom server with a login, as an admin's file would be: the SMTP pane's largest form.
CUSTOM_CONFIG = """\
schema_version = 1

[smtp]
gateway = "custom"
host = "mail.example.com"
port = 587
security = "starttls"

[smtp.auth]
enabled = true
username = "gps@example.com"
password = "old-secret-1"

[email]
from_address = "gps@example.com"
"""

# Waits for the go file, notes the time and its pid, then becomes the measured program.
LAUNCHER = """
import os, sys, time
go, started = sys.argv[1], sys.argv[2]
while not os.path.exists(go):
    time.sleep(0.005)
with open(started, "w") as f:
    f.write(f"{time.monotonic()} {os.getpid()}")
os.execv(sys.argv[3], sys.argv[3:])
"""

# Reads the pane's output from stdin; appends each chunk to DATA and "time end-offset" to INDEX.
RECORDER = """
import os, sys, time
data = open(sys.argv[1], "wb", buffering=0)
index = open(sys.argv[2], "w", buffering=1)
total = 0
while True:
    chunk = os.read(0, 65536)
    if not chunk:
        break
    data.write(chunk)
    total += len(chunk)
    index.write(f"{time.monotonic()} {total}\\n")
"""


@dataclass
class Program:
    name: str
    argv: list[str]
    ready: list[bytes]  # all of these on screen = the first complete frame
    to_text_field: list[str]  # tmux keys that put the cursor in a text field
    quit_keys: list[str]


@dataclass
class Run:
    startup: float
    startup_cpu: float  # CPU seconds the process had used by then: steadier on a busy machine
    first_frame_bytes: int
    key_bytes: list[int]
    idle_bytes_per_second: float
    peak_kib: int


class Pane:
    """One private tmux server with one 80x24 window whose output is recorded."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.socket = f"mailgw-bench-{uuid.uuid4().hex[:10]}"
        self.data = folder / "output.bin"
        self.index = folder / "output.idx"

    def tmux(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(f"tmux {args[0]}: {out.stderr.strip()}")
        return out.stdout

    def start(self, argv: list[str]) -> tuple[float, int]:
        """Start `argv` with its output recorded; the time it started and its pid."""
        go, started = self.folder / "go", self.folder / "started"
        launcher = self.folder / "launcher.py"
        recorder = self.folder / "recorder.py"
        launcher.write_text(LAUNCHER)
        recorder.write_text(RECORDER)
        command = shlex.join([sys.executable, str(launcher), str(go), str(started), *argv])
        self.tmux("-f", "/dev/null", "new-session", "-d", "-x", "80", "-y", "24", command)
        record = shlex.join([sys.executable, str(recorder), str(self.data), str(self.index)])
        self.tmux("pipe-pane", "-O", record)
        time.sleep(0.3)  # the recorder is running before the program starts
        go.touch()
        wait_until(lambda: started.exists() and started.read_text().count(" ") == 1)
        when, pid = started.read_text().split()
        return float(when), int(pid)

    def chunks(self) -> list[tuple[float, int]]:
        if not self.index.exists():
            return []
        rows = [line.split() for line in self.index.read_text().splitlines() if line]
        return [(float(t), int(end)) for t, end in rows]

    def output(self) -> bytes:
        return self.data.read_bytes() if self.data.exists() else b""

    def bytes_so_far(self) -> int:
        chunks = self.chunks()
        return chunks[-1][1] if chunks else 0

    def quiet(self, seconds: float, limit: float = 3.0) -> None:
        """Wait until nothing was written for `seconds`."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            chunks = self.chunks()
            if not chunks or time.monotonic() - chunks[-1][0] >= seconds:
                return
            time.sleep(0.02)

    def changed_from(self, size: int, limit: float = 1.0) -> None:
        """Wait until something more than `size` bytes was written."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and self.bytes_so_far() <= size:
            time.sleep(0.005)

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def wait_until(condition, limit: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.005)
    raise TimeoutError("the program did not get there in time")


def first_frame(pane: Pane, ready: list[bytes]) -> tuple[float, int]:
    """When (and after how many bytes) every ready marker had been written."""
    wait_until(lambda: all(marker in pane.output() for marker in ready))
    data = pane.output()
    needed = max(data.index(marker) + len(marker) for marker in ready)
    for when, end in pane.chunks():
        if end >= needed:
            return when, end
    raise RuntimeError("ready markers not found in the recorded chunks")


def cpu_seconds(pid: int) -> float:
    """CPU time the process has run so far (/proc/PID/schedstat, in ns)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def measure(program: Program, keys: int) -> Run:
    with tempfile.TemporaryDirectory(prefix="mailgw-bench-") as folder:
        pane = Pane(Path(folder))
        try:
            started, pid = pane.start(program.argv)
            ready_at, frame_bytes = first_frame(pane, program.ready)
            cpu = cpu_seconds(pid)
            pane.quiet(0.3)
            for key in program.to_text_field:
                pane.tmux("send-keys", key)
            time.sleep(1.5)  # let any animation (the tab underline) finish
            idle_from, idle_start = time.monotonic(), pane.bytes_so_far()
            time.sleep(2.0)
            idle_rate = (pane.bytes_so_far() - idle_start) / (time.monotonic() - idle_from)
            per_key = []
            for index in range(keys):
                before = pane.bytes_so_far()
                pane.tmux("send-keys", "-l", "abcdefghij"[index % 10])
                pane.changed_from(before)
                pane.quiet(0.15)
                per_key.append(pane.bytes_so_far() - before)
            peak = peak_kib(pid)
            for key in program.quit_keys:
                pane.tmux("send-keys", key)
            return Run(ready_at - started, cpu, frame_bytes, per_key, idle_rate, peak)
        finally:
            pane.kill()


def programs(folder: Path) -> list[Program]:
    mailgw = str(Path(sys.executable).with_name("mailgw"))
    platform, custom = folder / "email-gateway.toml", folder / "custom.toml"
    platform.write_text("schema_version = 1\n")  # an existing file: no config opens the wizard
    custom.write_text(CUSTOM_CONFIG)
    custom.chmod(0o600)
    form = str(reference_apps.write(folder, "minimal_form", reference_apps.MINIMAL_FORM))
    one_input = str(reference_apps.write(folder, "one_input", reference_apps.ONE_INPUT))
    return [
        Program(
            "mailgw, platform file",
            [mailgw, "--config", str(platform)],
            [b"platform gateway", b"Sections"],
            ["F6"],  # Email settings: the cursor lands in the sender address
            ["F10", "q"],
        ),
        Program(
            "mailgw, custom-SMTP file",
            [mailgw, "--config", str(custom)],
            [b"custom SMTP mail.example.com:587", b"gps@example.com", b"Sections"],
            ["Tab", "Tab"],  # the host field
            ["F10", "q"],
        ),
        Program(
            MINIMAL_FORM,
            [sys.executable, form],
            [b"minimal-ready", b"Sections"],
            [],
            ["F10"],
        ),
        Program(ONE_INPUT, [sys.executable, one_input], [b"minimal-ready"], [], ["C-q"]),
    ]


MINIMAL_FORM = "minimal five-tab form"
ONE_INPUT = "minimal app (one Input)"


def report(name: str, runs: list[Run]) -> dict[str, float]:
    keys = [b for run in runs for b in run.key_bytes]
    row = {
        "startup_ms": statistics.median(r.startup for r in runs) * 1000,
        "startup_cpu_ms": statistics.median(r.startup_cpu for r in runs) * 1000,
        "first_frame_bytes": statistics.median(r.first_frame_bytes for r in runs),
        "key_bytes_median": statistics.median(keys),
        "key_bytes_max": max(keys),
        "idle_bytes_per_s": statistics.median(r.idle_bytes_per_second for r in runs),
        "peak_mib": statistics.median(r.peak_kib for r in runs) / 1024,
    }
    print(
        f"{name:34} start {row['startup_ms']:5.0f} ms ({row['startup_cpu_ms']:3.0f} ms CPU)"
        f" | first frame {row['first_frame_bytes']:6.0f} B"
        f" | keystroke median {row['key_bytes_median']:4.0f} B, max {row['key_bytes_max']:4.0f} B"
        f" | idle {row['idle_bytes_per_s']:4.0f} B/s | peak {row['peak_mib']:5.1f} MiB"
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keys", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mailgw-bench-config-") as folder:
        results: dict[str, list[Run]] = {}
        for _ in range(args.runs):
            for program in programs(Path(folder)):  # alternate, so both see the same machine state
                results.setdefault(program.name, []).append(measure(program, args.keys))
        print(f"tmux 80x24, {args.runs} runs each, {args.keys} keystrokes per run (medians)")
        rows = {name: report(name, runs) for name, runs in results.items()}
    for name in ("mailgw, platform file", "mailgw, custom-SMTP file"):
        for reference in (MINIMAL_FORM, ONE_INPUT):
            mine, theirs = rows[name], rows[reference]
            print(
                f"{name} / {reference}: start {mine['startup_ms'] / theirs['startup_ms']:.2f}"
                f" (CPU {mine['startup_cpu_ms'] / theirs['startup_cpu_ms']:.2f}),"
                f" first-frame bytes {mine['first_frame_bytes'] / theirs['first_frame_bytes']:.2f}"
            )


if __name__ == "__main__":
    main()
