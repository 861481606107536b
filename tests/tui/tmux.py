"""A private tmux server at 80x24 to drive the installed command like a person would."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from mailgw.tui.widgets.field import example

# Runs the command and records its pid and exit code: tmux sometimes misses the SIGCHLD of a
# pane's process and never reports its exit status, so the test does not rely on tmux for it.
RECORDER = (
    "import subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[2:])\n"
    "open(sys.argv[1] + '.pid', 'w').write(str(child.pid))\n"
    "code = child.wait()\n"
    "open(sys.argv[1], 'w').write(str(code))\n"
)


INSTALLED_MAILGW = Path(sys.executable).with_name("mailgw")  # the console script beside python
NEEDS_TMUX = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

KEY_INTERVAL = 0.03  # seconds between keys: a person never sends a burst of escape sequences
WAIT = 60.0  # seconds at most for the screen to show what is awaited: generous for a busy machine

_STYLE = re.compile(r"\x1b\[[0-9;:?]*[A-Za-z]")
WIZARD_COLUMN = 49  # the wizard's form column at 80x24: a label longer than that wraps


def _form_part(line: str) -> str:
    """A screen line without its styles and without the wizard's step list (left of `│`)."""
    return _STYLE.sub("", line).rpartition("│")[2].strip()


def label_line(label: str) -> str:
    """The first line of a field's label as drawn: what `Tmux.row` finds the field by."""
    return textwrap.wrap(label, WIZARD_COLUMN)[0]


class Tmux:
    """One tmux server on its own socket (`tmux -L`), one window of 80x24."""

    def __init__(self) -> None:
        self.socket = f"mailgw-test-{uuid.uuid4().hex[:12]}"

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )
        if result.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def start(self, argv: list[str], record_in: Path) -> None:
        """Start `argv` in a fresh 80x24 window; its pid and exit code go into `record_in`."""
        self.status_file = record_in / "exit-status"
        recorded = [sys.executable, "-c", RECORDER, str(self.status_file), *argv]
        command = shlex.join(recorded)
        self.run("-f", "/dev/null", "new-session", "-d", "-x", "80", "-y", "24", command)
        self.run("set-option", "-g", "remain-on-exit", "on")

    def pid(self) -> int:
        """The command's process id (not the recorder's)."""
        pid_file = self.status_file.with_name(self.status_file.name + ".pid")
        self.wait_for(pid_file.exists, what="the command's pid")
        return int(pid_file.read_text())

    def exit_code(self, timeout: float = WAIT) -> int:
        """Wait for the command to end; its exit code (negative: killed by that signal)."""

        def ended() -> bool:
            return self.status_file.exists() and self.status_file.read_text() != ""

        self.wait_for(ended, timeout, what="the command to end")
        return int(self.status_file.read_text())

    def alternate_screen(self) -> bool:
        """Whether the pane is still in the alternate screen (a full-screen app not restored)."""
        return self.pane("#{?alternate_on,1,0}") == "1"

    def keys(self, *keys: str) -> None:
        """Press keys one at a time, at a quick typist's pace."""
        for key in keys:
            self.run("send-keys", key)
            time.sleep(KEY_INTERVAL)

    def text(self, text: str) -> None:
        """Type `text` character by character."""
        for char in text:
            self.run("send-keys", "-l", char)
            time.sleep(KEY_INTERVAL)

    def paste(self, text: str) -> None:
        """Bracketed paste, as a terminal pastes from the clipboard."""
        self.run("set-buffer", text)
        self.run("paste-buffer", "-p")

    def screen(self) -> str:
        return self.run("capture-pane", "-p")

    def styled_screen(self) -> str:
        """The pane with its colours and attributes (escape sequences) kept."""
        return self.run("capture-pane", "-p", "-e")

    def _field(self, label: str) -> tuple[str, str]:
        """(the styled line that shows the field labelled `label`, what its control shows).

        In the console the control is beside its label, on the label's line; in the wizard the
        label is above it, alone on its line, and the control on the next one. ("", "") when no
        form line (right of the wizard's `│`) starts with `label`.
        """
        lines = self.styled_screen().splitlines()
        for index, line in enumerate(lines):
            form = _form_part(line)
            if not form.startswith(label):
                continue
            rest = form[len(label) :]
            in_wizard = "│" in _STYLE.sub("", line)
            if in_wizard and "  " not in rest and index + 1 < len(lines):
                below = lines[index + 1]
                return below, _form_part(below)
            return line, rest.strip()
        return "", ""

    def row(self, label: str, *, styled: bool = False) -> str:
        """The line that shows the field labelled `label` (see `_field`); "" when none does.
        `styled`: with its escape sequences."""
        line = self._field(label)[0]
        return line if styled else _STYLE.sub("", line)

    def value(self, label: str) -> str:
        """What the control of the field labelled `label` shows (its first line)."""
        return self._field(label)[1]

    def typed(self, label: str) -> str:
        """What the field labelled `label` holds: "" while it shows its hint ("e.g. …", as
        `example()` writes every hint, in the language the command runs in: the test's)."""
        shown = self.value(label)
        return "" if shown.startswith(example("")) else shown

    def replace(self, label: str, text: str) -> None:
        """Type `text` into the focused field labelled `label`, emptied first, and wait until
        it shows. Ctrl+U is a binding: it takes effect only once the key has bubbled up to the
        app, while a typed character goes in at once, so the emptying is waited for."""
        if self.typed(label):
            self.keys("End", "C-u")
            self.wait_for(lambda: self.typed(label) == "", what=f"{label!r} emptied")
        self.text(text)
        self.wait_for(lambda: self.typed(label).startswith(text), what=f"{label!r}: {text!r}")

    def focus(self, label: str, key: str = "Tab") -> None:
        """Press `key` and wait until the field labelled `label` is drawn focused (its line's
        style changes). Keys sent before that would still go to the field that had the focus."""
        before = self.row(label, styled=True)
        self.keys(key)
        self.wait_for(lambda: self.row(label, styled=True) not in (before, ""))

    def pane(self, fmt: str) -> str:
        return self.run("display-message", "-p", fmt).strip()

    def wait_for(
        self, condition: Callable[[], bool], timeout: float = WAIT, what: str = "the condition"
    ) -> None:
        """Poll `condition` until it holds; fail with the screen after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        raise AssertionError(
            f"timed out after {timeout:g} s waiting for {what}; screen:\n{self.screen()}"
        )

    def wait_for_text(self, text: str, timeout: float = WAIT) -> None:
        self.wait_for(lambda: text in self.screen(), timeout, what=repr(text))

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)
