"""The editing layer: typed text read by the key specs, the rules written once, the save."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailgw.config import store
from mailgw.config.editing import EditRefused, EditSession
from mailgw.config.errors import InvalidConfigFile
from mailgw.config.model import DEFAULT_PORTS, Security

PIN = "AB" * 32
PINNED = f"""\
# kept by the ops team
[smtp]
gateway = "custom"
host = "mail.example.com"
security = "starttls"
port = 587
trust_all = true
tls_fingerprint = "{PIN}"
"""


@pytest.fixture
def pinned(config_path: Path) -> EditSession:
    config_path.write_text(PINNED, "utf-8")
    return EditSession.open_strict(config_path)


@pytest.mark.parametrize(
    ("start_port", "start_security", "security", "expected"),
    [
        (587, "starttls", "ssl", 465),
        (465, "ssl", "starttls", 587),
        (25, "starttls", "ssl", 465),  # 25 is a standard port: it moves like the others
        (2525, "starttls", "ssl", 2525),  # chosen by hand: it stays
        (587, "starttls", "none", 25),
    ],
)
def test_a_standard_port_follows_security(
    config_path: Path, start_port: int, start_security: str, security: str, expected: int
) -> None:
    session = EditSession.open(config_path)
    session.update({"smtp.security": start_security, "smtp.port": start_port})
    session.set_text("smtp.security", security)
    assert session.settings.smtp.port == expected


def test_a_port_given_with_the_security_wins(config_path: Path) -> None:
    session = EditSession.open(config_path)
    session.apply_text({"smtp.security": "ssl", "smtp.port": "2465"})
    assert session.settings.smtp.port == 2465


def test_text_that_is_not_a_port_is_an_error_of_that_key_and_blocks_the_save(
    config_path: Path,
) -> None:
    session = EditSession.open(config_path)
    session.set_text("smtp.port", "")
    assert session.settings.smtp.port == 587  # the last good value stays
    [problem] = session.blocking_problems()
    assert problem.key == "smtp.port" and "whole number" in problem.message
    with pytest.raises(EditRefused, match="smtp.port"):
        session.save()
    assert not config_path.exists()
    session.set_text("smtp.port", "2525")
    assert session.blocking_problems() == []


def test_the_port_range_comes_from_the_model(config_path: Path) -> None:
    session = EditSession.open(config_path)
    session.set_text("smtp.port", "70000")
    assert [p.message for p in session.blocking_problems()] == [
        "70000 is out of range; use 1 to 65535"
    ]
    session.set_text("smtp.timeout", "0.5")
    assert any(p.key == "smtp.timeout" for p in session.blocking_problems())


def test_a_preset_fills_the_server_and_switches_the_login_on(config_path: Path) -> None:
    session = EditSession.open(config_path)
    session.set("smtp.gateway", "custom")
    session.set_text("smtp.provider", "sendgrid")
    smtp = session.settings.smtp
    assert (smtp.host, smtp.security, smtp.port) == ("smtp.sendgrid.net", Security.STARTTLS, 587)
    assert smtp.auth.enabled is True


def test_a_host_given_with_the_preset_is_kept(config_path: Path) -> None:
    session = EditSession.open(config_path)
    session.apply_text({"smtp.provider": "amazon_ses", "smtp.host": "email-smtp.eu-west-1.x"})
    assert session.settings.smtp.host == "email-smtp.eu-west-1.x"


def test_another_host_drops_the_pin_and_trust_all(pinned: EditSession) -> None:
    pinned.set_text("smtp.host", "other.example.com")
    assert (pinned.settings.smtp.tls_fingerprint, pinned.settings.smtp.trust_all) == ("", False)


def test_typing_back_the_saved_host_brings_its_pin_back(pinned: EditSession) -> None:
    for text in ("mail.example.co", "mail.example.c", "mail.example.com"):
        pinned.set_text("smtp.host", text)
    assert pinned.settings.smtp.tls_fingerprint == PIN and pinned.settings.smtp.trust_all
    assert not pinned.is_modified()


def test_a_pin_given_with_the_new_host_is_kept(pinned: EditSession) -> None:
    pinned.update({"smtp.host": "other.example.com", "smtp.tls_fingerprint": "CD" * 32})
    assert pinned.settings.smtp.tls_fingerprint == "CD" * 32


def test_no_tls_means_nothing_to_trust(pinned: EditSession) -> None:
    pinned.set("smtp.security", "none")
    assert pinned.settings.smtp.trust_all is False


def test_one_place_holds_the_password(config_path: Path, tmp_path: Path) -> None:
    session = EditSession.open(config_path)
    session.set("smtp.auth.password_file", str(tmp_path / "pw"))
    session.set("smtp.auth.password", "typed-secret")
    assert session.settings.smtp.auth.password_file == ""
    session.set("smtp.auth.password_file", str(tmp_path / "pw"))
    assert session.settings.smtp.auth.password == ""


def test_unset_puts_the_default_back_with_the_same_rules(config_path: Path) -> None:
    session = EditSession.open(config_path)
    session.update({"smtp.security": "ssl", "smtp.port": 465})
    session.reset("smtp.security")
    assert (session.settings.smtp.security, session.settings.smtp.port) == (Security.STARTTLS, 587)


def test_a_world_readable_file_with_an_inline_password_is_saved_and_narrowed(
    config_path: Path,
) -> None:
    config_path.write_text('[smtp.auth]\npassword = "s3cret-inline"\n', "utf-8")
    config_path.chmod(0o644)
    session = EditSession.open_strict(config_path)
    session.set_text("email.from_name", "Fleet")
    assert session.blocking_problems() == []
    session.save()
    assert not config_path.stat().st_mode & stat.S_IROTH


def test_rebase_keeps_my_edits_on_top_of_theirs(config_path: Path) -> None:
    config_path.write_text(PINNED, "utf-8")
    session = EditSession.open(config_path)
    session.set_text("email.from_name", "Mine")
    config_path.write_text(PINNED.replace("port = 587", "port = 2525"), "utf-8")
    assert session.changed_on_disk()
    session.rebase()
    assert (session.settings.email.from_name, session.settings.smtp.port) == ("Mine", 2525)
    assert not session.changed_on_disk() and session.is_modified()


def test_a_command_never_edits_a_broken_file(config_path: Path) -> None:
    config_path.write_text("[smtp\n", "utf-8")
    with pytest.raises(InvalidConfigFile):
        EditSession.open_strict(config_path)
    assert EditSession.open(config_path).read_only


def test_save_keeps_comments_and_writes_only_what_changed(pinned: EditSession) -> None:
    pinned.set_text("smtp.port", "2525")
    result = pinned.save()
    assert [c.key for c in result.changes] == ["smtp.port"]
    text = pinned.path.read_text("utf-8")
    assert text == PINNED.replace("port = 587", "port = 2525")
    assert store.load(pinned.path).settings.smtp.port == 2525


@given(
    st.sampled_from(list(Security)),
    st.sampled_from(list(Security)),
    st.integers(1, 65535),
)
def test_port_follows_security_exactly_when_it_is_a_standard_port(
    before: Security, after: Security, port: int
) -> None:
    session = EditSession(Path("/nonexistent/mailgw-test.toml"))
    session.update({"smtp.security": before.value, "smtp.port": port})
    session.set("smtp.security", after.value)
    moved = before != after and port in DEFAULT_PORTS.values()
    assert session.settings.smtp.port == (DEFAULT_PORTS[after] if moved else port)
