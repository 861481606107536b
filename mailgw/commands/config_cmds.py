"""show, set, unset, check, backups, restore, path, schema."""

from __future__ import annotations

import json
from typing import Any

import click

from mailgw.commands.common import EXIT_PROBLEMS, Context, emit_json, fail, pass_context
from mailgw.config import store
from mailgw.config.model import DEFAULT_PORTS, Security, Settings
from mailgw.config.schema import (
    KEYS,
    SECRET_KEYS,
    ValueParseError,
    get_value,
    json_schema,
    parse_value,
    set_value,
    to_dict,
)
from mailgw.config.validate import Problem, errors, validate
from mailgw.i18n import N_, _


def register(group: click.Group) -> None:
    for command in (show, set_, unset, check, backups, restore, path, schema):
        group.add_command(command)


def _masked_dict(settings: Settings) -> dict[str, Any]:
    data = to_dict(settings)
    for key in SECRET_KEYS:
        *tables, name = key.split(".")
        node = data
        for part in tables:
            node = node[part]
        if node[name]:
            node[name] = store.SECRET_MASK
    return data


@click.command()
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON for scripts."))
@click.option("--show-secrets", is_flag=True, help=N_("Print the password instead of a mask."))
@pass_context
def show(ctx: Context, as_json: bool, show_secrets: bool) -> None:
    """Print the effective settings (password masked)."""
    loaded = store.load(ctx.config_path)
    data = to_dict(loaded.settings) if show_secrets else _masked_dict(loaded.settings)
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


def _parse_assignments(pairs: tuple[str, ...]) -> dict[str, Any]:
    updates: dict[str, Any] = {}
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
        try:
            updates[key] = parse_value(key, text)
        except ValueParseError as exc:
            fail(str(exc))
    return updates


def _port_follows_security(old: Settings, new: Settings, updates: dict[str, Any]) -> None:
    """As in the admin panel: a security change moves a standard port along with it."""
    if "smtp.security" not in updates or "smtp.port" in updates:
        return
    if old.smtp.port in DEFAULT_PORTS.values() and old.smtp.security != new.smtp.security:
        new.smtp.port = DEFAULT_PORTS[Security(new.smtp.security)]


def save_validated(
    ctx: Context, loaded: store.LoadedConfig, settings: Settings, force: bool
) -> store.SaveResult | None:
    """Validate, save if nothing blocks, print what changed; None when nothing changed."""
    # the file's mode is judged after the save (which narrows it), so it is left out here
    blocking = errors(validate(settings))
    if blocking:
        found = "; ".join(f"{problem.key}: {problem.message}" for problem in blocking)
        fail(_("not saved (the file is unchanged): {found}").format(found=found))
    if loaded.exists and not store.changes(loaded, settings):
        click.echo(_("nothing changed"))
        return None
    result = store.save(loaded, settings, force=force)
    for change in result.changes:
        old, new = change.shown()
        click.echo(f"{change.key}: {_shown(old)} -> {_shown(new)}")
    for problem in validate(settings, ctx.config_path):
        click.echo(f"{problem.severity.value}: {problem.key}: {problem.message}", err=True)
    return result


@click.command("set")
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
@click.option("--force", is_flag=True, help=N_("Save even if the file changed on disk since read."))
@pass_context
def set_(ctx: Context, assignments: tuple[str, ...], force: bool) -> None:
    """Set keys (dotted, e.g. smtp.host=mail.example.com), validate and save."""
    updates = _parse_assignments(assignments)
    loaded = store.load(ctx.config_path)
    settings = loaded.settings.copy()
    for key, value in updates.items():
        set_value(settings, key, value)
    _port_follows_security(loaded.settings, settings, updates)
    save_validated(ctx, loaded, settings, force)


@click.command()
@click.argument("keys", nargs=-1, required=True, metavar="KEY...")
@click.option("--force", is_flag=True, help=N_("Save even if the file changed on disk since read."))
@pass_context
def unset(ctx: Context, keys: tuple[str, ...], force: bool) -> None:
    """Put keys back to their defaults."""
    loaded = store.load(ctx.config_path)
    settings = loaded.settings.copy()
    defaults = Settings()
    for key in keys:
        if key not in KEYS:
            fail(_("unknown key {key!r}; `mailgw show` lists the keys").format(key=key))
        set_value(settings, key, get_value(defaults, key))
    save_validated(ctx, loaded, settings, force)


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
        click.echo(f"{problem.severity.value}: {problem.key}: {problem.message}")


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
    result = store.restore(ctx.config_path, backup_id, force=force)
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
