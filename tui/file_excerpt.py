"""Showing a config file that cannot be parsed: the lines around the error, password hidden."""

from __future__ import annotations

from pathlib import Path

from mailgw.config import store
from mailgw.config.schema import SECRET_KEYS


def error_excerpt(path: Path, line: int | None, context: int = 2) -> str:
    """The lines around a parse error, numbered, with the bad line marked."""
    if line is None:
        return ""
    try:
        lines = path.read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    first, last = max(1, line - context), min(len(lines), line + context)
    shown = []
    for number in range(first, last + 1):
        mark = ">" if number == line else " "
        shown.append(f"{mark}{number:4} | {_masked_line(lines[number - 1])}")
    return "\n".join(shown)


def _masked_line(line: str) -> str:
    """Hide a password on a line we show from a file we cannot parse."""
    key = line.split("=", 1)[0].strip().strip("\"'")
    if "=" in line and key in {k.rpartition(".")[2] for k in SECRET_KEYS}:
        return line.split("=", 1)[0] + "= " + store.SECRET_MASK
    return line
