"""What the console writes to an SSH link while nobody types, and per section switch (F6).

    .venv/bin/python benchmarks/tui_ssh.py [--runs 3] [--idle 10] [--switches 10]

Idle: with the cursor in a text field (the console's Email settings, its DKIM message box, the
wizard's host question), the bytes written in --idle seconds once the screen has settled; the
goal is 0. F6: the bytes each section switch writes (median and largest over --switches,
which go round the five tabs twice: the first round fills each tab), next to the same
switches in a plain five-tab Textual app of the same shape (benchmarks/reference_apps.py),
both as Textual draws it by default and `--steady` (no animation, no blink, as mailgw draws
it). Output is recorded through tmux `pipe-pane` at 80x24, as in benchmarks/tui_startup.py.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import reference_apps
from tui_startup import CUSTOM_CONFIG, Pane, first_frame

PLATFORM_CONFIG = "schema_version = 1\n"


@dataclass
class Scene:
    name: str
    argv: list[str]
    ready: list[bytes]  # all written: the first complete frame
    keys: list[str]  # tmux keys, each once the screen is quiet, that reach the field
    shows: str  # on screen once the keys are handled: the keys did what was meant


def start(pane: Pane, scene: Scene) -> None:
    pane.start(scene.argv)
    first_frame(pane, scene.ready)
    pane.quiet(0.4)
    for key in scene.keys:
        before = pane.bytes_so_far()
        pane.tmux("send-keys", key)
        pane.changed_from(before, limit=5.0)
        pane.quiet(0.4)
    screen = pane.tmux("capture-pane", "-p")
    if scene.shows not in screen:
        raise RuntimeError(f"{scene.name}: {scene.shows!r} not on screen:\n{screen}")


def idle_bytes(scene: Scene, seconds: float) -> int:
    with tempfile.TemporaryDirectory(prefix="mailgw-bench-") as folder:
        pane = Pane(Path(folder))
        try:
            start(pane, scene)
            time.sleep(1.5)  # anything the last key started (an animation) has finished
            before = pane.bytes_so_far()
            time.sleep(seconds)
            return pane.bytes_so_far() - before
        finally:
            pane.kill()


def switch_bytes(scene: Scene, switches: int) -> list[int]:
    with tempfile.TemporaryDirectory(prefix="mailgw-bench-") as folder:
        pane = Pane(Path(folder))
        try:
            start(pane, scene)
            written = []
            for _ in range(switches):
                before = pane.bytes_so_far()
                pane.tmux("send-keys", "F6")
                pane.changed_from(before)
                pane.quiet(0.4)  # the switch and what follows it (the underline's slide)
                written.append(pane.bytes_so_far() - before)
            return written
        finally:
            pane.kill()


def scenes(folder: Path) -> dict[str, Scene]:
    mailgw = str(Path(sys.executable).with_name("mailgw"))
    platform, custom = folder / "platform.toml", folder / "custom.toml"
    platform.write_text(PLATFORM_CONFIG)
    custom.write_text(CUSTOM_CONFIG)
    custom.chmod(0o600)
    missing = folder / "missing.toml"
    form = str(reference_apps.write(folder, "minimal_form", reference_apps.MINIMAL_FORM))
    one_input = str(reference_apps.write(folder, "one_input", reference_apps.ONE_INPUT))
    console_ready = [b"Sections"]
    return {
        "console, sender address": Scene(
            "console, sender address",
            [mailgw, "--config", str(platform)],
            console_ready,
            ["F6"],
            "Sender (From)",
        ),
        "console, DKIM message": Scene(
            "console, DKIM message",
            [mailgw, "--config", str(platform)],
            console_ready,
            ["F6"] * 4,
            "Paste a message you received",
        ),
        "wizard, SMTP host": Scene(
            "wizard, SMTP host",
            [mailgw, "--config", str(missing)],
            [b"Next (F9)"],
            ["Down", "Space", "F9", "Tab"],
            "Server host name",
        ),
        "minimal app (one Input)": Scene(
            "minimal app (one Input)", [sys.executable, one_input], [b"minimal-ready"], [], ""
        ),
        "console, platform file": Scene(
            "console, platform file", [mailgw, "--config", str(platform)], console_ready, [], ""
        ),
        "console, custom-SMTP file": Scene(
            "console, custom-SMTP file", [mailgw, "--config", str(custom)], console_ready, [], ""
        ),
        "minimal five-tab form": Scene(
            "minimal five-tab form", [sys.executable, form], [b"Sections"], [], ""
        ),
        "minimal five-tab form --steady": Scene(
            "minimal five-tab form --steady",
            [sys.executable, form, "--steady"],
            [b"Sections"],
            [],
            "",
        ),
    }


IDLE = ("console, sender address", "console, DKIM message", "wizard, SMTP host")
IDLE_REFERENCE = "minimal app (one Input)"
SWITCH = ("console, platform file", "console, custom-SMTP file")
SWITCH_REFERENCES = ("minimal five-tab form", "minimal five-tab form --steady")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds idle per run")
    parser.add_argument("--switches", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mailgw-bench-config-") as folder:
        every = scenes(Path(folder))
        idle: dict[str, list[int]] = {}
        switch: dict[str, list[int]] = {}
        for _ in range(args.runs):  # interleaved, so all see the same machine state
            for name in (*IDLE, IDLE_REFERENCE):
                idle.setdefault(name, []).append(idle_bytes(every[name], args.idle))
            for name in (*SWITCH, *SWITCH_REFERENCES):
                switch.setdefault(name, []).extend(switch_bytes(every[name], args.switches))
    print(f"tmux 80x24, {args.runs} runs; idle {args.idle:g} s with the cursor in a text field")
    for name, counts in idle.items():
        print(f"  {name:34} {statistics.median(counts):7.0f} B (largest {max(counts)} B)")
    print(f"bytes per F6 switch, {args.switches} switches per run (median, largest)")
    medians = {name: statistics.median(counts) for name, counts in switch.items()}
    for name, counts in switch.items():
        print(f"  {name:34} {medians[name]:7.0f} B  {max(counts):7d} B")
    for name in SWITCH:
        ratios = ", ".join(
            f"{medians[name] / medians[ref]:.2f} vs {ref}" for ref in SWITCH_REFERENCES
        )
        print(f"  ratio {name}: {ratios}")


if __name__ == "__main__":
    main()
