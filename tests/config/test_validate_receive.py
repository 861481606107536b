"""`[receive]`: the mailbox mailgw reads, judged like the SMTP login, through the editing layer."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgw.config import store
from mailgw.config.editing import EditRefused, EditSession
from mailgw.config.model import Security, Settings
from mailgw.config.validate import Severity, validate

E, W = Severity.ERROR, Severity.WARNING


@pytest.fixture
def mailbox_password(tmp_path: Path) -> Path:
    path = tmp_path / "mailbox.password"
    path.write_text("Mailbox-Secret-91c2\n")
    path.chmod(0o600)
    return path


def mailbox(password_file: Path | str, **receive: object) -> Settings:
    settings = Settings()
    settings.receive.host = "imap.example.com"
    settings.receive.username = "me@example.com"
    settings.receive.password_file = str(password_file)
    for name, value in receive.items():
        setattr(settings.receive, name, value)
    return settings


def found(settings: Settings) -> set[tuple[str, Severity]]:
    return {(p.key, p.severity) for p in validate(settings)}


def test_no_mailbox_is_clean() -> None:
    assert not [p for p in validate(Settings()) if p.key.startswith("receive.")]


def test_a_complete_mailbox_is_clean(mailbox_password: Path) -> None:
    assert found(mailbox(mailbox_password)) == set()


def test_plain_text_to_a_remote_host_is_an_error(mailbox_password: Path) -> None:
    settings = mailbox(mailbox_password, security=Security.NONE)
    assert ("receive.security", E) in found(settings)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_plain_text_to_loopback_is_allowed(mailbox_password: Path, host: str) -> None:
    assert found(mailbox(mailbox_password, security=Security.NONE, host=host)) == set()


def test_missing_username_and_password_file_are_errors() -> None:
    settings = mailbox("", username="")
    assert {("receive.username", E), ("receive.password_file", E)} <= found(settings)


def test_a_missing_password_file_is_named(tmp_path: Path) -> None:
    problems = validate(mailbox(tmp_path / "absent"))
    assert any(p.key == "receive.password_file" and "does not exist" in p.message for p in problems)


def test_an_empty_password_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_text("\n")
    path.chmod(0o600)
    assert ("receive.password_file", E) in found(mailbox(path))


@pytest.mark.parametrize(("mode", "severity"), [(0o644, E), (0o640, W)])
def test_a_password_file_others_can_read(mailbox_password: Path, mode: int, severity: Severity):
    mailbox_password.chmod(mode)
    assert ("receive.password_file", severity) in found(mailbox(mailbox_password))


@pytest.mark.parametrize("key", ["host", "username"])
def test_a_line_break_would_inject_an_imap_command(mailbox_password: Path, key: str) -> None:
    settings = mailbox(mailbox_password, **{key: "x\r\nA1 DELETE INBOX"})
    assert (f"receive.{key}", E) in found(settings)


def test_a_folder_with_a_line_break_is_an_error(mailbox_password: Path) -> None:
    settings = mailbox(mailbox_password, folders=["INBOX", "Junk\r\nA1 LOGOUT"])
    assert ("receive.folders", E) in found(settings)


def test_a_bad_host_is_an_error(mailbox_password: Path) -> None:
    assert ("receive.host", E) in found(mailbox(mailbox_password, host="bad host"))


def test_the_port_follows_the_security(tmp_path: Path) -> None:
    session = EditSession.open(tmp_path / "c.toml")
    session.apply_text({"receive.security": "starttls"})
    assert session.settings.receive.port == 143
    session.apply_text({"receive.security": "ssl"})
    assert session.settings.receive.port == 993
    session.apply_text({"receive.security": "starttls", "receive.port": "1993"})
    assert session.settings.receive.port == 1993


def editing(path: Path, password_file: Path, **more: str) -> EditSession:
    """A session with a mailbox typed in, as `mailgw set receive.host=...` would."""
    session = EditSession.open(path)
    typed = {"host": "imap.example.com", "username": "me", "password_file": str(password_file)}
    session.apply_text({f"receive.{key}": text for key, text in {**typed, **more}.items()})
    return session


def test_a_save_with_a_remote_plain_text_mailbox_is_refused(
    tmp_path: Path, mailbox_password: Path
) -> None:
    path = tmp_path / "c.toml"
    session = editing(path, mailbox_password, security="none")
    with pytest.raises(EditRefused, match="receive.security"):
        session.save()
    assert not path.exists()


def test_the_mailbox_round_trips_through_the_file(tmp_path: Path, mailbox_password: Path) -> None:
    path = tmp_path / "c.toml"
    editing(path, mailbox_password, folders='["INBOX", "Spam"]').save()
    again = store.load(path).settings.receive
    assert (again.host, again.port, again.folders) == ("imap.example.com", 993, ["INBOX", "Spam"])
