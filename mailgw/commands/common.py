"""What every command module shares with the click group in mailgw.cli.

Commands import these from here, never from mailgw.cli: cli imports and registers the command
modules, so the arrow points one way only (cli -> commands). Exit codes everywhere: 0 fine,
1 checked and found problems, 2 could not run.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TextIO, cast

import click

from mailgw.config.printable import json_safe, printable

EXIT_OK, EXIT_PROBLEMS, EXIT_CANNOT_RUN = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM: handled as Ctrl-C is (work cancelled, connections closed), exit 143."""


SIGTERM_SEEN: list[bool] = []  # set by mailgw.cli's handler: a later KeyboardInterrupt is it


def is_termination(exc: BaseException) -> bool:
    """An interrupt that SIGTERM caused (raised as Terminated, or as asyncio's Ctrl-C)."""
    return isinstance(exc, Terminated) or bool(SIGTERM_SEEN)


class Interrupted(Exception):
    """A command stopped by Ctrl-C or SIGTERM, with what it was doing ("" when nothing)."""

    def __init__(self, detail: str, *, terminated: bool) -> None:
        super().__init__(detail)
        self.detail, self.terminated = detail, terminated


@dataclass
class Context:
    """What every command gets: the resolved config path."""

    config_path: Path


class CannotRun(click.ClickException):
    """Exit 2 with one line on stderr."""

    exit_code = EXIT_CANNOT_RUN

    def show(self, file: Any = None) -> None:
        click.echo(f"mailgw: {self.format_message()}", err=True)


def fail(message: str) -> NoReturn:
    raise CannotRun(message)


def emit_json(data: Any) -> None:
    click.echo(json_safe(json.dumps(data, indent=2, ensure_ascii=False, default=str)))


class _PrintableStream:
    """stdout or stderr, every control character written as a visible escape (`printable`):
    a server's reply, a certificate name or a TXT record never drives the terminal."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError("a text stream")  # click then looks no further for a binary one
        self._stream.write(printable(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def printable_streams() -> Iterator[None]:
    """While a command runs, what it prints goes through `printable`."""
    saved = sys.stdout, sys.stderr
    sys.stdout = cast(TextIO, _PrintableStream(sys.stdout))
    sys.stderr = cast(TextIO, _PrintableStream(sys.stderr))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


pass_context = click.make_pass_decorator(Context)
