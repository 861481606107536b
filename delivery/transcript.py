"""The SMTP dialogue as the admin sees it: timestamped lines, secrets masked."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterable
from dataclasses import dataclass

MASK = "********"


@dataclass(frozen=True)
class TranscriptLine:
    """One line: seconds since the start, who spoke (C client, S server, * note), the text."""

    t: float
    who: str
    text: str

    def as_dict(self) -> dict[str, object]:
        return {"t": round(self.t, 3), "who": self.who, "text": self.text}

    def __str__(self) -> str:
        return f"{self.t:7.3f} {self.who}: {self.text}"


def secret_forms(username: str, password: str) -> list[str]:
    """Every form in which the password could travel: raw and base64 as AUTH sends it."""
    if not password:
        return []
    raw = [password.encode(), f"\0{username}\0{password}".encode()]
    raw.append(f"{username}\0{username}\0{password}".encode())
    forms = {password}
    for blob in raw:
        encoded = base64.b64encode(blob).decode()
        forms.update({encoded, encoded.rstrip("=")})
    # Longest first, so a short form never splits a longer one.
    return sorted((f for f in forms if f), key=len, reverse=True)


def xoauth2_forms(username: str, token: str) -> list[str]:
    """The token, raw and in the base64 AUTH XOAUTH2 carries it (RFC 7628's SASL string)."""
    if not token:
        return []
    encoded = base64.b64encode(f"user={username}\x01auth=Bearer {token}\x01\x01".encode()).decode()
    return [token, encoded, encoded.rstrip("=")]


class Redactor:
    """Replaces every known form of the secrets with the mask."""

    def __init__(self, forms: Iterable[str] = ()) -> None:
        self.forms: list[str] = []
        self.add(forms)

    def add(self, forms: Iterable[str]) -> None:
        """Mask these too (a token learnt mid-conversation); longest first, so a short form
        never splits a longer one."""
        self.forms = sorted({*self.forms, *(f for f in forms if f)}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for form in self.forms:
            if form in text:
                text = text.replace(form, MASK)
        return text


class Transcript:
    """Collects the dialogue; every line passes through the redactor on the way in."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        self.redact = redactor or Redactor()
        self.started = time.monotonic()
        self.lines: list[TranscriptLine] = []

    def _add(self, who: str, text: str) -> None:
        line = TranscriptLine(time.monotonic() - self.started, who, self.redact(text))
        self.lines.append(line)

    def client(self, text: str) -> None:
        self._add("C", text)

    def note(self, text: str) -> None:
        self._add("*", text)

    def server(self, code: int, message: str) -> None:
        """A reply, one line per line as it was on the wire (250-first, 250 last)."""
        parts = message.split("\n") if message else [""]
        for index, part in enumerate(parts):
            sep = " " if index == len(parts) - 1 else "-"
            self._add("S", f"{code}{sep}{part}".rstrip())
