"""Every sender-domain check, one entry each: its name, the record it judges, what to ask DNS,
how to judge the answers, its label and its place in the checklist.

`mailgw dns`, the propagation re-check, the records proposal and the TUI checklist all read
this table, so adding a check (MTA-STS, TLS-RPT, BIMI later) is one entry plus its judge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mailgw.config.presets import DkimRecord
from mailgw.delivery import domain_checks as checks
from mailgw.delivery.dkim_checks import check_dkim
from mailgw.delivery.dmarc import own_record_name
from mailgw.delivery.domain_checks import Issue, View
from mailgw.delivery.findings import Finding, Status
from mailgw.delivery.sender import SenderSetup
from mailgw.i18n import N_, _

SETTLED = (Status.OK, Status.WARNING)
# where a check sits in the platform's checklist
AUTHENTICATE, AUTHORISE, INFORM = "authenticate", "authorise", "inform"

Question = tuple[str, str]


@dataclass(frozen=True)
class Judging:
    """What a judge may read: the answers, the findings of the checks before it, and the issues
    found by the lookups that follow the first round (SPF includes, report authorisations)."""

    setup: SenderSetup
    view: View
    earlier: Sequence[Finding] = ()
    extra: Sequence[Issue] = ()


@dataclass(frozen=True)
class CheckSpec:
    kind: str  # the check's name, or its prefix for one check per selector ("dkim:mte1")
    label: str  # N_(): what it is called on screen
    record_type: str  # of the record it judges
    step: str  # AUTHENTICATE, AUTHORISE or INFORM
    names: Callable[[SenderSetup], list[str]]  # its checks for this setup
    questions: Callable[[SenderSetup, str], list[Question]]  # asked of every server
    judge: Callable[[Judging, str], Finding]
    # those of `questions` that can be asked before the public suffix list is loaded (None: all)
    first_questions: Callable[[SenderSetup, str], list[Question]] | None = None


def _dkim_record(setup: SenderSetup, name: str) -> DkimRecord | None:
    selector = name.partition(":")[2]
    return next((d for d in setup.dkim if d.selector == selector), None)


def _dkim_questions(setup: SenderSetup, name: str) -> list[Question]:
    dkim = _dkim_record(setup, name)
    if dkim is None:
        return []
    return [(checks.dkim_name(setup, dkim), "CNAME" if dkim.type == "cname" else "TXT")]


def _judge_dkim(judging: Judging, name: str) -> Finding:
    dkim = _dkim_record(judging.setup, name)
    assert dkim is not None  # names() gives only configured selectors
    return check_dkim(judging.setup, dkim, judging.view)


def _judge_dmarc(judging: Judging, name: str) -> Finding:
    dkim = [f for f in judging.earlier if f.check.startswith("dkim:")]
    dkim_ok = bool(dkim) and all(f.status in SETTLED for f in dkim)
    spf_ok = all(f.status in SETTLED for f in judging.earlier if f.check == "spf")
    return checks.check_dmarc(judging.setup, judging.view, dkim_ok, spf_ok, list(judging.extra))


def dkim_check(selector: str) -> str:
    return f"dkim:{selector}"


REGISTRY: tuple[CheckSpec, ...] = (
    CheckSpec(
        "verification",
        N_("domain verification"),
        "TXT",
        AUTHENTICATE,
        lambda setup: ["verification"] if setup.platform else [],
        lambda setup, name: [(setup.domain, "TXT")],
        lambda judging, name: checks.check_verification(judging.setup, judging.view),
    ),
    CheckSpec(
        "spf",
        N_("SPF"),
        "TXT",
        AUTHORISE,
        lambda setup: ["spf"],
        lambda setup, name: [(setup.domain, "TXT")],
        lambda judging, name: checks.spf_finding(
            checks.spf_state(judging.setup, judging.view), list(judging.extra)
        ),
    ),
    CheckSpec(
        "dkim",
        N_("DKIM key"),
        "CNAME",
        AUTHORISE,
        lambda setup: [dkim_check(d.selector) for d in setup.dkim],
        _dkim_questions,
        _judge_dkim,
    ),
    CheckSpec(
        "dmarc",
        N_("DMARC"),
        "TXT",
        AUTHORISE,
        lambda setup: ["dmarc"],
        lambda setup, name: [(n, "TXT") for n in checks.dmarc_names(setup)],
        _judge_dmarc,
        lambda setup, name: [(own_record_name(setup.from_domain), "TXT")],
    ),
    CheckSpec(
        "mx",
        N_("MX"),
        "MX",
        INFORM,
        lambda setup: ["mx"],
        lambda setup, name: [(setup.domain, "MX")],
        lambda judging, name: checks.check_mx(judging.setup, judging.view),
    ),
)


def spec_of(check: str) -> CheckSpec | None:
    """The entry of a check name ("dkim:mte1" -> the dkim entry); None for an unknown one."""
    kind = check.partition(":")[0]
    return next((spec for spec in REGISTRY if spec.kind == kind), None)


def checks_for(setup: SenderSetup) -> list[tuple[str, CheckSpec]]:
    """(name, entry) of every check for this setup, in the order they are judged and shown."""
    return [(name, spec) for spec in REGISTRY for name in spec.names(setup)]


def primary_questions(setup: SenderSetup) -> dict[str, list[Question]]:
    """Per check, the records of the domain itself (asked of its authoritative servers too)."""
    return {name: spec.questions(setup, name) for name, spec in checks_for(setup)}


def resolver_questions(setup: SenderSetup, *, suffix_list: bool = True) -> list[Question]:
    """Every independent question of the first round, deduplicated, in a stable order: the
    checks' own, plus each DKIM key at the end of its CNAME (and a TXT where a CNAME belongs).
    With suffix_list=False, only those that can be asked before the public suffix list loads."""
    asked = [
        q for name, spec in checks_for(setup) for q in _questions(spec, setup, name, suffix_list)
    ]
    asked += [(checks.dkim_key_name(setup, dkim), "TXT") for dkim in setup.dkim]
    asked += [(checks.dkim_name(setup, d), "TXT") for d in setup.dkim if d.type == "cname"]
    return list(dict.fromkeys(asked))


def _questions(spec: CheckSpec, setup: SenderSetup, name: str, suffix_list: bool) -> list[Question]:
    early = spec.first_questions
    return (early if early is not None and not suffix_list else spec.questions)(setup, name)


def judge_all(
    setup: SenderSetup, view: View, extra: dict[str, list[Issue]] | None = None
) -> list[Finding]:
    """Every finding, each judge seeing the findings before it."""
    findings: list[Finding] = []
    for name, spec in checks_for(setup):
        issues = (extra or {}).get(name, [])
        findings.append(spec.judge(Judging(setup, view, tuple(findings), issues), name))
    return findings


def rejudge(
    setup: SenderSetup, check: str, view: View, findings: Sequence[Finding]
) -> Finding | None:
    """The check judged again on another view (the authoritative servers'); None when this
    setup has no such check, so the caller keeps the finding it has."""
    spec = spec_of(check)
    if spec is None or check not in spec.names(setup):
        return None
    return spec.judge(Judging(setup, view, tuple(findings)), check)


def label_of(check: str) -> str:
    """The check's name on screen ("DKIM key mte1"), translated."""
    spec = spec_of(check)
    if spec is None:
        return check
    selector = check.partition(":")[2]
    return f"{_(spec.label)} {selector}".rstrip()


def step_of(check: str) -> str:
    spec = spec_of(check)
    return spec.step if spec is not None else INFORM
