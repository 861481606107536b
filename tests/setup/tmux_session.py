"""A tmux session at 80x24 on its own server socket, read by bounded polling of capture-pane."""

from __future__ import annotations

import os
import subprocess
import time
import uuid


class TmuxSession:
    """One detached session running a command; `kill()` stops its whole server."""

    def __init__(self, width: int = 80, height: int = 24) -> None:
        self.socket = f"mailgw-setup-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.width, self.height = width, height

    def _tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        command = ["tmux", "-L", self.socket, "-f", "/dev/null", *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, env=env)
        if done.returncode != 0:
            raise RuntimeError(f"tmux {args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def start(self, argv: list[str], env: dict[str, str]) -> None:
        """Run `argv`, then print its exit status and wait, so the screen can still be read."""
        # the shell traps Ctrl+C (its child still gets it) so it lives on to print the status
        shell = 'trap : INT; "$0" "$@"; echo "[exit $?]"; sleep 120'
        size = ("-x", str(self.width), "-y", str(self.height))
        self._tmux("new-session", "-d", *size, "sh", "-c", shell, *argv, env=env)

    def screen(self, history: bool = False) -> str:
        """The visible pane, or everything printed since the start with `history`."""
        return self._tmux("capture-pane", "-p", "-J", *(["-S", "-"] if history else []))

    def wait_for(self, text: str, timeout: float = 60.0) -> str:
        """Poll the screen until it shows `text` (generous: a busy machine is slow, not wrong)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not shown within {timeout} s; screen:\n{self.screen()}")

    def type(self, text: str) -> None:
        """Type `text` literally, then Enter."""
        if text:
            self._tmux("send-keys", "-l", text)
        self._tmux("send-keys", "Enter")

    def keys(self, *names: str) -> None:
        """Press keys by tmux name (C-c, Enter)."""
        self._tmux("send-keys", *names)

    def kill(self) -> None:
        subprocess.run(
            ["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10, check=False
        )
