"""The live sender-domain check: every independent lookup at once, plus the propagation view.

Two sides run concurrently: the configured resolver (records, then SPF includes) and the
domain's authoritative servers (NS, their addresses, then the same records asked directly).
A record the authoritative servers have but the resolver does not yet see is `pending`.
Cancel the task to stop a check (the TUI's Check button does).
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable
from dataclasses import dataclass, field

from mailgw.config.model import Settings
from mailgw.config.validate import is_ip_address
from mailgw.delivery import domain_checks as checks
from mailgw.delivery import domain_registry as registry
from mailgw.delivery.dmarc import (
    DmarcError,
    external_destinations,
    is_dmarc,
    load_suffix_list,
    parse_dmarc,
)
from mailgw.delivery.domain_checks import Issue, View
from mailgw.delivery.domain_registry import Question
from mailgw.delivery.findings import Finding, Status
from mailgw.delivery.resolver import (
    LookupResult,
    Lookups,
    ResolverConfig,
    make_resolver,
)
from mailgw.delivery.sender import SenderSetup, compares_organisations, sender_setup
from mailgw.delivery.spf import LOOKUP_LIMIT, VOID_LIMIT, evaluate_spf
from mailgw.delivery.spf_tally import tally_spf
from mailgw.i18n import _

MAX_AUTHORITATIVE = 4
SETTLED = registry.SETTLED


@dataclass(frozen=True)
class AuthoritativeView:
    """What one of the domain's own name servers answers."""

    server: str  # NS name
    address: str
    view: dict[tuple[str, str], LookupResult]


@dataclass
class DomainReport:
    """Every finding for one domain."""

    domain: str
    findings: list[Finding]
    authoritative: list[str] = field(default_factory=list)  # "ns1.example.com (192.0.2.1)"
    questions: int = 0  # DNS questions asked in all
    notes: list[str] = field(default_factory=list)  # e.g. propagation could not be checked

    @property
    def ok(self) -> bool:
        """Nothing to fix and nothing still propagating (warnings allowed)."""
        return all(f.status in SETTLED for f in self.findings)

    @property
    def problems(self) -> bool:
        return any(f.status.is_problem for f in self.findings)

    def as_dict(self) -> dict[str, object]:
        return {
            "domain": self.domain,
            "findings": [
                {
                    "check": f.check,
                    "label": registry.label_of(f.check),
                    "status": f.status.value,
                    "title": f.title,
                    "found": f.found,
                    "expected": f.expected,
                    "fix": f.fix,
                }
                for f in self.findings
            ],
            "authoritative": self.authoritative,
            "notes": self.notes,
        }


async def check_domain(
    settings: Settings, *, resolver_config: ResolverConfig, domain: str | None = None
) -> DomainReport:
    """Check the sender domain's records live (raises SenderDomainError / DnsConfigError)."""
    if compares_organisations(settings, domain):
        await load_suffix_list()
    setup = sender_setup(settings, domain)
    lookups = Lookups(make_resolver(resolver_config))
    auth_lookups: list[Lookups] = []
    answers = _Answers(lookups)
    answers.ask(_first_questions(setup, suffix_list=False))  # on their way before the list loads
    suffix_list = asyncio.ensure_future(load_suffix_list())  # only DMARC's names need it
    resolver_side = _resolver_side(setup, answers, lookups, suffix_list)
    if resolver_config.check_authoritative:
        auth_side = _authoritative_side(setup, lookups, resolver_config, auth_lookups, suffix_list)
    else:
        auth_side = _no_authoritative()
    try:
        (view, extra), (auth_views, unchecked) = await asyncio.gather(resolver_side, auth_side)
    finally:  # cancelled: no lookup goes on in the background
        answers.cancel()
        suffix_list.cancel()
    findings = registry.judge_all(setup, view, extra)
    findings = [_propagation(setup, f, view, auth_views, findings) for f in findings]
    asked = len(lookups.asked) + sum(len(a.asked) for a in auth_lookups)
    servers = [f"{a.server} ({a.address})" for a in auth_views]
    notes = _authoritative_notes(auth_views, unchecked)
    return DomainReport(setup.domain, findings, servers, asked, notes)


