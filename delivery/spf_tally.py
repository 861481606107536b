"""Count what an SPF record costs receivers: DNS-querying terms through every include.

check_host() stops at the first match; receivers may walk the whole tree, so the limits
(10 DNS-querying terms, 2 void lookups) are judged here over all branches, fetched concurrently.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from mailgw.delivery.resolver import Lookups
from mailgw.delivery.spf import ADDRESS_LIMIT
from mailgw.delivery.spf_terms import SpfRecord, SpfSyntaxError, Term, is_spf, parse_record
from mailgw.i18n import _

MAX_RECORDS = 40  # stop walking an absurd tree; the count is already far over the limit


@dataclass
class SpfTally:
    """What the whole tree costs, and what is broken in it."""

    lookups: int = 0
    void_lookups: int = 0
    records: int = 0
    problems: list[str] = field(default_factory=list)  # permerror for receivers
    unanswered: list[str] = field(default_factory=list)  # lookups that timed out / SERVFAIL
    uses_ptr: bool = False


async def tally_spf(record: SpfRecord, domain: str, lookups: Lookups) -> SpfTally:
    """Walk `record` (already fetched for `domain`) and everything it includes."""
    tally = SpfTally()
    await _walk(record, domain, (domain.lower(),), lookups, tally)
    return tally


async def _walk(
    record: SpfRecord, domain: str, path: tuple[str, ...], lookups: Lookups, tally: SpfTally
) -> None:
    tally.records += 1
    # RFC 7208 6.1: with an `all` in the record, redirect= is never followed, so it costs nothing
    redirect = record.redirect if record.redirect and record.all_term is None else None
    terms = list(record.directives) + ([redirect] if redirect else [])
    jobs = []
    for term in terms:
        if not term.costs_lookup:
            continue
        tally.lookups += 1
        tally.uses_ptr |= term.name == "ptr"
        if "%" in term.value:
            continue  # depends on the sender: counted, not resolved
        target = (term.value or domain).rstrip(".").lower()
        if term.name in ("include", "redirect"):
            jobs.append(_child(term, target, path, lookups, tally))
        elif term.name in ("a", "mx", "exists"):
            jobs.append(_void_check(term, target, lookups, tally))
    await asyncio.gather(*jobs)


async def _child(
    term: Term, target: str, path: tuple[str, ...], lookups: Lookups, tally: SpfTally
) -> None:
    if target in path:
        tally.problems.append(
            _("{text} loops back to {target}").format(text=term.text, target=target)
        )
        return
    if tally.records >= MAX_RECORDS:
        return
    answer = await lookups.lookup(target, "TXT")
    if answer.failed:
        tally.unanswered.append(
            _("{target} TXT ({error})").format(target=target, error=answer.error)
        )
        return
    found = [text for text in answer.records if is_spf(text)]
    if answer.void:
        tally.void_lookups += 1
    if not found:
        tally.problems.append(
            _("{text}: {target} has no SPF record").format(text=term.text, target=target)
        )
        return
    if len(found) > 1:
        tally.problems.append(
            _("{text}: {target} has {found} SPF records").format(
                text=term.text, target=target, found=len(found)
            )
        )
        return
    try:
        child = parse_record(found[0])
    except SpfSyntaxError as exc:
        tally.problems.append(
            _("{text}: {target}'s record is invalid ({exc})").format(
                text=term.text, target=target, exc=exc
            )
        )
        return
    opened = [t for t in child.effective if t.passes_everyone]
    if term.qualifier == "+" and opened:
        tally.problems.append(
            _("{text}: {target}'s record passes every sender ({opened}), like +all").format(
                text=term.text, target=target, opened=opened[0].text
            )
        )
    await _walk(child, target, (*path, target), lookups, tally)


async def _void_check(term: Term, target: str, lookups: Lookups, tally: SpfTally) -> None:
    """The same limits check_host() applies to a, mx and exists (RFC 7208 4.6.4)."""
    types = {"mx": ("MX",), "a": ("A", "AAAA")}.get(term.name, ("A",))
    answers = await asyncio.gather(*(lookups.lookup(target, rdtype) for rdtype in types))
    if any(answer.bad_name for answer in answers):
        tally.problems.append(
            _("{text}: {target!r} is not a valid domain name").format(text=term.text, target=target)
        )
        return
    if term.name == "mx" and len(answers[0].records) > ADDRESS_LIMIT:
        tally.problems.append(
            _("{text}: {target} has {count} MX hosts (limit {address_limit})").format(
                text=term.text,
                target=target,
                count=len(answers[0].records),
                address_limit=ADDRESS_LIMIT,
            )
        )
    failed = [answer for answer in answers if answer.failed]
    if failed:
        tally.unanswered.extend(f"{target} {a.rdtype} ({a.error})" for a in failed)
    elif all(answer.void for answer in answers):
        tally.void_lookups += 1
