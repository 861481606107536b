"""The conversations around a save: confirm the diff, then handle whatever the disk says.

Each flow runs in a worker (it waits for dialogs) and returns whether the file now holds the
edits. Nothing here is lost silently: every failure ends in a dialog that says what happened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mailgw.config.errors import (
    ConfigError,
    LockHeld,
    SaveFailed,
    StaleConfig,
    UnsupportedSchema,
)
from mailgw.i18n import N_, _, ngettext
from mailgw.tui.dialogs.choice import CANCEL, Choice, ChoiceDialog

if TYPE_CHECKING:
    from mailgw.tui.app import MailgwApp

SAVE = Choice("save", N_("Save"), "enter")
OK = Choice("ok", N_("OK"), "enter")
RETRY = Choice("retry", N_("Try again"), "t")
REBASE = Choice("rebase", N_("Theirs + mine"), "k")
COMPARE = Choice("compare", N_("Show difference"), "d")
OVERWRITE = Choice("overwrite", N_("Overwrite"), "o")
DISCARD = Choice("discard", N_("Quit without saving"), "q")
SAVE_FIRST = Choice("save", N_("Save first"), "s")


async def save(app: MailgwApp) -> bool:
    """Validate, show the masked diff, save; True when the file holds the edits."""
    session = app.session
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
    saved = ngettext(
        "Saved {changes} change to {path}{backup}.",
        "Saved {changes} changes to {path}{backup}.",
        len(result.changes),
    )
    app.notify(saved.format(changes=len(result.changes), path=result.path, backup=backup))
    app.after_save()
    return True


async def _lock_held(app: MailgwApp, exc: LockHeld) -> bool:
    body = _("{exc}\n\nYour edits are still here; nothing was written.").format(exc=exc)
    answer = await app.push_screen_wait(
        ChoiceDialog(_("Someone else is saving"), body, [RETRY, CANCEL])
    )
    return await _write(app, force=False) if answer == RETRY.value else False


async def _stale(app: MailgwApp, exc: StaleConfig) -> bool:
    """Someone saved meanwhile: take theirs with my edits on top, compare, or overwrite."""
    body = _(
        "{path} was changed by someone else after you opened it. Nothing was written.\n\n"
        "Theirs + mine: read their version and put your changes back on top of it, "
        "to review and save. Show difference: see what overwriting would change in their "
        "file. Overwrite: replace their version with yours."
    ).format(path=exc.path)
    choices = [REBASE, COMPARE, OVERWRITE, CANCEL]
    answer = await app.push_screen_wait(ChoiceDialog(_("File changed on disk"), body, choices))
    if answer == REBASE.value:
        return await _rebase(app)
    if answer == COMPARE.value:
        answer = await app.push_screen_wait(
            ChoiceDialog(
                _("Overwrite their version?"),
                _("Overwriting replaces the file on disk with yours (password masked below):"),
                [OVERWRITE, REBASE, CANCEL],
                detail=app.session.disk_difference() or _("(no difference)"),
            )
        )
        if answer == REBASE.value:
            return await _rebase(app)
    return await _write(app, force=True) if answer == OVERWRITE.value else False


async def _rebase(app: MailgwApp) -> bool:
    """Their file with my edits on top, shown unsaved; the next save asks as usual."""
    note = _("Their version is loaded with your edits on top; save when ready (F2).")
    await _read_again(app, app.session.rebase, note)
    return False  # the file does not hold the edits yet


async def reload(app: MailgwApp, *, quiet: bool = False) -> bool:
    """Read the file again; `quiet`: a save by another front noticed with no edits here,
    said in a note rather than asked."""
    note = _("{path} changed on disk; showing the new version.").format(path=app.session.path)
    return await _read_again(app, app.session.reload, note if quiet else "")


async def _read_again(app: MailgwApp, read: Callable[[], None], note: str) -> bool:
    """Read the file with `read`; an unreadable one is said, not raised. True when the
    console shows a file it can edit."""
    try:
        read()
    except ConfigError as exc:
        await app.push_screen_wait(ChoiceDialog(_("Cannot read the file"), str(exc), [OK]))
        return False
    app.after_reload()
    if note and not app.session.read_only:
        app.notify(note)
    return not app.session.read_only


async def quit_asking(app: MailgwApp) -> None:
    """Quit; with unsaved changes, ask first."""
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
