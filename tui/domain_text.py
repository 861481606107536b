"""The words of the sender-domain pane: status cells, the checklist and the support request.

No Textual here: plain functions from engine results to the text a person reads.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailgw.delivery.findings import Finding, Status
from mailgw.i18n import N_, _, ngettext

if TYPE_CHECKING:
    from mailgw.delivery.records import Record

STATUS_WORDS = {
    Status.OK: N_("ok"),
    Status.WARNING: N_("warning"),
    Status.MISSING: N_("missing"),
    Status.WRONG: N_("wrong"),
    Status.PENDING: N_("pending"),
    Status.FAILED: N_("failed"),
    Status.ERROR: N_("error"),
}
SETTLED = (Status.OK, Status.WARNING)


def status_count(status: Status, n: int) -> str:
    """How many findings have one status ("3 errors"), a whole phrase in each language."""
    phrases = {
        Status.OK: ngettext("{n} ok", "{n} ok", n),
        Status.WARNING: ngettext("{n} warning", "{n} warnings", n),
        Status.MISSING: ngettext("{n} missing", "{n} missing", n),
        Status.WRONG: ngettext("{n} wrong", "{n} wrong", n),
        Status.PENDING: ngettext("{n} pending", "{n} pending", n),
        Status.FAILED: ngettext("{n} failed", "{n} failed", n),
        Status.ERROR: ngettext("{n} error", "{n} errors", n),
    }
    return phrases[status].format(n=n)


_CACHE_LEFT = re.compile(r"\((\d+) s\b")  # "(60 s of cache left)" in a pending finding's title


def check_of(record: Record) -> str:
    """The finding (check name) that judges a record to publish, as the registry named it."""
    return record.check


def relative_name(name: str, domain: str) -> str:
    """The owner name as DNS panels take it: `@` for the domain itself, else the part before."""
    name, domain = name.rstrip(".").lower(), domain.rstrip(".").lower()
    if name == domain:
        return "@"
    return name.removesuffix("." + domain) if domain else name


def cache_seconds(finding: Finding) -> int | None:
    """Seconds of resolver cache left for a pending record, when the check said so."""
    if finding.status is not Status.PENDING:
        return None
    match = _CACHE_LEFT.search(finding.title)
    return int(match.group(1)) if match else None


def status_cell(finding: Finding | None, seconds_left: int | None = None) -> str:
    """`✓ ok`, `✗ missing`, `… pending 57 s`; `· not checked` before a check."""
    if finding is None:
        return "· " + _("not checked")
    text = f"{finding.status.mark} {_(STATUS_WORDS[finding.status])}"
    if seconds_left is not None:
        text += " " + _("{seconds} s").format(seconds=max(seconds_left, 0))
    return text


def detail(record: Record, finding: Finding | None) -> str:
    """What the cursor row says in full: why it is needed, what was found, the fix."""
    lines = [f"{record.type} {record.name}: {record.purpose}"]
    if record.note:
        lines.append(_("Note: {note}").format(note=record.note))
    if finding is None:
        return "\n".join(lines)
    lines.append(f"{status_cell(finding)}: {finding.title}")
    if finding.status is not Status.OK:
        lines.append(_("Expected: {expected}").format(expected=finding.expected or record.value))
        lines.append(_("Found:    {found}").format(found=finding.found or "-"))
    if finding.fix:
        lines.append(_("Fix: {fix}").format(fix=finding.fix))
    return "\n".join(lines)


class Step(str, enum.Enum):
    DONE = "done"
    CURRENT = "current"
    LATER = "later"
    NOT_NEEDED = "not needed"


STEP_MARKS = {Step.DONE: "[✓]", Step.CURRENT: "[→]", Step.LATER: "[ ]", Step.NOT_NEEDED: "[-]"}
STEP_TITLES = (
    N_("Authenticate the domain (verification key from support)"),
    N_("Authorise it (SPF, DKIM, DMARC published)"),
    N_("Assign the sender address"),
)


@dataclass(frozen=True)
class Progress:
    """What is known about the three steps."""

    platform: bool
    authenticated: bool  # verification record ok (or not needed)
    authorised: bool  # every SPF, DKIM and DMARC record ok
    assigned: bool  # the sender address is of this domain, and the first two are done


def progress(
    platform: bool, findings: list[Finding] | None, from_domain: str, domain: str
) -> Progress:
    """The checklist's state from the last check (None: not checked yet)."""
    if not findings:
        return Progress(platform, not platform, False, False)
    # here, not at the top: the registry brings dnspython, which the console loads on demand
    from mailgw.delivery.domain_registry import AUTHENTICATE, AUTHORISE, step_of

    steps: dict[str, list[Status]] = {}
    for found in findings:
        steps.setdefault(step_of(found.check), []).append(found.status)
    authentication = steps.get(AUTHENTICATE, [])
    authenticated = not platform or (
        bool(authentication) and all(s in SETTLED for s in authentication)
    )
    others = steps.get(AUTHORISE, [])
    authorised = bool(others) and all(s in SETTLED for s in others)
    assigned = authenticated and authorised and from_domain.lower() == domain.lower()
    return Progress(platform, authenticated, authorised, assigned)


def checklist(state: Progress) -> list[str]:
    """One line per step: `[✓] 1. Authenticate the domain ...`."""
    done = [state.authenticated, state.authorised, state.assigned]
    steps: list[Step] = []
    for index, finished in enumerate(done):
        if index == 0 and not state.platform:
            steps.append(Step.NOT_NEEDED)
        elif finished:
            steps.append(Step.DONE)
        elif Step.CURRENT in steps:
            steps.append(Step.LATER)
        else:
            steps.append(Step.CURRENT)
    return [
        f"{STEP_MARKS[step]} {number}. {_(title)}"
        for number, (step, title) in enumerate(zip(steps, STEP_TITLES, strict=True), start=1)
    ]


def support_request(domain: str, login: str, address: str) -> str:
    """The text to send to support to have the sender address assigned on the platform."""
    return _(
        "Hello,\n\n"
        "Please assign the sender address {address} to our account on the platform's email "
        "gateway.\n"
        "Admin login: {login}\n"
        "Domain: {domain} (verification TXT, SPF, DKIM CNAMEs and DMARC are published and "
        "pass the check)\n\n"
        "Thank you."
    ).format(address=address or "?", login=login or "?", domain=domain)
