"""SPF records to publish: the gateway merged into the current record, never losing a sender.

Several records at one name (an RRset has no order) are combined into one that keeps every
sender of them all; an invalid record is salvaged term by term, and what could not be read is
named for the admin instead of being silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mailgw.delivery.spf_terms import SpfRecord, SpfSyntaxError, parse_record, parse_term
from mailgw.i18n import _

FRESH_SPF_ALL = "~all"  # softfail while the admin watches DMARC reports; -all once confident
ALL_STRENGTH = ("+", "?", "~", "-")  # weakest to strongest


class SpfMergeError(ValueError):
    """The current SPF record cannot be merged safely."""


@dataclass(frozen=True)
class SpfMerge:
    """The SPF record to publish, and what was done to the current one."""

    value: str
    changed: bool
    note: str


@dataclass(frozen=True)
class Salvage:
    """A valid record made of the terms of one or more records that receivers can read."""

    text: str
    unreadable: tuple[str, ...] = ()  # terms left out: they need the admin's eye


def salvage_spf(text: str) -> Salvage:
    """The terms of `text` that parse, in order (a second redirect=/exp= is left out too)."""
    kept: list[str] = []
    unreadable: list[str] = []
    modifiers: set[str] = set()
    for word in text.split()[1:]:
        try:
            term = parse_term(word)
        except SpfSyntaxError:
            unreadable.append(word)
            continue
        if term.modifier and term.name in ("redirect", "exp"):
            if term.name in modifiers:
                unreadable.append(word)
                continue
            modifiers.add(term.name)
        kept.append(word)
    return Salvage(" ".join(["v=spf1", *kept]), tuple(unreadable))


def combine_spf(texts: Iterable[str]) -> Salvage:
    """One record keeping every sender of several: their reachable terms (sorted by record text,
    so the same zone always gives the same record), a redirect= as an include:, and the
    strongest `all` of them (+all becomes ~all)."""
    terms: list[str] = []
    alls: list[str] = []
    exp = ""
    unreadable: list[str] = []
    for text in sorted(set(texts)):
        salvage = salvage_spf(text)
        unreadable += salvage.unreadable
        record = parse_record(salvage.text)
        terms += [t.text for t in record.effective if t.name != "all"]
        alls += [t.qualifier for t in record.effective if t.name == "all"]
        if record.redirect is not None and record.all_term is None:
            terms.append(f"include:{record.redirect.value}")
            alls.append(FRESH_SPF_ALL[0])
        exp = exp or (record.exp.text if record.exp else "")
    unique: dict[str, str] = {}
    for term in terms:
        unique.setdefault(_same_key(term), term)
    words = ["v=spf1", *unique.values()]
    if alls:
        strongest = max(alls, key=ALL_STRENGTH.index)
        words.append(FRESH_SPF_ALL if strongest == "+" else f"{strongest}all")
    words += [exp] if exp else []
    return Salvage(" ".join(words), tuple(dict.fromkeys(unreadable)))


def _same_key(word: str) -> str:
    return word.lower().lstrip("+").rstrip(".")


def merge_spf(current: str | None, mechanism: str) -> SpfMerge:
    """Add `mechanism` to the current record: before `all`, before modifiers, never twice."""
    if not current:
        return SpfMerge(f"v=spf1 {mechanism} {FRESH_SPF_ALL}", True, _("new record"))
    words = current.split()
    try:
        record = parse_record(" ".join(words))
    except SpfSyntaxError as exc:
        raise SpfMergeError(
            _("the current SPF record is invalid ({exc}); fix it first").format(exc=exc)
        ) from None
    opened = [t.text for t in record.directives if t.passes_everyone and t.name != "all"]
    if _has_effective(words, mechanism) and not opened and not _plus_all(record):
        return SpfMerge(" ".join(words), False, _("your current record already has it"))
    # a copy with another qualifier, or after `all` (never evaluated), is replaced, not kept
    removed = [w for w in words[1:] if _same_mechanism(w, mechanism)]
    kept = [w for w in words if w not in removed and w not in opened]
    position = _insert_position(kept)
    merged = [*kept[:position], mechanism, *kept[position:]]
    moved = _("; it replaces your {removed}").format(removed=" ".join(removed)) if removed else ""
    if opened:
        moved += _("; your {terms} (passes every address, like +all) was removed").format(
            terms=" ".join(opened)
        )
    if _plus_all(record):
        assert record.all_term is not None
        merged[merged.index(record.all_term.text)] = FRESH_SPF_ALL
        note = _(
            "merged with your current record; its +all (anyone may send) became {fresh_spf_all}"
        ).format(fresh_spf_all=FRESH_SPF_ALL)
        return SpfMerge(" ".join(merged), True, note + moved)
    if record.all_term is None and record.redirect is None:
        note = _("merged with your current record (it has no `all`: unmatched mail stays neutral)")
    elif record.all_term is None:
        note = _("merged with your current record (before its redirect=, which still applies)")
    else:
        note = _("merged with your current record (right before {text})").format(
            text=record.all_term.text
        )
    return SpfMerge(" ".join(merged), True, note + moved)


def _plus_all(record: SpfRecord) -> bool:
    return record.all_term is not None and record.all_term.qualifier == "+"


def _same_mechanism(word: str, mechanism: str) -> bool:
    """Whether `word` is `mechanism` with any qualifier (case and a trailing dot aside)."""
    return word.lower().lstrip("+-~?").rstrip(".") == mechanism.lower().rstrip(".")


def _has_effective(words: list[str], mechanism: str) -> bool:
    """Exactly one copy of `mechanism`, pass-qualified and before the first `all`."""
    copies = [i for i, word in enumerate(words[1:], start=1) if _same_mechanism(word, mechanism)]
    if len(copies) != 1 or words[copies[0]].startswith(("-", "~", "?")):
        return False
    return copies[0] < _all_index(words)


def _all_index(words: list[str]) -> int:
    """Index of the first `all` term (after it nothing is evaluated), else the end."""
    for index, word in enumerate(words[1:], start=1):
        if word.lower().lstrip("+-~?") == "all":
            return index
    return len(words)


def _insert_position(words: list[str]) -> int:
    """Index of the `all` term, else of the first modifier, else the end."""
    if (index := _all_index(words)) < len(words):
        return index
    for index, word in enumerate(words[1:], start=1):
        head = word.split(":", 1)[0].split("/", 1)[0]
        if "=" in head:
            return index
    return len(words)


def proposed_spf(texts: list[str], mechanism: str) -> tuple[SpfMerge, Salvage | None]:
    """The record to publish for the SPF records found at a name (none, one, or several), and
    the salvage when the found ones had to be combined or repaired (None: taken as they are)."""
    if not texts:
        return merge_spf(None, mechanism), None
    if len(texts) == 1:
        try:
            return merge_spf(texts[0], mechanism), None
        except SpfMergeError:
            salvage = salvage_spf(texts[0])
    else:
        salvage = combine_spf(texts)
    return merge_spf(salvage.text, mechanism), salvage
