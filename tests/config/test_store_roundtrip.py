"""tomlkit round trip: any text survives, and so does everything mailgw did not change."""

from __future__ import annotations

import difflib
from pathlib import Path

import jsonschema
import tomlkit
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from mailgw.config import store
from mailgw.config.model import Gateway, Security, Settings
from mailgw.config.schema import KEYS, get_value, json_schema, set_value

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = None  # type: ignore[assignment]

SCHEMA = json_schema()

HAND_WRITTEN = """\
# Email gateway for the fleet platform. Edited by hand by ops; keep this comment.
schema_version = 1

[smtp]
gateway = "custom"   # switched 2024-05 after the relay outage
host    = "mail.example.com"
port    = 587
security = "starttls"

  [smtp.auth]
  enabled = true
  username = "fleet@example.com"
  password = 'old-secret'  # rotate every 90 days

# The platform's own settings: mailgw must never touch them.
[platform.mailer]
queue = "/var/spool/fleet"
retries = 5 # per message
weird_inline = { a = 1, b = [1, 2, 3] }

[email]
from_address = "alerts@example.com"
from_name = "Fleet alerts"
signature = \"\"\"
Regards,
The fleet team\"\"\"

[[platform.hooks]]
name = "after-send"
"""

any_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
tricky = st.sampled_from(
    ['"', "'", "\\", "#", '"""', "'''", "\n", "\r\n", "\t", "\\n", "\x7f", "\0"]
)
text_with_tricks = st.lists(st.one_of(any_text, tricky), max_size=6).map("".join)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "email-gateway.toml"
    path.write_text(text, "utf-8")
    return path


def _reparsed(path: Path, text: str) -> Settings:
    settings, _ = store.settings_from_document(path, store.parse(path, text.encode("utf-8")))
    return settings


@hsettings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(password=text_with_tricks, signature=text_with_tricks, name=any_text, user=any_text)
def test_any_text_survives_render_and_parse(
    tmp_path: Path, password: str, signature: str, name: str, user: str
) -> None:
    path = _write(tmp_path, HAND_WRITTEN)
    loaded = store.load(path)
    wanted = loaded.settings.copy()
    wanted.smtp.auth.password = password
    wanted.email.signature = signature
    wanted.email.from_name = name
    wanted.smtp.auth.username = user
    text = store.render(loaded, wanted)
    assert _reparsed(path, text) == wanted
    again = tomlkit.parse(text).unwrap()
    assert again["platform"] == tomlkit.parse(HAND_WRITTEN).unwrap()["platform"]
    _assert_other_readers_agree(text, again)


def _assert_other_readers_agree(text: str, plain: dict) -> None:
    """The platform may not use tomlkit: a strict reader sees the same, and the schema holds."""
    if tomllib is not None:
        assert tomllib.loads(text) == plain
    jsonschema.validate(plain, SCHEMA)


@hsettings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(password=text_with_tricks, signature=text_with_tricks, port=st.integers(1, 65535))
def test_any_text_survives_a_new_file(
    tmp_path: Path, password: str, signature: str, port: int
) -> None:
    path = tmp_path / "new.toml"
    loaded = store.load(path)
    wanted = Settings()
    wanted.smtp.auth.password = password
    wanted.email.signature = signature
    wanted.smtp.port = port
    text = store.render(loaded, wanted)
    assert _reparsed(path, text) == wanted
    _assert_other_readers_agree(text, tomlkit.parse(text).unwrap())


def test_save_keeps_comments_order_formatting_and_unknown_tables(tmp_path: Path) -> None:
    path = _write(tmp_path, HAND_WRITTEN)
    loaded = store.load(path)
    wanted = loaded.settings.copy()
    wanted.smtp.host = "relay.example.net"
    store.save(loaded, wanted)
    after = path.read_text("utf-8")
    assert after == HAND_WRITTEN.replace('"mail.example.com"', '"relay.example.net"')


