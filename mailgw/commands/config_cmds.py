"""show, set, unset, check, backups, restore, path, schema."""

from __future__ import annotations

import json
from typing import Any

import click

from mailgw.commands.common import EXIT_PROBLEMS, Context, emit_json, fail, pass_context
from mailgw.config import store
from mailgw.config.editing import EditRefused, EditSession
from mailgw.config.schema import KEYS, SECRET_KEYS, ValueParseError, json_schema, to_dict
from mailgw.config.validate import Problem, Severity, errors, validate
from mailgw.i18n import N_, _


def register(group: click.Group) -> None:
    for command in (show, set_, unset, check, backups, restore, path, schema):
        group.add_command(command)


@click.command()
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON for scripts."))
@click.option("--show-secrets", is_flag=True, help=N_("Print the password instead of a mask."))
@pass_context
def show(ctx: Context, as_json: bool, show_secrets: bool) -> None:
    """Print the effective settings (password masked)."""
    loaded = store.load(ctx.config_path)
    data = to_dict(loaded.settings) if show_secrets else store.masked_values(loaded.settings)
    if as_json:
        emit_json(
            {
                "path": str(ctx.config_path),
                "exists": loaded.exists,
                "settings": data,
                "unknown_keys": loaded.unknown_keys,
            }
        )
        return
    source = "" if loaded.exists else _("  (file does not exist yet: defaults)")
    click.echo(f"# {ctx.config_path}{source}")
    for key in KEYS:
        value = _lookup(data, key)
        click.echo(f"{key} = {_shown(value)}")
    if loaded.unknown_keys:
        click.echo(
            _("# kept as they are (not mailgw's): {unknown_keys}").format(
                unknown_keys=", ".join(loaded.unknown_keys)
            )
        )


def _lookup(data: dict[str, Any], key: str) -> Any:
    node: Any = data
    for part in key.split("."):
        node = node[part]
    return node


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # escaped like a TOML basic string: a control character never reaches the terminal
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_shown(item) for item in value) + "]"
    return str(value)


def _parse_assignments(pairs: tuple[str, ...]) -> dict[str, str]:
    """KEY=VALUE pairs as typed; their text is read by the editing layer."""
    assignments: dict[str, str] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep:
            fail(_("expected KEY=VALUE, got {pair!r}").format(pair=pair))
        if key in SECRET_KEYS:
            fail(
                _(
                    "{key} is not set on the command line (it would land in shell "
                    "history and the process list); use `mailgw set-password`"
                ).format(key=key)
            )
        if not _is_text(pair):  # the shell passed bytes that are not UTF-8 (surrogate escapes)
            fail(
                _("the value of {key} is not valid UTF-8 text; type it again in UTF-8").format(
                    key=ascii(key)
                )
            )
        assignments[key] = text
    return assignments


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def save_edits(ctx: Context, session: EditSession, force: bool) -> store.SaveResult | None:
    """Save through the editing layer, print what changed; None when nothing changed."""
    blocking = session.blocking_problems()
    if blocking:
        fail(str(EditRefused(blocking)))
    assert session.loaded is not None
    if session.loaded.exists and not session.is_modified():
        click.echo(_("nothing changed"))
        return None
    result = session.save(force=force)
    for change in result.changes:
        old, new = change.shown()
        click.echo(f"{change.key}: {_shown(old)} -> {_shown(new)}")
    for problem in session.problems():
        click.echo(problem_line(problem), err=True)
    return result


@click.command("set")
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
@click.option("--force", is_flag=True, help=N_("Save even if the file changed on disk since read."))
@pass_context
def set_(ctx: Context, assignments: tuple[str, ...], force: bool) -> None:
    """Set keys (dotted, e.g. smtp.host=mail.example.com), validate and save."""
    typed = _parse_assignments(assignments)
    session = EditSession.open_strict(ctx.config_path)
    try:
        session.apply_text(typed)
    except ValueParseError as exc:
        fail(str(exc))
    save_edits(ctx, session, force)


@click.command()
@click.argument("keys", nargs=-1, required=True, metavar="KEY...")
@click.option("--force", is_flag=True, help=N_("Save even if the file changed on disk since read."))
@pass_context
def unset(ctx: Context, keys: tuple[str, ...], force: bool) -> None:
    """Put keys back to their defaults."""
    session = EditSession.open_strict(ctx.config_path)
    try:
        for key in keys:
            session.reset(key)
    except ValueParseError as exc:
        fail(str(exc))
    save_edits(ctx, session, force)


@click.command()
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON for scripts."))
@pass_context
def check(ctx: Context, as_json: bool) -> None:
    """Validate the config; exit 1 if it has errors."""
    loaded = store.load(ctx.config_path)
    problems = validate(loaded.settings, ctx.config_path)
    ok = not errors(problems)
    if as_json:
        emit_json({"ok": ok, "problems": [p.as_dict() for p in problems]})
    else:
        _print_problems(problems)
    if not ok:
        click.get_current_context().exit(EXIT_PROBLEMS)


def _print_problems(problems: list[Problem]) -> None:
    if not problems:
        click.echo(_("ok: no problems found"))
    for problem in problems:
        click.echo(problem_line(problem))


# Text for people, in their language; scripts read `check --json`, whose severity stays a name.
PROBLEM_LINES = {
    Severity.ERROR: N_("error: {key}: {message}"),
    Severity.WARNING: N_("warning: {key}: {message}"),
}


def problem_line(problem: Problem) -> str:
    """One problem as `check` and `set` print it: severity, key, message."""
    line = _(PROBLEM_LINES[problem.severity])
    return line.format(key=problem.key, message=problem.for_command)


@click.command()
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON for scripts."))
@pass_context
def backups(ctx: Context, as_json: bool) -> None:
    """List the backups kept of the config, newest first."""
    found = store.list_backups(ctx.config_path)
    if as_json:
        emit_json(
            [{"id": b.id, "path": str(b.path), "size": b.size, "taken": b.taken} for b in found]
        )
        return
    if not found:
        click.echo(_("no backups yet (one is kept at every save)"))
    for backup in found:
        click.echo(
            _("{id}  {taken:%Y-%m-%d %H:%M:%S} UTC  {size} bytes").format(
                id=backup.id, taken=backup.taken, size=backup.size
            )
        )


@click.command()
@click.argument("backup_id", required=False, metavar="[ID]")
@click.option("--force", is_flag=True, help=N_("Restore even if the file changed meanwhile."))
@pass_context
def restore(ctx: Context, backup_id: str | None, force: bool) -> None:
    """Put a backup back (the newest if no ID); the current file is backed up first."""
    result = EditSession.open(ctx.config_path).restore(backup_id, force=force)
    kept = _(" (previous kept as {backup})").format(backup=result.backup) if result.backup else ""
    click.echo(_("restored {config_path}{kept}").format(config_path=ctx.config_path, kept=kept))


@click.command()
@pass_context
def path(ctx: Context) -> None:
    """Print the config file path in use."""
    click.echo(str(ctx.config_path))


@click.command()
def schema() -> None:
    """Print the JSON Schema of the config file."""
    emit_json(json_schema())
