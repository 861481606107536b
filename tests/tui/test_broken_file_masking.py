"""The broken-file dialog hides the password by its key, whatever the TOML form it is in."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgw.config import store
from mailgw.tui.file_excerpt import error_excerpt

SECRET = "Hunter2-SECRET"


@pytest.mark.parametrize(
    "text",
    [
        f'[smtp.auth]\npassword = "{SECRET}"\nbroken = \n',
        f'[smtp]\nauth.password = "{SECRET}"\nbroken = \n',
        f'[smtp]\nauth . "password" = "{SECRET}"\nbroken = \n',
        f'smtp.auth.password = "{SECRET}"\nbroken = \n',
        f'[smtp]\nauth = {{ username = "u", password = "{SECRET}" }}\nbroken = \n',
        f'[smtp.auth]\npassword = """\n{SECRET}\nmore-{SECRET}"""\nbroken = \n',
        f"[smtp.auth]\npassword = '''{SECRET}\n{SECRET}'''\nbroken = \n",
        f"[smtp.auth]\n'password'='{SECRET}'\nbroken = \n",
    ],
    ids=[
        "plain",
        "dotted",
        "dotted-spaced",
        "full-dotted",
        "inline-table",
        "multi-line",
        "literal-multi-line",
        "quoted-key",
    ],  # fmt: skip
)
def test_the_excerpt_masks_the_password_in_every_form(tmp_path: Path, text: str) -> None:
    config = tmp_path / "email-gateway.toml"
    config.write_text(text)
    line = text.count("\n")  # the broken line, last
    shown = error_excerpt(config, line, context=10)
    assert SECRET not in shown and store.SECRET_MASK in shown
    assert "broken" in shown  # the rest is still shown


def test_the_excerpt_shows_control_codes_as_escapes(tmp_path: Path) -> None:
    config = tmp_path / "email-gateway.toml"
    config.write_text('host = "\x1b]0;owned\x07"\nbroken = \n')
    shown = error_excerpt(config, 2)
    assert "\x1b" not in shown and "\\x1b]0;owned" in shown