def test_only_changed_values_change(tmp_path: Path) -> None:
    path = _write(tmp_path, HAND_WRITTEN)
    loaded = store.load(path)
    wanted = loaded.settings.copy()
    wanted.smtp.port = 2525
    wanted.smtp.auth.password = "new-secret"
    wanted.email.from_name = "Fleet"
    text = store.render(loaded, wanted)
    changed = [
        line
        for line in difflib.ndiff(HAND_WRITTEN.splitlines(), text.splitlines())
        if line[:1] in "+-"
    ]
    assert changed == [
        "- port    = 587",
        "+ port    = 2525",
        "-   password = 'old-secret'  # rotate every 90 days",
        '+   password = "new-secret"  # rotate every 90 days',
        '- from_name = "Fleet alerts"',
        '+ from_name = "Fleet"',
    ]


def test_unchanged_settings_render_the_file_byte_for_byte(tmp_path: Path) -> None:
    path = _write(tmp_path, HAND_WRITTEN)
    loaded = store.load(path)
    assert store.render(loaded, loaded.settings.copy()) == HAND_WRITTEN


def test_unknown_keys_are_listed_and_kept(tmp_path: Path) -> None:
    text = HAND_WRITTEN.replace("[email]", '[email]\nreply_to = "ops@example.com"')
    loaded = store.load(_write(tmp_path, text))
    assert "email.reply_to" in loaded.unknown_keys
    assert "platform" in loaded.unknown_keys
    wanted = loaded.settings.copy()
    wanted.email.from_name = "x"
    assert 'reply_to = "ops@example.com"' in store.render(loaded, wanted)


def test_every_key_can_be_set_in_a_hand_written_file(tmp_path: Path) -> None:
    """New keys land in the right table even when the file has sub-tables and odd layout."""
    path = _write(tmp_path, HAND_WRITTEN)
    loaded = store.load(path)
    wanted = loaded.settings.copy()
    samples = {bool: True, int: 2525, float: 12.5, str: "v@example.com", list: ["s1", "s2"]}
    for key, spec in KEYS.items():
        if key == "schema_version":
            continue
        value = spec.choices[-1] if spec.choices else samples[spec.type]
        if get_value(wanted, key) == value:
            value = spec.choices[0] if spec.choices else value
        set_value(wanted, key, value)
    assert _reparsed(path, store.render(loaded, wanted)) == wanted


def test_dotted_keys_and_inline_tables_are_updated_in_place(tmp_path: Path) -> None:
    text = 'smtp.host = "a.example"\nsmtp.auth = { enabled = true, username = "u" }\n'
    path = _write(tmp_path, text)
    loaded = store.load(path)
    wanted = loaded.settings.copy()
    wanted.smtp.host = "b.example"
    wanted.smtp.auth.username = "v"
    wanted.smtp.port = 25
    wanted.email.from_name = "Fleet"
    out = store.render(loaded, wanted)
    assert _reparsed(path, out) == wanted
    assert out.startswith('smtp.host = "b.example"\n')


def test_enum_and_float_values_are_read_typed(tmp_path: Path) -> None:
    path = _write(tmp_path, '[smtp]\nsecurity = "ssl"\ntimeout = 10\ngateway = "custom"\n')
    settings = store.load(path).settings
    assert settings.smtp.security is Security.SSL
    assert settings.smtp.gateway is Gateway.CUSTOM
    assert settings.smtp.timeout == 10.0 and isinstance(settings.smtp.timeout, float)


def test_new_file_has_schema_version_and_a_header_comment(tmp_path: Path) -> None:
    path = tmp_path / "fresh.toml"
    loaded = store.load(path)
    wanted = Settings()
    wanted.smtp.host = "x.example"
    text = store.render(loaded, wanted)
    assert text.startswith("# ") and "schema_version = 1\n" in text and text.endswith("\n")
