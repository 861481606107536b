"""Showing a config file that cannot be parsed: the lines around the error, password hidden."""

from __future__ import annotations

import re
from pathlib import Path

from mailgw.config import store
from mailgw.config.printable import printable
from mailgw.config.schema import SECRET_KEYS


def error_excerpt(path: Path, line: int | None, context: int = 2) -> str:
    """The lines around a parse error, numbered, with the bad line marked, secrets masked."""
    if line is None:
        return ""
    try:
        lines = masked_lines(path.read_text("utf-8", errors="replace").splitlines())
    except OSError:
        return ""
    first, last = max(1, line - context), min(len(lines), line + context)
    shown = []
    for number in range(first, last + 1):
        mark = ">" if number == line else " "
        shown.append(f"{mark}{number:4} | {lines[number - 1]}")
    return printable("\n".join(shown))


_SECRET_NAMES = "|".join(sorted({re.escape(k.rpartition(".")[2]) for k in SECRET_KEYS}))
# a secret's name as a bare, quoted or dotted key (`password`, `"password"`, `auth.password`,
# `auth = { password = ...`), then its `=`: everything after it is the secret
_SECRET_ASSIGNMENT = re.compile(rf"""(^|[\s{{,.])(["']?)({_SECRET_NAMES})\2\s*=""")
_MULTILINE_OPENERS = ('"""', "'''")


def masked_lines(lines: list[str]) -> list[str]:
    """The file's lines with every secret value masked, whatever the TOML form (dotted key,
    inline table, multi-line string), read as text: the file is not valid TOML."""
    out, closing = [], ""
    for line in lines:
        if closing:  # inside a secret's multi-line string: all of it is the secret
            out.append(store.SECRET_MASK)
            if closing in line:
                closing = ""
            continue
        found = _SECRET_ASSIGNMENT.search(line)
        if found is None:
            out.append(line)
            continue
        value = line[found.end() :].lstrip()
        opener = next((q for q in _MULTILINE_OPENERS if value.startswith(q)), "")
        if opener and opener not in value[3:]:
            closing = opener
        out.append(line[: found.end()] + " " + store.SECRET_MASK)
    return out
