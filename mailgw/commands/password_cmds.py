"""set-password: the one way to store the SMTP password, never through argv."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mailgw.commands.common import Context, fail, pass_context
from mailgw.commands.config_cmds import save_edits
from mailgw.config.editing import EditSession
from mailgw.config.errors import ConfigError
from mailgw.i18n import N_, _


def register(group: click.Group) -> None:
    group.add_command(set_password)


@click.command("set-password")
@click.option(
    "--stdin", "from_stdin", is_flag=True, help=N_("Read the password from stdin's first line.")
)
@click.option(
    "--file",
    "secret_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("Keep the password in this file (0600) and name it in smtp.auth.password_file."),
)
@click.option("--force", is_flag=True, help=N_("Save even if the file changed on disk since read."))
@pass_context
def set_password(ctx: Context, from_stdin: bool, secret_file: Path | None, force: bool) -> None:
    """Store the SMTP password (asked twice without echo, or --stdin for scripts)."""
    session = EditSession.open_strict(ctx.config_path)  # a bad config fails before the prompt
    # --stdin typed at a terminal would echo: ask without echo there instead
    password = _read_from_stdin() if from_stdin and not sys.stdin.isatty() else _ask_twice()
    if not password:
        fail(_("the password is empty; nothing was saved"))
    if secret_file is None:
        session.set("smtp.auth.password", password)  # the editing layer drops a password_file
        save_edits(ctx, session, force)
    else:
        secret_file = secret_file.expanduser().absolute()
        save_secret_file(ctx, session, "smtp.auth.password_file", secret_file, password, force)
    del password
    where = f"{secret_file} (0600)" if secret_file else f"{ctx.config_path}"
    click.echo(_("password saved in {where}").format(where=where))
    if not session.settings.smtp.auth.enabled:
        click.echo(_("note: authentication is off; turn it on: mailgw set smtp.auth.enabled=true"))


def save_secret_file(
    ctx: Context, session: EditSession, key: str, path: Path, secret: str, force: bool
) -> None:
    """Name `path` in `key` and write `secret` to it once the config is saved (the editing
    layer's one safe order); the config is put back if the file cannot be written."""
    try:
        session.save_with_secret_file(key, path, secret, lambda: save_edits(ctx, session, force))
    except ConfigError as exc:
        fail(str(exc))


def _read_from_stdin() -> str:
    """The first line of stdin, without its line ending (`pass show` puts notes below it)."""
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def _ask_twice() -> str:
    if not sys.stdin.isatty():
        fail(_("no terminal to ask the password on; pipe it in with --stdin"))
    return click.prompt(
        _("SMTP password"),
        hide_input=True,
        confirmation_prompt=_("Repeat the password"),
        show_default=False,
    )
