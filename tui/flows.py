"""The conversations around a save: confirm the diff, then handle whatever the disk says.

Each flow runs in a worker (it waits for dialogs) and returns whether the file now holds the
edits. Nothing here is lost silently: every failure ends in a dialog that says what happened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailgw.config.errors import (
    ConfigError,
    InvalidConfigFile,
    LockHeld,
    SaveFailed,
    StaleConfig,
    UnsupportedSchema,
)
from mailgw.i18n import N_, _
from mailgw.tui.dialogs.choice import CANCEL, Choice, ChoiceDialog

if TYPE_CHECKING:
    from mailgw.tui.app import MailgwApp

SAVE = Choice("save", N_("Save"), "enter")
OK = Choice("ok", N_("OK"), "enter")
RETRY = Choice("retry", N_("Try again"), "t")
RELOAD = Choice("reload", N_("Reload theirs"), "r")
COMPARE = Choice("compare", N_("Show difference"), "d")
OVERWRITE = Choice("overwrite", N_("Overwrite"), "o")
DISCARD = Choice("discard", N_("Quit without saving"), "q")
SAVE_FIRST = Choice("save", N_("Save first"), "s")


async def save(app: MailgwApp) -> bool:
    """Validate, show the masked diff, save; True when the file holds the edits."""
    session = app.session
    app.read_back()
    blocking = session.blocking_problems()
    if blocking:
        lines = "\n".join(f"• {p.key}: {p.message}" for p in blocking)
        await app.push_screen_wait(
            ChoiceDialog(
                _("Cannot save yet"), _("Fix these first:\n{lines}").format(lines=lines), [OK]
            )
        )
        return False
    if not session.is_modified():
        app.notify(_("Nothing to save: the file already holds these settings."))
        return True
    body = _("Save these changes to {path}? (password masked)").format(path=session.path)
    answer = await app.push_screen_wait(
        ChoiceDialog(_("Save"), body, [SAVE, CANCEL], detail=session.diff())
    )
    if answer != SAVE.value:
        return False
    return await _write(app, force=False)


async def _write(app: MailgwApp, *, force: bool) -> bool:
    """One save attempt, and the dialog for whatever stops it."""
    try:
        result = app.session.save(force=force)
    except LockHeld as exc:
        return await _lock_held(app, exc)
    except StaleConfig as exc:
        return await _stale(app, exc)
    except (SaveFailed, UnsupportedSchema) as exc:
        await app.push_screen_wait(ChoiceDialog(_("Not saved"), str(exc), [OK]))
        return False
    backup = (
        _(" (previous version kept in {backup})").format(backup=result.backup)
        if result.backup
        else ""
    )
    app.notify(
        _("Saved {changes} change(s) to {path}{backup}.").format(
            changes=len(result.changes), path=result.path, backup=backup
        )
    )
    app.after_save()
    return True


async def _lock_held(app: MailgwApp, exc: LockHeld) -> bool:
    body = _("{exc}\n\nYour edits are still here; nothing was written.").format(exc=exc)
    answer = await app.push_screen_wait(
        ChoiceDialog(_("Someone else is saving"), body, [RETRY, CANCEL])
    )
    return await _write(app, force=False) if answer == RETRY.value else False


async def _stale(app: MailgwApp, exc: StaleConfig) -> bool:
    body = _(
        "{path} was changed by someone else after you opened it.\n\nReload: "
        "read their version (your edits here are dropped). Show difference: "
        "see what overwriting would change in their file, then decide."
    ).format(path=exc.path)
    answer = await app.push_screen_wait(
        ChoiceDialog(_("File changed on disk"), body, [RELOAD, COMPARE, CANCEL])
    )
    if answer == RELOAD.value:
        return await reload(app)
    if answer != COMPARE.value:
        return False
    answer = await app.push_screen_wait(
        ChoiceDialog(
            _("Overwrite their version?"),
            _("Overwriting replaces the file on disk with yours (password masked below):"),
            [OVERWRITE, CANCEL],
            detail=app.session.disk_difference() or _("(no difference)"),
        )
    )
    return await _write(app, force=True) if answer == OVERWRITE.value else False


async def reload(app: MailgwApp) -> bool:
    """Read the file again; an unreadable one is said, not raised."""
    try:
        app.session.reload()
    except ConfigError as exc:
        await app.push_screen_wait(ChoiceDialog(_("Cannot read the file"), str(exc), [OK]))
        return False
    app.after_reload()
    return not isinstance(app.session.broken, InvalidConfigFile)


async def quit_asking(app: MailgwApp) -> None:
    """Quit; with unsaved changes, ask first."""
    app.read_back()
    if not app.session.is_modified():
        app.exit()
        return
    answer = await app.push_screen_wait(
        ChoiceDialog(
            _("Unsaved changes"),
            _("You have changes that are not saved. Save them before quitting?"),
            [SAVE_FIRST, DISCARD, CANCEL],
            detail=app.session.diff(),
        )
    )
    if answer == DISCARD.value or (answer == SAVE_FIRST.value and await save(app)):
        app.exit()
