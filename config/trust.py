"""What root may write through or trust: nothing another user could have planted or can change.

mailgw runs as root over SSH, often with a config or a secret file in a place a platform service
account owns. As sudoedit and visudo do, root then refuses any file, folder or symlink on the
way to a path that belongs to, or is writable by, a user other than root: that user could point
root anywhere (a symlink to /etc/shadow) or swap the file between a check and a write. A path
root owns end to end may still go through symlinks. Other users are not checked: they can only
write where they already may.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from mailgw.config.errors import SaveFailed
from mailgw.i18n import _

_MAX_LINKS = 40  # as the kernel's own limit on symlinks followed in one lookup


class UntrustedPath(SaveFailed):
    """Root was asked to write through or trust a path another user controls."""


class NotARegularFile(SaveFailed):
    """A device, FIFO, socket or folder where a regular file belongs."""


def enforced() -> bool:
    """The rules apply to root only (another user cannot be led to write beyond its rights)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def untrusted_reason(path: Path) -> str | None:
    """Why root must not write or trust `path` (naming the owner and the path), else None.

    Every folder and symlink the lookup goes through is judged, and the file if it exists;
    a sticky folder writable by all (/tmp) may be passed through, never written into.
    """
    if not enforced():
        return None
    real_parent = Path(os.path.realpath(path)).parent
    for entry, info in _lookup_steps(Path(os.path.abspath(path))):
        writes_here = stat.S_ISDIR(info.st_mode) and entry == real_parent
        reason = stat_reason(entry, info, final_folder=writes_here)
        if reason:
            return reason
    return None


def refuse_untrusted(path: Path) -> None:
    """Raise UntrustedPath when root must not write or trust `path`."""
    reason = untrusted_reason(path)
    if reason:
        raise UntrustedPath(reason)


def stat_reason(entry: Path, info: os.stat_result, *, final_folder: bool = True) -> str | None:
    """Why one file, folder or symlink (its lstat or fstat) is not root's alone, else None."""
    if not enforced():
        return None
    kind = _kind(info)
    if info.st_uid != 0:
        return _(
            "{path} ({kind}) is owned by {owner}, not root: as root, mailgw never writes or "
            "trusts what another user could change or point elsewhere; make it root's "
            "(chown root: {path}) or use a path only root controls"
        ).format(path=entry, kind=kind, owner=_user_name(info.st_uid))
    if stat.S_ISLNK(info.st_mode):
        return None  # a symlink's own mode means nothing; its folder was judged
    sticky_passage = info.st_mode & stat.S_ISVTX and not final_folder
    others_write = info.st_mode & stat.S_IWOTH
    group_write = info.st_mode & stat.S_IWGRP and info.st_gid != 0
    if (others_write or group_write) and not sticky_passage:
        who = _("every user") if others_write else _group_name(info.st_gid)
        return _(
            "{path} ({kind}) is writable by {who}: as root, mailgw never writes into or trusts "
            "what another user can change; run: chmod go-w {path}"
        ).format(path=entry, kind=kind, who=who)
    return None


def regular_file_reason(path: Path, info: os.stat_result) -> str | None:
    """Why an existing `path` cannot be replaced or read as a file (a device, a FIFO...)."""
    if stat.S_ISREG(info.st_mode):
        return None
    return _(
        "{path} is a {kind}, not a regular file; mailgw reads and writes only regular files"
    ).format(path=path, kind=_kind(info))


def secret_file_problem(path: Path) -> str | None:
    """The one check of a secret file (password, OAuth2 client secret, service account key):
    as root, nobody else may own or change it or its folders; it must be a regular file."""
    reason = untrusted_reason(path)
    if reason:
        return reason
    try:
        info = os.stat(path)
    except OSError:
        return None  # missing or unreadable: the reader says which
    return regular_file_reason(path, info)


def _lookup_steps(path: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """Each folder, symlink and finally the file an absolute path's lookup goes through.

    Symlinks are followed as the kernel would; the lookup stops at the first missing name.
    """
    yield Path("/"), os.lstat("/")
    pending = list(reversed(path.parts[1:]))
    current, followed = Path("/"), 0
    while pending:
        part = pending.pop()
        if part in ("", "."):
            continue
        if part == "..":
            current = current.parent
            continue
        entry = current / part
        try:
            info = os.lstat(entry)
        except OSError:
            return
        yield entry, info
        if stat.S_ISLNK(info.st_mode):
            followed += 1
            if followed > _MAX_LINKS:
                return
            target = Path(os.readlink(entry))
            if target.is_absolute():
                current = Path("/")
                target = Path(*target.parts[1:]) if len(target.parts) > 1 else Path()
            pending.extend(reversed(target.parts))
        else:
            current = entry


def _kind(info: os.stat_result) -> str:
    mode = info.st_mode
    if stat.S_ISLNK(mode):
        return _("symlink")
    if stat.S_ISDIR(mode):
        return _("folder")
    if stat.S_ISREG(mode):
        return _("file")
    if stat.S_ISFIFO(mode):
        return _("FIFO")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return _("device")
    return _("socket")


def _user_name(uid: int) -> str:
    try:
        import pwd

        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def _group_name(gid: int) -> str:
    try:
        import grp

        return _("the group {group} (gid {gid})").format(group=grp.getgrgid(gid).gr_name, gid=gid)
    except (ImportError, KeyError):
        return _("the group with gid {gid}").format(gid=gid)