def _authoritative_notes(auth_views: list[AuthoritativeView], unchecked: str) -> list[str]:
    return ([unchecked] if unchecked else []) + [
        _("propagation not checked on {server} ({address}): it did not answer").format(
            server=a.server, address=a.address
        )
        for a in auth_views
        if all(answer.failed for answer in a.view.values())
    ]


async def _no_authoritative() -> tuple[list[AuthoritativeView], str]:
    return [], ""


# ------------------------------------------------------------------ the resolver side


class _Answers:
    """Each question asked once, as soon as it is known; awaiting some waits for those alone."""

    def __init__(self, lookups: Lookups) -> None:
        self._lookups = lookups
        self._pending: dict[Question, asyncio.Future[LookupResult]] = {}

    def ask(self, questions: list[Question]) -> None:
        for question in questions:
            if question not in self._pending:
                self._pending[question] = asyncio.ensure_future(self._lookups.lookup(*question))

    def cancel(self) -> None:
        for pending in self._pending.values():
            pending.cancel()

    async def view(self, questions: list[Question]) -> View:
        self.ask(questions)
        results = await asyncio.gather(*(self._pending[q] for q in questions))
        return dict(zip(questions, results, strict=True))


def _first_questions(setup: SenderSetup, *, suffix_list: bool = True) -> list[Question]:
    questions = registry.resolver_questions(setup, suffix_list=suffix_list)
    if setup.server_host and not is_ip_address(setup.server_host):
        questions += [(setup.server_host, "A"), (setup.server_host, "AAAA")]
    return questions


async def _resolver_side(
    setup: SenderSetup, answers: _Answers, lookups: Lookups, suffix_list: Awaitable[None]
) -> tuple[View, dict[str, list[Issue]]]:
    """The first round of answers, and per check the issues found by the lookups after it.

    Each follow-up starts the moment the answer it needs arrives (the SPF walk on the domain's
    TXT), so one slow unrelated answer delays nothing but its own check."""
    spf = asyncio.ensure_future(_spf_issues(setup, answers, lookups))
    await suffix_list
    questions = _first_questions(setup)
    dmarc = asyncio.ensure_future(_report_authorisation(setup, answers, lookups))
    view = await answers.view(questions)
    return view, {"spf": await spf, "dmarc": await dmarc}


async def _report_authorisation(
    setup: SenderSetup, answers: _Answers, lookups: Lookups
) -> list[Issue]:
    """RFC 7489 7.1: a report address outside the domain must say it accepts the reports."""
    view = await answers.view([(name, "TXT") for name in checks.dmarc_names(setup)])
    found_at = checks.dmarc_discovery(setup, view)
    try:
        record = parse_dmarc(found_at.texts[0]) if len(found_at.texts) == 1 else None
    except DmarcError:
        record = None
    if record is None:
        return []
    policy_domain = found_at.owner.removeprefix("_dmarc.")
    destinations = external_destinations(record, policy_domain)
    answers = await lookups.many([(name, "TXT") for _uri, name in destinations])
    issues = []
    for uri, name in destinations:
        answer = answers[(name, "TXT")]
        if answer.failed:
            issues.append(
                Issue(
                    Status.ERROR,
                    _("could not read {name} ({error})").format(name=name, error=answer.error),
                )
            )
        elif not any(is_dmarc(text) for text in answer.records):
            issues.append(
                Issue(
                    Status.WARNING,
                    _(
                        "{uri} is outside {domain}, and {name} does not authorise it: "
                        "receivers send it no reports (RFC 7489 7.1)"
                    ).format(uri=uri, domain=policy_domain, name=name),
                    _('Ask the owner of that address to publish {name} TXT "v=DMARC1".').format(
                        name=name
                    ),
                )
            )
    return issues


