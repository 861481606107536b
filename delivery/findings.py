"""One result vocabulary for every check: the CLI prints findings, the TUI draws them."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass


class Status(str, enum.Enum):
    OK = "ok"
    WARNING = "warning"
    MISSING = "missing"  # looked up and definitely not there
    WRONG = "wrong"  # there, but not what is expected
    PENDING = "pending"  # the authoritative servers have it; the resolver does not yet
    FAILED = "failed"  # a live action (send, probe) did not succeed
    ERROR = "error"  # could not be answered (timeout, SERVFAIL): never means missing

    @property
    def is_problem(self) -> bool:
        return self not in (Status.OK, Status.WARNING, Status.PENDING)

    @property
    def mark(self) -> str:
        """A mark readable without colour (NO_COLOR, 16-colour terminals)."""
        return _MARKS[self]


_MARKS = {
    Status.OK: "✓",
    Status.WARNING: "!",
    Status.MISSING: "✗",
    Status.WRONG: "✗",
    Status.PENDING: "…",
    Status.FAILED: "✗",
    Status.ERROR: "?",
}


@dataclass(frozen=True)
class Finding:
    """What one check found, what it expected, and the fix in one sentence."""

    check: str  # machine name, e.g. "spf", "dkim:mte1"
    status: Status
    title: str  # what a person reads first
    found: str = ""
    expected: str = ""
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        data = asdict(self)
        data["status"] = self.status.value
        return data


def all_ok(findings: list[Finding]) -> bool:
    return not any(f.status.is_problem for f in findings)
