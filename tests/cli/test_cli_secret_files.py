"""set-password --file: never over the config or a file the store keeps, never before the save."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailgw.config import store
from tests.cli.mailgw_runner import Run

CONFIG = '[smtp]\ngateway = "custom"\nhost = "mail.example.com"\n'


@pytest.fixture
def config(config_path: Path) -> Path:
    config_path.write_text(CONFIG)
    config_path.chmod(0o600)
    return config_path


@pytest.mark.parametrize(
    "name",
    ["config", "symlink to the config", "hard link to the config", "lock", "a backup"],
)
def test_a_password_file_that_is_a_store_managed_file_is_refused(
    mailgw: Run, config: Path, name: str
) -> None:
    mailgw("set", "smtp.port=2525")  # one backup and the lock file exist now
    before = config.read_bytes()
    backup = store.list_backups(config)[0].path
    targets = {
        "config": config,
        "symlink to the config": config.parent / "pw-link",
        "hard link to the config": config.parent / "pw-hard",
        "lock": store.lock_path(config),
        "a backup": backup,
    }
    target = targets[name]
    if name == "symlink to the config":
        target.symlink_to(config)
    elif name == "hard link to the config":
        os.link(config, target)
    backup_bytes = backup.read_bytes()
    result = mailgw("set-password", "--stdin", "--file", str(target), input="SECRET-pw\n")
    assert result.returncode == 2
    assert "a file mailgw keeps for it" in result.stderr and "someone else" not in result.stderr
    assert config.read_bytes() == before and backup.read_bytes() == backup_bytes
    assert b"SECRET-pw" not in config.read_bytes()


def test_an_existing_password_file_is_kept_when_the_save_is_refused(
    mailgw: Run, config_path: Path, tmp_path: Path
) -> None:
    config_path.write_text('[smtp]\ngateway = "custom"\n')  # no host: every save is refused
    secret = tmp_path / "smtp.secret"
    secret.write_text("old-password\n")
    secret.chmod(0o600)
    result = mailgw("set-password", "--stdin", "--file", str(secret), input="new-pw\n")
    assert result.returncode == 2 and "smtp.host" in result.stderr
    assert secret.read_text() == "old-password\n"
    assert config_path.read_text() == '[smtp]\ngateway = "custom"\n'


def test_the_password_file_is_written_after_the_config_is_saved(
    mailgw: Run, config: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "smtp.secret"
    result = mailgw("set-password", "--stdin", "--file", str(secret), input="new-pw\n")
    assert result.returncode == 0, result.stderr
    assert secret.read_text() == "new-pw\n"
    # the file's change time is not before the config's: written once the save succeeded
    assert secret.stat().st_mtime_ns >= config.stat().st_mtime_ns
    assert store.load(config).settings.smtp.auth.password_file == str(secret)


def test_a_password_file_that_cannot_be_written_puts_the_config_back(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mailgw.config.editing import EditSession
    from mailgw.config.errors import SaveFailed

    def refuse(path: Path, secret: str) -> None:
        raise SaveFailed("injected: the disk is full")

    monkeypatch.setattr(store, "write_secret_file", refuse)
    session = EditSession.open_strict(config)
    with pytest.raises(SaveFailed, match="injected"):
        session.save_with_secret_file("smtp.auth.password_file", tmp_path / "s", "pw")
    assert config.read_text() == CONFIG
    assert session.settings.smtp.auth.password_file == ""


def test_a_password_file_in_a_missing_folder_is_refused_and_not_created(
    mailgw: Run, config: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "no" / "such" / "smtp.secret"
    result = mailgw("set-password", "--stdin", "--file", str(secret), input="pw\n")
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert not (tmp_path / "no").exists() and config.read_text() == CONFIG


@pytest.mark.skipif(os.geteuid() != 0, reason="the rules are root's; needs root")
def test_root_refuses_a_password_file_another_user_could_redirect(
    mailgw: Run, config: Path, tmp_path: Path
) -> None:
    home = tmp_path / "svc-home"
    home.mkdir(mode=0o755)
    os.chown(home, 65534, 65534)
    shadow_like = tmp_path / "shadow-like"
    shadow_like.write_text("root:$6$hash:19000::::::\n")
    (home / "smtp.secret").symlink_to(shadow_like)
    result = mailgw("set-password", "--stdin", "--file", str(home / "smtp.secret"), input="pw\n")
    assert result.returncode == 2
    assert "owned by nobody (uid 65534)" in result.stderr and str(home) in result.stderr
    assert shadow_like.read_text() == "root:$6$hash:19000::::::\n"
    assert config.read_text() == CONFIG


def test_set_secret_goes_the_same_safe_way(mailgw: Run, config: Path, tmp_path: Path) -> None:
    """The OAuth 2.0 client secret: the config is never its file, and it is written last."""
    result = mailgw("set-secret", "--stdin", "--file", str(config), input="client-SECRET\n")
    assert result.returncode == 2 and "a file mailgw keeps for it" in result.stderr
    assert config.read_text() == CONFIG
    secret = tmp_path / "oauth2-client.secret"
    result = mailgw("set-secret", "--stdin", "--file", str(secret), input="client-SECRET\n")
    assert result.returncode == 0, result.stderr
    assert secret.read_text() == "client-SECRET\n" and secret.stat().st_mode & 0o777 == 0o600
    oauth2 = store.load(config).settings.smtp.auth.oauth2
    assert oauth2.client_secret_file == str(secret)