async def _spf_issues(setup: SenderSetup, answers: _Answers, lookups: Lookups) -> list[Issue]:
    state = checks.spf_state(setup, await answers.view([(setup.domain, "TXT")]))
    if state.record is None:
        return []
    tally, own = await asyncio.gather(
        tally_spf(state.record, setup.domain, lookups), _own_server_issues(setup, answers, lookups)
    )
    issues = list(own)
    if tally.lookups > LOOKUP_LIMIT:
        issues.append(
            Issue(
                Status.WRONG,
                _(
                    "{lookups} DNS-querying terms through all includes (limit {lookup_limit})"
                ).format(lookups=tally.lookups, lookup_limit=LOOKUP_LIMIT),
                _("Remove unused includes or replace some with ip4:/ip6: ranges."),
            )
        )
    if tally.void_lookups > VOID_LIMIT:
        issues.append(
            Issue(
                Status.WRONG,
                _("{void_lookups} void lookups (limit {void_limit})").format(
                    void_lookups=tally.void_lookups, void_limit=VOID_LIMIT
                ),
                _("Remove terms naming domains that do not exist."),
            )
        )
    issues += [Issue(Status.WRONG, p, _("Fix or remove that include.")) for p in tally.problems]
    issues += [
        Issue(Status.ERROR, _("could not read {name}").format(name=u)) for u in tally.unanswered
    ]
    if tally.uses_ptr and not any("ptr" in i.message for i in state.issues):
        issues.append(Issue(Status.WARNING, _("an included record uses ptr")))
    return issues


async def _own_server_issues(
    setup: SenderSetup, answers: _Answers, lookups: Lookups
) -> list[Issue]:
    """For an own server: its addresses must evaluate to pass."""
    if not setup.server_host:
        return []
    if is_ip_address(setup.server_host):
        addresses = [setup.server_host]
    else:
        view = await answers.view([(setup.server_host, t) for t in ("A", "AAAA")])
        found = list(view.values())
        if any(a.failed for a in found) and not any(a.found for a in found):
            return [
                Issue(
                    Status.ERROR,
                    _("could not resolve {server_host}").format(server_host=setup.server_host),
                )
            ]
        addresses = [r for a in found for r in a.records]
        if not addresses:
            return [
                Issue(
                    Status.WRONG,
                    _("{server_host} has no address").format(server_host=setup.server_host),
                )
            ]
    sender = f"postmaster@{setup.domain}"
    results = await asyncio.gather(
        *(evaluate_spf(ip, sender, resolver=lookups) for ip in addresses)
    )
    issues = []
    for ip, result in zip(addresses, results, strict=True):
        if result.result == "temperror":
            issues.append(
                Issue(
                    Status.ERROR,
                    _("SPF for {ip}: temperror ({explanation})").format(
                        ip=ip, explanation=result.explanation
                    ),
                )
            )
        elif result.result != "pass":
            fix = _("Add ip{version}:{ip} to the record.").format(
                version=ipaddress.ip_address(ip).version, ip=ip
            )
            issues.append(
                Issue(
                    Status.WRONG,
                    _("your server {ip} gets {result}").format(ip=ip, result=result.result),
                    fix,
                )
            )
    return issues


# ------------------------------------------------------------------ the authoritative side


async def _authoritative_side(
    setup: SenderSetup,
    lookups: Lookups,
    config: ResolverConfig,
    used: list[Lookups],
    suffix_list: Awaitable[None],
) -> tuple[list[AuthoritativeView], str]:
    """The views of the domain's own servers, or none and a note saying why."""
    servers, unchecked = await _name_servers(setup.domain, lookups)
    await suffix_list  # for DMARC's names
    questions = list(
        dict.fromkeys(q for qs in registry.primary_questions(setup).values() for q in qs)
    )

    async def ask(server: str, address: str) -> AuthoritativeView:
        direct = Lookups(make_resolver(config, servers=[(address, config.authoritative_port)]))
        used.append(direct)
        return AuthoritativeView(server, address, await direct.many(questions))

    views = list(await asyncio.gather(*(ask(name, ip) for name, ip in servers)))
    if not views and not unchecked:
        unchecked = _("propagation not checked: the domain's name servers could not be found")
    return views, unchecked


