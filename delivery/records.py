"""The DNS records to publish for the sender domain, merged with what the domain already has."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mailgw.config.model import Settings
from mailgw.delivery.dmarc import (
    DmarcError,
    is_dmarc,
    load_suffix_list,
    parse_dmarc,
    record_names,
    stricter_or_equal,
)
from mailgw.delivery.resolver import LookupResult, Lookups, ResolverConfig, make_resolver
from mailgw.delivery.sender import SenderSetup, sender_setup
from mailgw.delivery.spf import LOOKUP_LIMIT
from mailgw.delivery.spf_tally import tally_spf
from mailgw.delivery.spf_terms import SpfSyntaxError, is_spf, parse_record
from mailgw.i18n import _

FRESH_SPF_ALL = "~all"  # softfail while the admin watches DMARC reports; -all once confident
KEY_PLACEHOLDER = "KEY-FROM-SUPPORT"


@dataclass(frozen=True)
class Record:
    """One record to publish: owner name, type, value (TXT unsplit), and why it is needed."""

    name: str
    type: str
    value: str
    purpose: str
    note: str = ""  # e.g. "merged with your current record"
    placeholder: bool = False  # the value holds a part the admin must fill in

    def zone_line(self, ttl: int = 3600) -> str:
        """The record as a zone-file line (TXT split into quoted 255-byte strings)."""
        value = " ".join(txt_strings(self.value)) if self.type == "TXT" else _fqdn(self.value)
        return f"{_fqdn(self.name)} {ttl} IN {self.type} {value}"

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "type": self.type, "value": self.value, "purpose": self.purpose}


@dataclass(frozen=True)
class SpfMerge:
    """The SPF record to publish, and what was done to the current one."""

    value: str
    changed: bool
    note: str


def _fqdn(name: str) -> str:
    return name.rstrip(".") + "."


def txt_strings(value: str) -> list[str]:
    """A TXT value as quoted character-strings of at most 255 bytes each (RFC 1035 3.3.14)."""
    raw = value.encode("utf-8")
    chunks = [raw[i : i + 255] for i in range(0, len(raw), 255)] or [b""]
    return ['"' + _escape(chunk) + '"' for chunk in chunks]


def _escape(chunk: bytes) -> str:
    out = []
    for byte in chunk:
        if byte in (0x22, 0x5C):
            out.append("\\" + chr(byte))
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03d}")
    return "".join(out)


def merge_spf(current: str | None, mechanism: str) -> SpfMerge:
    """Add `mechanism` to the current record: before `all`, before modifiers, never twice."""
    if not current:
        return SpfMerge(f"v=spf1 {mechanism} {FRESH_SPF_ALL}", True, _("new record"))
    words = current.split()
    if _has_effective(words, mechanism):
        return SpfMerge(" ".join(words), False, _("your current record already has it"))
    try:
        record = parse_record(" ".join(words))
    except SpfSyntaxError as exc:
        raise SpfMergeError(
            _("the current SPF record is invalid ({exc}); fix it first").format(exc=exc)
        ) from None
    # a copy with another qualifier, or after `all` (never evaluated), is replaced, not kept
    removed = [w for w in words[1:] if _same_mechanism(w, mechanism)]
    kept = [w for w in words if w not in removed]
    position = _insert_position(kept)
    merged = [*kept[:position], mechanism, *kept[position:]]
    moved = _("; it replaces your {removed}").format(removed=" ".join(removed)) if removed else ""
    if record.all_term is not None and record.all_term.qualifier == "+":
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


class SpfMergeError(ValueError):
    """The current SPF record cannot be merged safely."""


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


def merge_dmarc(current: str | None, default: str) -> tuple[str, str]:
    """(value, note): a valid current policy is kept (p=none or stricter), else the default."""
    if not current:
        return default, _("new record")
    try:
        record = parse_dmarc(current)
    except DmarcError as exc:
        return default, _("replaces your current record, which is invalid ({exc})").format(exc=exc)
    if stricter_or_equal(record.policy, parse_dmarc(default).policy):
        return current, _("your current policy p={policy} is kept").format(policy=record.policy)
    return default, _("new record")


def records_for(
    settings: Settings,
    current_spf: str | None = None,
    current_dmarc: str | None = None,
    *,
    domain: str | None = None,
    dmarc_owner: str | None = None,
) -> list[Record]:
    """Every record the domain needs for the configured gateway."""
    setup = sender_setup(settings, domain)
    records: list[Record] = []
    if setup.platform:
        records.append(_verification(setup))
    records.extend(_spf(setup, current_spf))
    records.extend(_dkim(setup))
    value, note = merge_dmarc(current_dmarc, setup.dmarc_default)
    purpose = _("DMARC: tells receivers what to do with mail that fails SPF and DKIM alignment")
    owner = dmarc_owner or f"_dmarc.{setup.from_domain}"
    records.append(Record(owner, "TXT", value, purpose, note))
    return records


def _verification(setup: SenderSetup) -> Record:
    purpose = _("proves to the gateway that you own the domain")
    if setup.verification:
        return Record(setup.domain, "TXT", setup.verification, purpose)
    value = f"{setup.verification_prefix}{KEY_PLACEHOLDER}"
    note = _("ask support for the key, then: mailgw set sender_domain.verification_key=KEY")
    return Record(setup.domain, "TXT", value, purpose, note, placeholder=True)


def _spf(setup: SenderSetup, current: str | None) -> list[Record]:
    mechanism = setup.spf_mechanism()
    label = setup.gateway_label
    label = label[0].lower() + label[1:] if label.startswith("The ") else label
    purpose = _("SPF: authorises {label} to send for the domain").format(label=label)
    if not mechanism:
        note = _("set smtp.host (your server) so that mailgw can say what SPF must authorise")
        return [Record(setup.domain, "TXT", "v=spf1 a mx ~all", purpose, note, placeholder=True)]
    if current is not None and not is_spf(current):
        current = None
    merge = merge_spf(current, mechanism)
    return [Record(setup.domain, "TXT", merge.value, purpose, merge.note)]


def _dkim(setup: SenderSetup) -> list[Record]:
    records = []
    for dkim in setup.dkim:
        name = f"{dkim.selector}._domainkey.{setup.domain}"
        purpose = _("DKIM key for selector {selector}: lets receivers check signatures").format(
            selector=dkim.selector
        )
        if dkim.type == "cname" and dkim.target:
            records.append(Record(name, "CNAME", dkim.target_for(setup.domain), purpose))
        elif dkim.type == "cname":
            note = _("the target is shown in your provider's domain settings")
            records.append(Record(name, "CNAME", "TARGET-FROM-PROVIDER", purpose, note, True))
        else:
            note = _("publish the public key your mail server or provider gives you")
            value = "v=DKIM1; k=rsa; p=PUBLIC-KEY"
            records.append(Record(name, "TXT", value, purpose, note, True))
    return records


@dataclass
class Proposal:
    """The records to publish, with what was learnt from the live domain."""

    records: list[Record]
    notes: list[str]  # things to know (e.g. the current record could not be read)
    problems: list[str]  # reasons not to publish as is (e.g. over the SPF lookup limit)
    spf_lookups: int | None = None  # of the proposed SPF record, through all includes


async def propose_records(
    settings: Settings,
    *,
    resolver_config: ResolverConfig | None,
    domain: str | None = None,
) -> Proposal:
    """records_for() merged with the live SPF and DMARC records; offline when no config."""
    await load_suffix_list()
    setup = sender_setup(settings, domain)
    if resolver_config is None:
        note = _("offline: the current SPF and DMARC records were not looked up (fresh ones shown)")
        return Proposal(records_for(settings, domain=domain), [note], [])
    lookups = Lookups(make_resolver(resolver_config))
    dmarc_names = record_names(setup.from_domain)
    questions = [(setup.domain, "TXT"), *((name, "TXT") for name in dmarc_names)]
    answers = await lookups.many(questions)
    notes: list[str] = []
    spf = _current(answers[(setup.domain, "TXT")], is_spf, "SPF", notes)
    dmarc_owner = dmarc_names[0]
    dmarc = _current(answers[(dmarc_owner, "TXT")], is_dmarc, "DMARC", notes)
    if dmarc is None and len(dmarc_names) > 1 and answers[(dmarc_owner, "TXT")].void:
        parent = _current(answers[(dmarc_names[1], "TXT")], is_dmarc, "DMARC", notes)
        if parent is not None:  # the organisational domain's policy already covers the From
            dmarc, dmarc_owner = parent, dmarc_names[1]
    options = {"domain": domain, "dmarc_owner": dmarc_owner}
    try:
        records = records_for(settings, spf, dmarc, **options)
    except SpfMergeError as exc:
        notes.append(_("{exc}; showing a fresh SPF record that replaces it").format(exc=exc))
        records = records_for(settings, None, dmarc, **options)
    problems, count = await _spf_limit(records, setup, lookups, notes)
    return Proposal(records, notes, problems, count)


def _current(
    answer: LookupResult, wanted: Callable[[str], bool], label: str, notes: list[str]
) -> str | None:
    if answer.failed:
        notes.append(
            _(
                "could not look up the current {label} record of {name} ({error}): "
                "showing a fresh one; merge it by hand if the domain already has one"
            ).format(label=label, name=answer.name, error=answer.error)
        )
        return None
    found = [text for text in answer.records if wanted(text)]
    if len(found) > 1:
        notes.append(
            _(
                "{name} has {found} {label} records; publish the one below and delete the others"
            ).format(name=answer.name, found=len(found), label=label)
        )
    return found[0] if found else None


async def _spf_limit(
    records: list[Record], setup: SenderSetup, lookups: Lookups, notes: list[str]
) -> tuple[list[str], int | None]:
    spf = next((r for r in records if r.type == "TXT" and is_spf(r.value)), None)
    if spf is None or spf.placeholder:
        return [], None
    tally = await tally_spf(parse_record(spf.value), setup.domain, lookups)
    problems = [_("SPF: {problem}").format(problem=problem) for problem in tally.problems]
    if tally.lookups > LOOKUP_LIMIT:
        problems.append(
            _(
                "the SPF record below needs {lookups} DNS lookups through its "
                "includes (limit {lookup_limit}): receivers will return permerror; "
                "drop an include or replace it with ip4:/ip6: ranges before "
                "publishing"
            ).format(lookups=tally.lookups, lookup_limit=LOOKUP_LIMIT)
        )
    notes += [
        _("could not read {name} while counting SPF lookups").format(name=name)
        for name in tally.unanswered
    ]
    return problems, tally.lookups
