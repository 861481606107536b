"""Raw message text as people paste it: line endings, junk before the headers, header lookup."""

from __future__ import annotations

import re

_HEADER = re.compile(rb"^[!-9;-~]+[ \t]*:")  # obs-optional (RFC 5322 4.5): `From :` too
_ANCHORS = (b"from", b"dkim-signature", b"received", b"authentication-results")


def normalise_message(raw: bytes) -> bytes:
    """CRLF line endings, starting at the first block of lines that really is a header.

    A message that already is one (a saved .eml) comes back as it is: a 25 MiB message is not
    copied, nor split into lines, to find that out."""
    text = raw if _crlf_only(raw) else _crlf(raw)
    head_end = text.find(b"\r\n\r\n")
    first = (text if head_end < 0 else text[:head_end]).split(b"\r\n")
    resume = 0
    if _HEADER.match(first[0]):
        end, names = _header_block(first, 0)  # ends where it would in the whole text
        if any(name in _ANCHORS for name in names):
            return text
        resume = end + 1
    lines = text.split(b"\r\n")
    start = _header_start(lines, resume)
    if start is None:
        return b""
    return text[sum(len(line) + 2 for line in lines[:start]) :]


def _crlf_only(raw: bytes) -> bool:
    return raw.count(b"\r\n") == raw.count(b"\r") == raw.count(b"\n")


def _crlf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")


def _header_start(lines: list[bytes], start: int = 0) -> int | None:
    """Index of the first line from which every line up to a blank one is a header line,
    and that block names a From, DKIM-Signature, Received or Authentication-Results field.

    Linear: a start inside a block that failed would fail too (it sees the same lines up to
    the same end), so the search resumes after the line that ended the block.
    """
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
    end = message.find(b"\r\n\r\n")
    head = message if end < 0 else message[:end]  # never a copy of the body
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
