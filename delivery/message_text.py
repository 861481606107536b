"""Raw message text as people paste it: line endings, junk before the headers, header lookup."""

from __future__ import annotations

import re

_HEADER = re.compile(rb"^[!-9;-~]+:")
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
    and that block names a From, DKIM-Signature, Received or Authentication-Results field."""
    for start, line in enumerate(lines):
        if not _HEADER.match(line):
            continue
        names = []
        for candidate in lines[start:]:
            if not candidate.strip():
                break
            if _HEADER.match(candidate):
                names.append(candidate.split(b":", 1)[0].strip().lower())
            elif candidate[:1] not in (b" ", b"\t"):
                names = []
                break
        if any(name in _ANCHORS for name in names):
            return start
    return None


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
