"""Text from the outside world made safe to print or draw: no control character reaches a terminal.

Certificate names, SMTP replies, DNS TXT values and pasted messages may carry escape sequences
(clear the screen, set the window title, OSC 52 to write the clipboard). Every front shows such
text through `printable`, which writes each control character as a visible escape instead.
"""

from __future__ import annotations

import re

# C0 controls but newline and tab, DEL, C1 controls (U+0080-U+009F: 8-bit CSI and OSC), and the
# bidirectional overrides that can make a line read differently from what it holds
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(found: re.Match[str]) -> str:
    code = ord(found[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control character (but newline and tab) shown as an escape (\\x1b)."""
    return _CONTROL.sub(_escape, text)


def json_safe(text: str) -> str:
    """JSON text (from json.dumps with ensure_ascii=False) with the controls JSON leaves raw
    (DEL, C1, bidi overrides) written as \\u escapes, so the JSON stays valid and inert."""
    return _CONTROL.sub(lambda found: f"\\u{ord(found[0]):04x}", text)
