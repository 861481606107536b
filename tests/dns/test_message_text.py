"""Finding where the headers start in pasted text: the same answer as the obvious search, in
linear work."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailgw.delivery import message_text
from mailgw.delivery.message_text import normalise_message

LINES = st.sampled_from(
    [
        b"From: a@example.test",
        b"DKIM-Signature: v=1; d=example.test",
        b"Received: by mx",
        b"Subject: hi",
        b"X-Note: 1",
        b"\tcontinued",
        b" continued",
        b"",
        b"Original Message",
        b"Created at:\tTue",
    ]
)


def _obvious_start(lines: list[bytes]) -> int | None:
    """The quadratic search the linear one replaces: try every line as the start."""
    header = re.compile(rb"^[!-9;-~]+:")
    anchors = (b"from", b"dkim-signature", b"received", b"authentication-results")
    for start, line in enumerate(lines):
        if not header.match(line):
            continue
        names = []
        for candidate in lines[start:]:
            if not candidate.strip():
                break
            if header.match(candidate):
                names.append(candidate.split(b":", 1)[0].strip().lower())
            elif candidate[:1] not in (b" ", b"\t"):
                names = []
                break
        if any(name in anchors for name in names):
            return start
    return None


@given(st.lists(LINES, max_size=40))
def test_header_start_is_where_the_obvious_search_finds_it(lines: list[bytes]) -> None:
    assert message_text._header_start(lines) == _obvious_start(lines)


class _CountingPattern:
    """The real header pattern, counting how often it is tried."""

    def __init__(self, pattern: re.Pattern[bytes]) -> None:
        self.pattern = pattern
        self.calls = 0

    def match(self, text: bytes) -> re.Match[bytes] | None:
        self.calls += 1
        return self.pattern.match(text)


@pytest.mark.parametrize(
    "tail", [b"", b"\n\nbody", b"\nnot a header\n"], ids=["no-end", "blank", "broken"]
)
def test_many_header_lines_without_an_anchor_are_read_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch, tail: bytes
) -> None:
    counting = _CountingPattern(message_text._HEADER)
    monkeypatch.setattr(message_text, "_HEADER", counting)
    count = 50_000
    raw = b"\n".join(b"X-Line-%d: value" % n for n in range(count)) + tail
    raw += b"\n\nFrom: a@example.test\nSubject: found\n\nbody\n"
    message = normalise_message(raw)
    assert message.startswith(b"From: a@example.test\r\nSubject: found\r\n")
    assert counting.calls <= 2 * (count + 10)  # the quadratic search needed ~count**2 / 2


def _split_then_join(raw: bytes) -> bytes:
    """The first normalisation: every line split out, then joined again with CRLF."""
    lines = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    start = message_text._header_start(lines)
    return b"" if start is None else b"\r\n".join(lines[start:])


@given(st.lists(st.tuples(LINES, st.sampled_from([b"\r\n", b"\n", b"\r"])), max_size=40))
def test_normalising_gives_what_splitting_every_line_gave(
    lines: list[tuple[bytes, bytes]],
) -> None:
    raw = b"".join(line + ending for line, ending in lines)
    assert normalise_message(raw) == _split_then_join(raw)


def test_a_message_that_already_is_canonical_is_not_copied() -> None:
    raw = b"From: a@example.test\r\nSubject: x\r\n\r\n" + b"body line\r\n" * 1000
    assert normalise_message(raw) is raw
