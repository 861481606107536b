"""What every command module shares with the click group in mailgw.cli.

Commands import these from here, never from mailgw.cli: cli imports and registers the command
modules, so the arrow points one way only (cli -> commands). Exit codes everywhere: 0 fine,
1 checked and found problems, 2 could not run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

EXIT_OK, EXIT_PROBLEMS, EXIT_CANNOT_RUN = 0, 1, 2


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
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


pass_context = click.make_pass_decorator(Context)
