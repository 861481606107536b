"""set-password and set-secret: the one way to store the SMTP password and the OAuth 2.0
client secret, never through argv."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mailgw.commands.common import Context, fail, pass_context
from mailgw.commands.config_cmds import save_edits
from mailgw.config.editing import EditSession
from mailgw.config.errors import ConfigError
from mailgw.config.validate import uses_oauth2
from mailgw.i18n import N_, _

SECRET_FILE_KEY = "smtp.auth.oauth2.client_secret_file"


def register(group: click.Group) -> None:
    group.add_command(set_password)
    group.add_command(set_secret)


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
@click.option(
    "--receive",
    is_flag=True,
    help=N_(
        "The receiving mailbox's password instead, in a 0600 file (default: the one "
        "receive.password_file names, else mailbox.password beside the config)."
    ),
)
@click.option("--force", is_flag=True, help=N_("Save even if the file changed on disk since read."))
@pass_context
def set_password(
    ctx: Context, from_stdin: bool, secret_file: Path | None, receive: bool, force: bool
) -> None:
    """Store the SMTP password (asked twice without echo, or --stdin for scripts)."""
    session = EditSession.open_strict(ctx.config_path)  # a bad config fails before the prompt
    if receive:
        _set_mailbox_password(ctx, session, from_stdin, secret_file, force)
        return
    # --stdin typed at a terminal would echo: ask without echo there instead
    password = _read_secret(from_stdin, _("SMTP password"), _("Repeat the password"))
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


def _set_mailbox_password(
    ctx: Context, session: EditSession, from_stdin: bool, secret_file: Path | None, force: bool
) -> None:
    """The receiving mailbox's password: always in its own 0600 file, never in the config."""
    password = _read_secret(from_stdin, _("Mailbox password"), _("Repeat the password"))
    if not password:
        fail(_("the password is empty; nothing was saved"))
    named = session.settings.receive.password_file
    default = Path(named) if named else ctx.config_path.parent / "mailbox.password"
    secret_file = (secret_file or default).expanduser().absolute()
    save_secret_file(ctx, session, "receive.password_file", secret_file, password, force)
    del password
    click.echo(_("mailbox password saved in {where} (0600)").format(where=secret_file))


@click.command("set-secret")
@click.option(
    "--stdin", "from_stdin", is_flag=True, help=N_("Read the secret from stdin's first line.")
)
@click.option(
    "--file",
    "secret_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_(
        "Keep the secret in this file (0600); default: the file smtp.auth.oauth2."
        "client_secret_file names, else oauth2-client.secret beside the config."
    ),
)
@click.option("--force", is_flag=True, help=N_("Save even if the file changed on disk since read."))
@pass_context
def set_secret(ctx: Context, from_stdin: bool, secret_file: Path | None, force: bool) -> None:
    """Store the OAuth 2.0 client secret in a 0600 file (asked twice, or --stdin)."""
    session = EditSession.open_strict(ctx.config_path)
    secret = _read_secret(from_stdin, _("Client secret"), _("Repeat the client secret"))
    if not secret.strip():
        fail(_("the client secret is empty; nothing was saved"))
    named = session.settings.smtp.auth.oauth2.client_secret_file
    default = Path(named) if named else ctx.config_path.parent / "oauth2-client.secret"
    secret_file = (secret_file or default).expanduser().absolute()
    save_secret_file(ctx, session, SECRET_FILE_KEY, secret_file, secret.strip(), force)
    del secret
    click.echo(_("client secret saved in {where} (0600)").format(where=secret_file))
    if not uses_oauth2(session.settings):
        click.echo(
            _(
                "note: the login does not use OAuth 2.0 yet; turn it on: "
                "mailgw set smtp.auth.enabled=true smtp.auth.method=oauth2"
            )
        )


def save_secret_file(
    ctx: Context, session: EditSession, key: str, path: Path, secret: str, force: bool
) -> None:
    """Name `path` in `key` and write `secret` to it once the config is saved (the editing
    layer's one safe order); the config is put back if the file cannot be written."""
    try:
        session.save_with_secret_file(key, path, secret, lambda: save_edits(ctx, session, force))
    except ConfigError as exc:
        fail(str(exc))


def _read_secret(from_stdin: bool, prompt: str, again: str) -> str:
    # --stdin typed at a terminal would echo: ask without echo there instead
    return (
        _read_from_stdin() if from_stdin and not sys.stdin.isatty() else _ask_twice(prompt, again)
    )


def _read_from_stdin() -> str:
    """The first line of stdin, without its line ending (`pass show` puts notes below it)."""
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def _ask_twice(prompt: str, again: str) -> str:
    if not sys.stdin.isatty():
        fail(_("no terminal to ask on; pipe the secret in with --stdin"))
    return click.prompt(prompt, hide_input=True, confirmation_prompt=again, show_default=False)
