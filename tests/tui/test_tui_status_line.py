"""The status line names what it knows, with no separator left hanging."""

from __future__ import annotations

from mailgw.tui.widgets.status_line import StatusLine


def test_no_separator_dangles_when_a_part_is_unknown() -> None:
    line = StatusLine()
    assert line.render() == " mailgw · saved"
    line.gateway, line.path = "custom SMTP mail.example.com:587", "c.toml"
    assert line.render() == " mailgw · saved · custom SMTP mail.example.com:587 · c.toml"
    line.gateway = ""
    assert line.render() == " mailgw · saved · c.toml"