async def _name_servers(domain: str, lookups: Lookups) -> tuple[list[tuple[str, str]], str]:
    """(NS name, IPv4 address) of the zone holding `domain`, and a note when there are none.

    The closest name with NS records is the zone; a parent is asked only when the names below
    it have none (NXDOMAIN / no data). A failed lookup stops the walk: the zone might be the
    one that failed, and a parent's servers would then call correct records `pending`.
    """
    labels = domain.split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    answers = await lookups.many([(name, "NS") for name in candidates])
    names: list[str] = []
    for candidate in candidates:
        answer = answers[(candidate, "NS")]
        if answer.failed:
            return [], (
                _(
                    "propagation not checked: the name servers of {candidate} could not "
                    "be looked up ({error})"
                ).format(candidate=candidate, error=answer.error)
            )
        if answer.found:
            names = [r.rstrip(".") for r in answer.records]
            break
    names = sorted(names)[:MAX_AUTHORITATIVE]
    addresses = await lookups.many([(name, "A") for name in names])
    return [(name, ip) for name in names for ip in addresses[(name, "A")].records[:1]], ""


def _propagation(
    setup: SenderSetup,
    found: Finding,
    view: View,
    auth_views: list[AuthoritativeView],
    findings: list[Finding],
) -> Finding:
    """Turn a finding into `pending` when the authoritative servers tell another story."""
    questions = registry.primary_questions(setup).get(found.check, [])
    if not questions or found.status not in (*SETTLED, Status.MISSING, Status.WRONG):
        return found
    reruns: list[tuple[AuthoritativeView, Finding]] = []
    for auth in auth_views:
        answers = [auth.view.get(q) for q in questions]
        if any(a is None or a.failed for a in answers):
            continue
        if all(_same(a, view[q]) for a, q in zip(answers, questions, strict=True)):
            continue
        merged = {**view, **{q: auth.view[q] for q in questions}}
        rerun = registry.rejudge(setup, found.check, merged, findings)
        if rerun is not None:
            reruns.append((auth, rerun))
    ttl = max((view[q].ttl for q in questions if q in view), default=0)
    if found.status in SETTLED:
        lagging = [a for a, rerun in reruns if rerun.status not in SETTLED]
        if not lagging:
            return found
        names = ", ".join(f"{a.server} ({a.address})" for a in lagging)
        return Finding(
            found.check,
            Status.PENDING,
            _("your resolver sees it, but {names} does not serve it yet").format(names=names),
            found.found,
            found.expected,
            _("Wait for the zone to reach every name server; if it stays, check zone transfers."),
        )
    ahead = [(a, rerun) for a, rerun in reruns if rerun.status in SETTLED]
    if not ahead:
        return found
    auth, rerun = ahead[0]
    return Finding(
        found.check,
        Status.PENDING,
        _("published on {server}; not yet visible to your resolver ({ttl} s of cache left)").format(
            server=auth.server, ttl=ttl
        ),
        _("resolver: {found}; {server} ({address}): {found2}").format(
            found=found.found, server=auth.server, address=auth.address, found2=rerun.found
        ),
        found.expected,
        _(
            "Nothing to change: caches expire within {ttl} s; re-check then "
            "(mailgw dns --watch 60)."
        ).format(ttl=ttl),
    )


def _same(a: LookupResult, b: LookupResult | None) -> bool:
    return b is not None and a.outcome == b.outcome and sorted(a.records) == sorted(b.records)
