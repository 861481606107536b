"""A hostile server's replies reach the terminal as visible escapes, never as control codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailgw import cli
from mailgw.config.printable import json_safe, printable
from tests.support.smtpserver import RawServer, raw_server, read_command

# clear screen, set the window title (OSC, both 7-bit and 8-bit forms), a bell
HOSTILE = b"\x1b[2J\x1b]0;owned\x07\xc2\x9d52;c;ZXZpbA==\xc2\x9c"


def _hostile(state: RawServer):
    async def handle(reader, writer) -> None:
        writer.write(b"220 mail.example.test " + HOSTILE + b"\r\n")
        await writer.drain()
        await read_command(reader, state)
        writer.write(b"250-mail.example.test " + HOSTILE + b"\r\n250 8BITMIME\r\n")
        await writer.drain()
        await read_command(reader, state)
        writer.write(b"221 bye " + HOSTILE + b"\r\n")
        await writer.drain()

    return handle


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        cli.run(list(argv))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def _no_controls(text: str) -> None:
    for control in ("\x1b", "\x07", "\x9d", "\x9c"):
        assert control not in text, repr(text)


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_probe_prints_a_hostile_greeting_as_escapes(
    capsys, config_path: Path, as_json: bool
) -> None:
    with raw_server(_hostile) as server:
        config_path.write_text(
            f'[smtp]\ngateway = "custom"\nhost = "127.0.0.1"\nport = {server.port}\n'
            'security = "none"\ntimeout = 10\nhelo_name = "client.example.test"\n'
        )
        args = ["--config", str(config_path), "probe", "--transcript"]
        code, out, err = _run(capsys, *args, *(["--json"] if as_json else []))
    _no_controls(out + err)
    if as_json:
        data = json.loads(out)  # still valid JSON, the reply kept (escaped) in it
        assert "owned" in json.dumps(data, ensure_ascii=False)
    else:
        assert "\\x1b]0;owned" in out and "\\x9d52" in out


def test_printable_escapes_every_control_but_newline_and_tab() -> None:
    assert printable("a\x1b[2Jb\tc\nd\x7f\x9b\u202e") == "a\\x1b[2Jb\tc\nd\\x7f\\x9b\\u202e"
    assert json.loads(json_safe(json.dumps("\x9d\x1b", ensure_ascii=False))) == "\x9d\x1b"
