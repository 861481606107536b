"""As root, never write where another user points: owners, symlinks, folders, non-files, ACLs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mailgw.config import store, trust
from mailgw.config.errors import ConfigError, SaveFailed, UnreadableConfig
from mailgw.config.model import Settings
from mailgw.config.validate import validate

NOBODY = 65534
ORIGINAL = b'schema_version = 1\n\n[smtp]\nhost = "old.example"\n'
OTHER_PROGRAM = b'# another program\'s file\nowner = "someone else"\n'

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="the rules are root's; needs root")


def _edited(loaded: store.LoadedConfig) -> Settings:
    settings = loaded.settings.copy()
    settings.smtp.host = "new.example"
    return settings


def _save(path: Path) -> None:
    loaded = store.load(path)
    store.save(loaded, _edited(loaded))


def _folder_of(tmp_path: Path, uid: int, mode: int = 0o755, name: str = "svc-home") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    os.chown(folder, uid, uid)
    folder.chmod(mode)
    return folder


@as_root
def test_a_symlink_another_user_planted_is_never_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim" / "other-program.toml"
    victim.parent.mkdir()
    victim.write_bytes(OTHER_PROGRAM)
    victim.chmod(0o644)
    home = _folder_of(tmp_path, NOBODY)
    planted = home / "email-gateway.toml"
    planted.symlink_to(victim)
    os.lchown(planted, NOBODY, NOBODY)
    with pytest.raises(trust.UntrustedPath) as caught:
        _save(planted)
    message = str(caught.value)
    assert "nobody (uid 65534)" in message and str(home) in message
    assert victim.read_bytes() == OTHER_PROGRAM
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert not (victim.parent / "backups").exists()


@as_root
def test_a_config_in_a_folder_another_user_owns_is_refused(tmp_path: Path) -> None:
    home = _folder_of(tmp_path, NOBODY, 0o700)
    config = home / "email-gateway.toml"
    config.write_bytes(ORIGINAL)
    with pytest.raises(trust.UntrustedPath, match="owned by nobody"):
        _save(config)
    assert config.read_bytes() == ORIGINAL and not (home / "backups").exists()


@as_root
def test_a_config_file_another_user_owns_is_refused_and_check_says_so(tmp_path: Path) -> None:
    folder = _folder_of(tmp_path, 0, 0o755, "etc-mailgw")
    config = folder / "email-gateway.toml"
    config.write_bytes(b'[smtp.auth]\npassword = "inline-secret"\n')
    config.chmod(0o600)
    os.chown(config, NOBODY, NOBODY)
    with pytest.raises(trust.UntrustedPath, match=f"{config} \\(file\\) is owned by nobody"):
        _save(config)
    problems = validate(store.load(config).settings, config)
    assert [(p.key, p.severity.value) for p in problems] == [("smtp.auth.password", "error")]
    assert "owned by nobody" in problems[0].message


@as_root
@pytest.mark.parametrize("mode", [0o775, 0o777], ids=["group-writable", "world-writable"])
def test_a_folder_another_user_may_write_is_refused(tmp_path: Path, mode: int) -> None:
    folder = _folder_of(tmp_path, 0, mode, "shared")
    os.chown(folder, 0, NOBODY)
    config = folder / "email-gateway.toml"
    config.write_bytes(ORIGINAL)
    with pytest.raises(trust.UntrustedPath, match="is writable by"):
        _save(config)
    assert config.read_bytes() == ORIGINAL


@as_root
def test_a_sticky_folder_may_be_passed_through_but_not_written_into(tmp_path: Path) -> None:
    sticky = _folder_of(tmp_path, 0, 0o1777, "tmp-like")
    inside = sticky / "root-only"
    inside.mkdir(mode=0o700)
    _save(inside / "email-gateway.toml")  # a folder of root's below /tmp-like: fine
    with pytest.raises(trust.UntrustedPath, match="writable by every user"):
        _save(sticky / "email-gateway.toml")


@as_root
def test_a_symlink_root_owns_end_to_end_is_still_written_through(tmp_path: Path) -> None:
    real = tmp_path / "real" / "email-gateway.toml"
    real.parent.mkdir(mode=0o750)
    real.write_bytes(ORIGINAL)
    link = tmp_path / "etc" / "email-gateway.toml"
    link.parent.mkdir(mode=0o750)
    link.symlink_to(real)
    _save(link)
    assert link.is_symlink() and b"new.example" in real.read_bytes()


def test_a_symlinked_backups_folder_is_refused(config_path: Path, tmp_path: Path) -> None:
    config_path.write_bytes(ORIGINAL)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (config_path.parent / "backups").symlink_to(elsewhere)
    with pytest.raises(trust.UntrustedPath, match="backups is a symlink"):
        _save(config_path)
    assert config_path.read_bytes() == ORIGINAL and list(elsewhere.iterdir()) == []


@as_root
def test_a_backups_folder_another_user_owns_is_refused(config_path: Path) -> None:
    config_path.write_bytes(ORIGINAL)
    backups = config_path.parent / "backups"
    backups.mkdir(mode=0o700)
    os.chown(backups, NOBODY, NOBODY)
    with pytest.raises(trust.UntrustedPath, match="backups \\(folder\\) is owned by nobody"):
        _save(config_path)
    assert config_path.read_bytes() == ORIGINAL and list(backups.iterdir()) == []


def test_missing_parent_folders_are_never_created(tmp_path: Path) -> None:
    config = tmp_path / "a" / "b" / "email-gateway.toml"
    with pytest.raises(SaveFailed, match="does not exist; create it first"):
        _save(config)
    assert not (tmp_path / "a").exists()


def test_the_default_config_folder_is_created(tmp_path: Path) -> None:
    default = Path(os.environ["MAILGW_CONFIG"])
    _save(default)
    assert default.is_file() and stat.S_IMODE(default.parent.stat().st_mode) == 0o750


@as_root
def test_a_secret_file_another_user_owns_is_refused(tmp_path: Path) -> None:
    home = _folder_of(tmp_path, NOBODY, 0o755)
    shadow_like = tmp_path / "shadow-like"
    shadow_like.write_text("root:$6$hash:19000::::::\n")
    (home / "smtp.secret").symlink_to(shadow_like)
    with pytest.raises(trust.UntrustedPath, match="owned by nobody"):
        store.write_secret_file(home / "smtp.secret", "pw")
    assert shadow_like.read_text() == "root:$6$hash:19000::::::\n"
    assert trust.secret_file_problem(home / "smtp.secret") is not None


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_non_regular_config_is_neither_read_nor_replaced(tmp_path: Path, kind: str) -> None:
    config = tmp_path / "email-gateway.toml"
    if kind == "fifo":
        os.mkfifo(config, 0o600)
    else:
        if os.geteuid() != 0:
            pytest.skip("only root may make a device node")
        os.mknod(config, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # as /dev/null
    with pytest.raises(UnreadableConfig, match=f"is a {'FIFO' if kind == 'fifo' else 'device'}"):
        store.load(config)
    loaded = store.LoadedConfig(config, store._new_document(), Settings(), None)
    with pytest.raises(ConfigError, match="not a regular file"):
        store.save(loaded, _edited(loaded), force=True)
    with pytest.raises(ConfigError, match="not a regular file"):
        store.write_secret_file(config, "pw")
    assert not stat.S_ISREG(os.lstat(config).st_mode)


def test_a_config_over_the_size_limit_is_refused_at_once(config_path: Path) -> None:
    config_path.write_bytes(b"# padding\n" * (store.MAX_CONFIG_BYTES // 10 + 1))
    with pytest.raises(UnreadableConfig, match="at most 1048576 bytes"):
        store.load(config_path)


def _acl(*entries: tuple[int, int, int]) -> bytes:
    """A POSIX ACL as the kernel stores it in system.posix_acl_access (version 2)."""
    out = (2).to_bytes(4, "little")
    for tag, perm, ident in entries:
        out += tag.to_bytes(2, "little") + perm.to_bytes(2, "little")
        out += ident.to_bytes(4, "little", signed=False)
    return out


def test_extended_attributes_and_acls_survive_a_save(config_path: Path) -> None:
    config_path.write_bytes(ORIGINAL)
    config_path.chmod(0o640)
    undefined = 0xFFFFFFFF
    # owner rw, the user nobody r (what an admin's `setfacl -m u:nobody:r` gives), group r, mask r
    acl = _acl((0x01, 6, undefined), (0x02, 4, NOBODY), (0x04, 4, undefined),
               (0x10, 4, undefined), (0x20, 0, undefined))  # fmt: skip
    try:
        os.setxattr(config_path, "user.origin", b"platform")
        os.setxattr(config_path, "system.posix_acl_access", acl)
    except OSError as exc:
        pytest.skip(f"this file system keeps no extended attributes or ACLs: {exc}")
    _save(config_path)
    assert b"new.example" in config_path.read_bytes()
    assert os.getxattr(config_path, "user.origin") == b"platform"
    assert os.getxattr(config_path, "system.posix_acl_access") == acl
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o640
