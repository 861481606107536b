"""Raw message text as people paste it: line endings, junk before the headers, header lookup."""

from __future__ import annotations

import re

_HEADER = re.compile(rb"^[!-9;-~]+[ \t]*:")  # obs-optional (RFC 5322 4.5): `From :` too
_ANCHORS = (b"from", b"dkim-signature", b"received", b"authentication-results")


def normalise_message(raw: bytes) -> bytes:
    """CRLF line endings, starting at the first block of lines that really is a header."""
    lines = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    start = _header_start(lines)
    if start is None:
        return b""
    return b"\r\n".join(lines[start:])


def _header_start(lines: list[bytes]) -> int | None:
    """Index of the first line from which every line up to a blank one is a header line,
    and that block names a From, DKIM-Signature, Received or Authentication-Results field.

    Linear: a start inside a block that failed would fail too (it sees the same lines up to
    the same end), so the search resumes after the line that ended the block.
    """
    start = 0
    while start < len(lines):
        if not _HEADER.match(lines[start]):
            start += 1
            continue
        end, names = _header_block(lines, start)
        if any(name in _ANCHORS for name in names):
            return start
        start = end + 1
    return None


def _header_block(lines: list[bytes], start: int) -> tuple[int, list[bytes]]:
    """(index of the blank or non-header line ending the block, its field names or [] if the
    block is broken by a line that is neither a header nor a continuation)."""
    names = []
    for index in range(start, len(lines)):
        line = lines[index]
        if not line.strip():
            return index, names
        if _HEADER.match(line):
            names.append(line.split(b":", 1)[0].strip().lower())
        elif line[:1] not in (b" ", b"\t"):
            return index, []
    return len(lines), names


def header_values(message: bytes, name: str) -> list[bytes]:
    """Values (still folded) of every header field called `name`, in order."""
    head = message.split(b"\r\n\r\n", 1)[0]
    fields: list[list[bytes]] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
        else:
            fields.append([line])
    wanted = name.lower().encode()
    values = []
    for lines in fields:
        field_name, sep, first = lines[0].partition(b":")
        if sep and field_name.strip().lower() == wanted:
            values.append(b"\r\n".join([first.lstrip(), *lines[1:]]))
    return values
