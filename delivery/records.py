"""The DNS records to publish for the sender domain, merged with what the domain already has."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mailgw.config.model import Settings
from mailgw.delivery.dmarc import (
    DmarcError,
    discover,
    load_suffix_list,
    merge_records,
    parse_dmarc,
    record_names,
    repaired,
    stricter_or_equal,
)
from mailgw.delivery.domain_registry import dkim_check
from mailgw.delivery.resolver import LookupResult, Lookups, ResolverConfig, make_resolver
from mailgw.delivery.sender import SenderSetup, sender_setup
from mailgw.delivery.spf import LOOKUP_LIMIT
from mailgw.delivery.spf_merge import (
    FRESH_SPF_ALL,
    SpfMerge,
    SpfMergeError,
    merge_spf,
    proposed_spf,
)
from mailgw.delivery.spf_tally import tally_spf
from mailgw.delivery.spf_terms import is_spf, parse_record
from mailgw.i18n import _

__all__ = ["FRESH_SPF_ALL", "SpfMerge", "SpfMergeError", "merge_spf"]  # re-exported for callers

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
    check: str = ""  # the check (domain_registry) that judges it once published

    def zone_line(self, ttl: int = 3600) -> str:
        """The record as a zone-file line (TXT split into quoted 255-byte strings)."""
        value = " ".join(txt_strings(self.value)) if self.type == "TXT" else _fqdn(self.value)
        return f"{_fqdn(self.name)} {ttl} IN {self.type} {value}"

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "type": self.type, "value": self.value, "purpose": self.purpose}


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


def merge_dmarc(current: str | Sequence[str] | None, default: str) -> tuple[str, str]:
    """(value, note): the current policy is kept (a bad optional tag never replaces it); an
    invalid record is repaired keeping its tags; several records are merged, strongest first."""
    texts = [current] if isinstance(current, str) else list(current or ())
    if not texts:
        return default, _("new record")
    if len(texts) > 1:
        merged = merge_records(texts, default)
        note = _("merges your {count} records (strongest policy, every report address)")
        return merged, note.format(count=len(texts))
    try:
        record = parse_dmarc(texts[0])
    except DmarcError as exc:
        return repaired(texts[0], default), _(
            "repairs your current record, which is invalid ({exc}); its other tags are kept"
        ).format(exc=exc)
    if not stricter_or_equal(record.policy, parse_dmarc(default).policy):
        return default, _("new record")
    note = _("your current policy p={policy} is kept").format(policy=record.policy)
    for problem in record.problems:
        note += "; " + problem.fix
    return texts[0], note


def records_for(
    settings: Settings,
    current_spf: str | Sequence[str] | None = None,
    current_dmarc: str | Sequence[str] | None = None,
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
    records.append(Record(owner, "TXT", value, purpose, note, check="dmarc"))
    return records


def _verification(setup: SenderSetup) -> Record:
    purpose = _("proves to the gateway that you own the domain")
    if setup.verification:
        return Record(setup.domain, "TXT", setup.verification, purpose, check="verification")
    value = f"{setup.verification_prefix}{KEY_PLACEHOLDER}"
    note = _("ask support for the key, then: mailgw set sender_domain.verification_key=KEY")
    return Record(setup.domain, "TXT", value, purpose, note, True, "verification")


def _spf(setup: SenderSetup, current: str | Sequence[str] | None) -> list[Record]:
    mechanism = setup.spf_mechanism()
    label = setup.gateway_label
    label = label[0].lower() + label[1:] if label.startswith("The ") else label
    purpose = _("SPF: authorises {label} to send for the domain").format(label=label)
    if not mechanism:
        note = _("set smtp.host (your server) so that mailgw can say what SPF must authorise")
        return [Record(setup.domain, "TXT", "v=spf1 a mx ~all", purpose, note, True, "spf")]
    texts = [current] if isinstance(current, str) else list(current or ())
    merge, salvage = proposed_spf([t for t in texts if is_spf(t)], mechanism)
    note = merge.note
    if salvage is not None:
        note = _("keeps every sender of your current record(s)") + "; " + note
    if salvage is not None and salvage.unreadable:
        note += "; " + _("left out, unreadable: {terms}").format(terms=" ".join(salvage.unreadable))
    return [Record(setup.domain, "TXT", merge.value, purpose, note, check="spf")]


def _dkim(setup: SenderSetup) -> list[Record]:
    records = []
    for dkim in setup.dkim:
        name = f"{dkim.selector}._domainkey.{setup.domain}"
        check = dkim_check(dkim.selector)
        purpose = _("DKIM key for selector {selector}: lets receivers check signatures").format(
            selector=dkim.selector
        )
        if dkim.type == "cname" and dkim.target:
            records.append(
                Record(name, "CNAME", dkim.target_for(setup.domain), purpose, check=check)
            )
        elif dkim.type == "cname":
            note = _("the target is shown in your provider's domain settings")
            records.append(
                Record(name, "CNAME", "TARGET-FROM-PROVIDER", purpose, note, True, check)
            )
        else:
            note = _("publish the public key your mail server or provider gives you")
            value = "v=DKIM1; k=rsa; p=PUBLIC-KEY"
            records.append(Record(name, "TXT", value, purpose, note, True, check))
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
    problems: list[str] = []
    spf = _current(answers[(setup.domain, "TXT")], "SPF", notes)
    spf = [t for t in spf if is_spf(t)]
    problems += _spf_problems(setup.domain, spf)
    found_at = discover(setup.from_domain, {name: answers[(name, "TXT")] for name in dmarc_names})
    dmarc = list(found_at.texts)
    _current(found_at.answer, "DMARC", notes)
    problems += _dmarc_problems(found_at.owner, dmarc)
    if found_at.organizational and dmarc:
        notes.append(
            _(
                "{from_domain} has no DMARC record of its own: the policy of {owner} applies "
                "to it ({tag}=), so it is the one shown"
            ).format(from_domain=setup.from_domain, owner=found_at.owner, tag=found_at.policy_tag)
        )
    # an unanswered organisational lookup proves nothing: never propose a record over its policy
    owner = dmarc_names[0] if found_at.answer.failed else found_at.owner
    options = {"domain": domain, "dmarc_owner": owner}
    records = records_for(settings, spf, dmarc, **options)
    limit_problems, count = await _spf_limit(records, setup, lookups, notes)
    return Proposal(records, notes, problems + limit_problems, count)


def _current(answer: LookupResult, label: str, notes: list[str]) -> list[str]:
    if answer.failed:
        notes.append(
            _(
                "could not look up the current {label} record of {name} ({error}): "
                "showing a fresh one; merge it by hand if the domain already has one"
            ).format(label=label, name=answer.name, error=answer.error)
        )
    return list(answer.records)


def _spf_problems(name: str, texts: list[str]) -> list[str]:
    if len(texts) > 1:
        return [
            _(
                "{name} has {count} SPF records: receivers return permerror for all of them; "
                "publish the one below (it keeps the senders of every one) and delete the others"
            ).format(name=name, count=len(texts))
        ]
    if not texts:
        return []
    try:
        parse_record(texts[0])
    except ValueError as exc:
        return [
            _(
                "the current SPF record of {name} is invalid ({exc}): receivers return "
                "permerror; the record below keeps every term that can be read; check "
                "what it left out"
            ).format(name=name, exc=exc)
        ]
    return []


def _dmarc_problems(owner: str, texts: list[str]) -> list[str]:
    if len(texts) > 1:
        return [
            _(
                "{name} has {count} DMARC records: receivers apply none of them; publish the "
                "one below (the strongest policy, every report address) and delete the others"
            ).format(name=owner, count=len(texts))
        ]
    if not texts:
        return []
    try:
        parse_dmarc(texts[0])
    except DmarcError as exc:
        return [
            _(
                "the DMARC record at {name} is invalid ({exc}): publish the repaired one below"
            ).format(name=owner, exc=exc)
        ]
    return []


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
