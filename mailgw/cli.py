"""Headless commands: one click group, commands registered from mailgw.commands.*.

Exit codes everywhere: 0 fine, 1 checked and found problems, 2 could not run. Errors go to
stderr as one line, never a traceback. Nothing here imports Textual: commands start fast.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import click

from mailgw import __version__
from mailgw.commands.common import (
    EXIT_CANNOT_RUN,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    SIGTERM_SEEN,
    Context,
    Interrupted,
    Terminated,
    emit_json,
    is_termination,
    printable_streams,
)
from mailgw.config.errors import ConfigError
from mailgw.config.paths import resolve_config_path
from mailgw.i18n import N_, _, translate_libraries


class _Group(click.Group):
    """The command group; an interrupt leaves a command as Interrupted, before click's own
    handler would print a bare newline and call it Abort."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            raise Interrupted("", terminated=is_termination(exc)) from None


@click.group(
    cls=_Group,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_(
        "Config file (default: $MAILGW_CONFIG, "
        "/etc/mailgw/email-gateway.toml as root, else "
        "~/.config/mailgw/email-gateway.toml)."
    ),
)
@click.version_option(__version__, prog_name="mailgw")
@click.pass_context
def main(ctx: click.Context, config: Path | None) -> None:
    """mailgw: how the platform's email leaves. With no command, opens the console."""
    ctx.obj = Context(resolve_config_path(config))
    if ctx.invoked_subcommand is None:
        from mailgw.tui.app import run as run_tui  # imported only here: commands stay fast

        run_tui(ctx.obj.config_path)


def _register_commands() -> None:
    from mailgw.commands import (
        config_cmds,
        domain_cmds,
        password_cmds,
        receive_cmds,
        setup_cmds,
        smtp_cmds,
    )

    for module in (config_cmds, password_cmds, smtp_cmds, receive_cmds, domain_cmds, setup_cmds):
        module.register(main)


_register_commands()


def run(argv: list[str] | None = None) -> None:
    """Entry point: exit 0/1/2, every error as one line on stderr, never a traceback."""
    with printable_streams(), _sigterm_as_interrupt():
        code = _run(argv)
    sys.exit(code)


def run_and_exit() -> NoReturn:
    """The console script's way out: run, flush what was printed, and end the process without
    the interpreter's teardown (freeing every module one by one: 20-40 ms the OS does at once).
    Nothing of ours needs it: files are written and closed, worker threads have finished."""
    try:
        run()
        code: object = EXIT_OK
    except SystemExit as exc:
        code = exc.code
    status = code if isinstance(code, int) else EXIT_OK if code is None else EXIT_CANNOT_RUN
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the reader left (`| head`), or the stream is closed
            pass
    if sys.getprofile() or sys.gettrace():  # a profiler or coverage writes its data at exit
        sys.exit(status)
    os._exit(status)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops a command as Ctrl-C does (the console installs its own handler)."""

    def terminate(signum: int, frame: object) -> None:
        SIGTERM_SEEN.append(True)
        if asyncio_running():
            # asyncio.run's own SIGINT handler cancels the main task and lets it clean up; an
            # exception raised here could land inside the loop's internals and break that
            # ("Task was destroyed but it is pending!", a traceback)
            signal.raise_signal(signal.SIGINT)
            return
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not the main thread (a test calling run() from a thread)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def asyncio_running() -> bool:
    """An event loop runs in this (the main) thread: a signal arrived during asyncio.run."""
    asyncio = sys.modules.get("asyncio")  # never imported just to ask
    return asyncio is not None and asyncio._get_running_loop() is not None


def localise(command: click.Command) -> None:
    """Put the help texts in the current language (the English msgids are kept aside)."""
    command.options_metavar = _("[OPTIONS]")
    for item in (command, *command.params):
        english = item.__dict__.setdefault("_help_msgid", getattr(item, "help", None))
        if english:
            item.help = _(english)  # help is data here: marked with N_() where it is written
    for sub in getattr(command, "commands", {}).values():
        localise(sub)


def _run(argv: list[str] | None) -> int:
    localise(main)
    translate_libraries()
    try:
        code = main.main(args=argv, prog_name="mailgw", standalone_mode=False)
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "mailgw"
        return _error(
            _("{format_message} (see `{command} --help`)").format(
                format_message=exc.format_message(), command=command
            ),
            EXIT_CANNOT_RUN,
        )
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort as exc:  # a prompt ended: by Ctrl-C, or by the input's end
        if isinstance(exc.__context__, EOFError):
            return _error(_("interrupted"), EXIT_CANNOT_RUN)
        return _interrupted(exc.__context__ or exc, argv if argv is not None else sys.argv[1:])
    except (KeyboardInterrupt, Interrupted) as exc:
        return _interrupted(exc, argv if argv is not None else sys.argv[1:])
    except ConfigError as exc:
        return _error(str(exc), EXIT_CANNOT_RUN)
    except BrokenPipeError:  # `mailgw show | head`: the reader left, nothing to say
        _silence_stdout()
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the last line of defence against a traceback
        return _error(_unexpected(exc), EXIT_CANNOT_RUN)
    # standalone_mode=False hands back ctx.exit(N) as a return value (None when a command ends)
    return code if isinstance(code, int) else EXIT_OK


def _interrupted(exc: BaseException, argv: list[str]) -> int:
    """The one interrupt rule: one line on stderr, `{"ok": false, "interrupted": ...}` under
    --json, exit 130 for Ctrl-C and 143 for SIGTERM, whichever command was running."""
    terminated = is_termination(exc) or getattr(exc, "terminated", False)
    detail = exc.detail if isinstance(exc, Interrupted) else ""
    message = _("interrupted{detail}").format(detail=detail)
    if "--json" in argv:
        name = "SIGTERM" if terminated else "SIGINT"
        emit_json({"ok": False, "interrupted": name, "message": message})
    return _error(message, EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)


def _error(message: str, code: int) -> int:
    click.echo(f"mailgw: {message}", err=True)
    return code


def _unexpected(exc: BaseException) -> str:
    """Name the error and where it happened, never its message: it may hold the password."""
    import traceback  # only on this rare path: it costs a few ms of every start

    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" in {Path(frame.filename).name}:{frame.lineno}" if frame else ""
    return _(
        "unexpected error ({name}{where}); this is a bug in mailgw, please "
        "report it with the command you ran"
    ).format(name=type(exc).__name__, where=where)


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
