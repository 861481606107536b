"""The sender-domain checks as pure functions of DNS answers (a "view"), one Finding each.

Pure so that the same check can be re-run on what the authoritative servers say, which is how
a record that is published but not yet visible is told apart from one that is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mailgw.config.presets import DkimRecord
from mailgw.delivery.dmarc import (
    Discovery,
    DmarcError,
    DmarcRecord,
    aligned,
    discover,
    merge_records,
    opening_problem,
    parse_dmarc,
    record_names,
    repaired,
)
from mailgw.delivery.findings import Finding, Status
from mailgw.delivery.resolver import LookupResult, Outcome
from mailgw.delivery.sender import SenderSetup
from mailgw.delivery.spf_merge import proposed_spf
from mailgw.delivery.spf_terms import SpfRecord, SpfSyntaxError, Term, is_spf, parse_record
from mailgw.i18n import _

View = Mapping[tuple[str, str], LookupResult]
SEVERITY = (Status.OK, Status.WARNING, Status.PENDING, Status.ERROR, Status.MISSING, Status.WRONG)


@dataclass(frozen=True)
class Issue:
    status: Status
    message: str
    fix: str = ""


def worst(issues: list[Issue]) -> Status:
    return max((i.status for i in issues), key=SEVERITY.index, default=Status.OK)


def finding(check: str, issues: list[Issue], ok_title: str, found: str, expected: str) -> Finding:
    """One finding for a check: the worst issue decides the status, title and fix."""
    status = worst(issues)
    if status is Status.OK:
        return Finding(check, status, ok_title, found, expected)
    top = [i for i in issues if i.status is status]
    others = [i.message for i in issues if i.status is not status and i.status is not Status.OK]
    title = "; ".join([i.message for i in top] + others)
    fix = next((i.fix for i in top if i.fix), "")
    return Finding(check, status, title, found, expected, fix)


def answer_for(view: View, name: str, rdtype: str) -> LookupResult:
    return view.get((name, rdtype)) or LookupResult(name, rdtype, Outcome.ERROR, error="not asked")


def dkim_name(setup: SenderSetup, dkim: DkimRecord) -> str:
    return f"{dkim.selector}._domainkey.{setup.domain}"


def dkim_key_name(setup: SenderSetup, dkim: DkimRecord) -> str:
    """Where the key TXT is read: the known CNAME target, else the selector name itself."""
    if dkim.type == "cname" and dkim.target:
        return dkim.target_for(setup.domain)
    return dkim_name(setup, dkim)


def dmarc_names(setup: SenderSetup) -> list[str]:
    return record_names(setup.from_domain)


# ------------------------------------------------------------------ verification


def check_verification(setup: SenderSetup, view: View) -> Finding:
    answer = answer_for(view, setup.domain, "TXT")
    expected = setup.verification or _("{verification_prefix}KEY (from support)").format(
        verification_prefix=setup.verification_prefix
    )
    if answer.failed:
        return unanswered("verification", answer, expected)
    present = [t for t in answer.records if t.startswith(setup.verification_prefix)]
    found = "; ".join(present) or answer.describe()
    fix = _('Add a TXT record at {domain}: "{expected}".').format(
        domain=setup.domain, expected=expected
    )
    if setup.verification is None:
        issue = Issue(
            Status.WARNING if present else Status.MISSING,
            _("the verification key is not configured, so it cannot be compared"),
            _(
                "Set it: mailgw set sender_domain.verification_key=KEY (the key "
                "comes from support)."
            ),
        )
        return finding("verification", [issue], "", found, expected)
    if setup.verification in present:
        return finding("verification", [], _("verification record present"), found, expected)
    if present:
        issue = Issue(Status.WRONG, _("the verification record holds another key"), fix)
    else:
        issue = Issue(Status.MISSING, _("no verification record"), fix)
    return finding("verification", [issue], "", found, expected)


def unanswered(check: str, answer: LookupResult, expected: str) -> Finding:
    return Finding(
        check,
        Status.ERROR,
        _("could not read {name} {rdtype}: {error}").format(
            name=answer.name, rdtype=answer.rdtype, error=answer.error
        ),
        answer.describe(),
        expected,
        _("Check the name servers answer (or ask others: set dns.nameservers), then re-check."),
    )


# ------------------------------------------------------------------ SPF


@dataclass(frozen=True)
class SpfState:
    """The SPF record as one view shows it, with the issues visible without further lookups."""

    issues: list[Issue]
    record: SpfRecord | None
    found: str
    expected: str
    unanswered: LookupResult | None = None


def spf_state(setup: SenderSetup, view: View) -> SpfState:
    answer = answer_for(view, setup.domain, "TXT")
    mechanism = setup.spf_mechanism()
    if answer.failed:
        return SpfState([], None, answer.describe(), f"v=spf1 {mechanism} ~all", answer)
    texts = [t for t in answer.records if is_spf(t)]
    found = " | ".join(sorted(texts)) or answer.describe()
    merge, salvage = proposed_spf(texts, mechanism)
    expected = merge.value
    if not texts:
        fix = _('Add a TXT record at {domain}: "{expected}".').format(
            domain=setup.domain, expected=expected
        )
        return SpfState([Issue(Status.MISSING, _("no SPF record"), fix)], None, found, expected)
    left_out = ""
    if salvage is not None and salvage.unreadable:
        left_out = " " + _("Left out, unreadable (check them): {terms}.").format(
            terms=" ".join(salvage.unreadable)
        )
    if len(texts) > 1:
        fix = _(
            'Replace them with one TXT record that keeps the senders of all: "{expected}".'
        ).format(expected=expected)
        issue = Issue(
            Status.WRONG,
            _("{count} SPF records (receivers: permerror)").format(count=len(texts)),
            fix + left_out,
        )
        return SpfState([issue], None, found, expected)
    try:
        record = parse_record(texts[0])
    except SpfSyntaxError as exc:
        issue = Issue(
            Status.WRONG,
            _("invalid SPF syntax: {exc}").format(exc=exc),
            _('Replace it with this record, which keeps its readable terms: "{expected}".').format(
                expected=expected
            )
            + left_out,
        )
        return SpfState([issue], None, found, expected)
    return SpfState(_spf_record_issues(setup, record, expected), record, found, expected)


def _spf_record_issues(setup: SenderSetup, record: SpfRecord, expected: str) -> list[Issue]:
    issues = []
    if setup.spf_include and not _has_include(record, setup.spf_include):
        fix = _('Replace the record with: "{expected}".').format(expected=expected)
        issues.append(Issue(Status.WRONG, _include_problem(record, setup.spf_include), fix))
    all_term = record.all_term
    if all_term is None and record.redirect is None:
        issues.append(
            Issue(
                Status.WARNING,
                _("no `all` at the end (unmatched mail is neutral)"),
                _("End the record with ~all or -all."),
            )
        )
    elif all_term is not None and all_term.qualifier == "+":
        issues.append(
            Issue(
                Status.WRONG,
                _("+all lets anyone send as this domain"),
                _("Replace +all with ~all or -all."),
            )
        )
    opened = [t for t in record.effective if t.passes_everyone and t.name != "all"]
    if opened:
        issues.append(
            Issue(
                Status.WRONG,
                _("{text} passes every address: like +all, anyone may send as this domain").format(
                    text=opened[0].text
                ),
                _("Remove {text}; list your senders' own ranges.").format(text=opened[0].text),
            )
        )
    if all_term is not None and all_term.qualifier == "?":
        issues.append(
            Issue(
                Status.WARNING,
                _("?all is neutral: it protects nothing"),
                _("End the record with ~all or -all."),
            )
        )
    if any(term.name == "ptr" for term in record.directives):
        issues.append(
            Issue(
                Status.WARNING,
                _("uses ptr (slow, discouraged by RFC 7208)"),
                _("Replace ptr with ip4:/ip6: or a: terms."),
            )
        )
    return issues


def _has_include(record: SpfRecord, include: str) -> bool:
    """A pass-qualified include:`include` that evaluation reaches (not after `all`)."""
    return any(t.qualifier == "+" for t in _includes(record.effective, include))


def _includes(terms: tuple[Term, ...], include: str) -> list[Term]:
    wanted = include.lower().rstrip(".")
    return [t for t in terms if t.name == "include" and t.value.lower().rstrip(".") == wanted]


def _include_problem(record: SpfRecord, include: str) -> str:
    copies = _includes(record.directives, include)
    if not copies:
        return _("does not include {include}").format(include=include)
    if not _includes(record.effective, include):
        return _("{text} comes after `all`, so receivers never evaluate it").format(
            text=copies[0].text
        )
    return _("{text} does not authorise the gateway (its qualifier is not +)").format(
        text=copies[0].text
    )


def spf_finding(state: SpfState, extra: list[Issue] | None = None) -> Finding:
    if state.unanswered is not None:
        return unanswered("spf", state.unanswered, state.expected)
    return finding(
        "spf", state.issues + (extra or []), _("SPF record is correct"), state.found, state.expected
    )


# ------------------------------------------------------------------ DMARC and MX


def dmarc_discovery(setup: SenderSetup, view: View) -> Discovery:
    """The DMARC record that applies to the From domain, from the view's answers."""
    names = dmarc_names(setup)
    return discover(setup.from_domain, {name: answer_for(view, name, "TXT") for name in names})


def check_dmarc(
    setup: SenderSetup,
    view: View,
    dkim_ok: bool,
    spf_ok: bool,
    extra: list[Issue] | None = None,
) -> Finding:
    expected = setup.dmarc_default
    found_at = dmarc_discovery(setup, view)
    if found_at.answer.failed:
        return unanswered("dmarc", found_at.answer, expected)
    texts = found_at.texts
    found = " | ".join(sorted(texts)) or found_at.answer.describe()
    if found_at.organizational:
        found = f"{found_at.owner}: {found}"
    if not texts:
        own = answer_for(view, dmarc_names(setup)[0], "TXT").records
        almost = [t for t in own if opening_problem(t) != opening_problem("")]
        if almost:  # it opens as v=DMARC1 but misses the ";": say that, not "add one"
            fix = _('Replace it with: "{expected}".').format(expected=expected)
            issue = Issue(Status.WRONG, opening_problem(almost[0]), fix)
            return finding("dmarc", [issue], "", " | ".join(sorted(almost)), expected)
        fix_add = _('Add a TXT record at _dmarc.{from_domain}: "{expected}".').format(
            from_domain=setup.from_domain, expected=expected
        )
        return finding(
            "dmarc", [Issue(Status.MISSING, _("no DMARC record"), fix_add)], "", found, expected
        )
    if len(texts) > 1:
        merged = merge_records(texts, expected)
        issue = Issue(
            Status.WRONG,
            _("{count} DMARC records at {owner}: receivers apply none of them").format(
                count=len(texts), owner=found_at.owner
            ),
            _('Replace them with one TXT record at {owner}: "{merged}".').format(
                owner=found_at.owner, merged=merged
            ),
        )
        return finding("dmarc", [issue], "", found, merged)
    try:
        record = parse_dmarc(texts[0])
    except DmarcError as exc:
        fixed = repaired(texts[0], expected)
        issue = Issue(
            Status.WRONG,
            _("invalid DMARC record: {exc}").format(exc=exc),
            _('Replace it: "{expected}".').format(expected=fixed),
        )
        return finding("dmarc", [issue], "", found, fixed)
    policy = found_at.policy_of(record)
    issues = [Issue(Status.WARNING, p.message, p.fix) for p in record.problems]
    issues += extra or []
    issues += _alignment_issues(setup, record, policy, dkim_ok, spf_ok)
    if found_at.organizational:
        title = _(
            "DMARC policy {policy} ({tag}= of {owner} applies to {from_domain}); "
            "From alignment can pass"
        ).format(
            policy=policy,
            tag=found_at.policy_tag,
            owner=found_at.owner,
            from_domain=setup.from_domain,
        )
    else:
        title = _("DMARC policy {policy}; From alignment can pass").format(policy=policy)
    keep = repaired(texts[0], expected) if record.problems else texts[0]
    return finding("dmarc", issues, title, found, keep)


def _alignment_issues(
    setup: SenderSetup, record: DmarcRecord, policy: str, dkim_ok: bool, spf_ok: bool
) -> list[Issue]:
    # Signatures are made with d=<sender domain>; the platform's envelope sender is the
    # gateway's own bounce domain, so there only DKIM can align.
    dkim_aligns = bool(setup.dkim) and aligned(setup.domain, setup.from_domain, record.adkim)
    spf_aligns = not setup.platform and aligned(setup.domain, setup.from_domain, record.aspf)
    if (dkim_aligns and dkim_ok) or (spf_aligns and spf_ok):
        return []
    status = Status.WARNING if policy == "none" else Status.WRONG
    why = "DKIM" if setup.platform else _("DKIM or SPF")
    message = _("DMARC passes only if {why} for {domain} passes, and the checks above fail").format(
        why=why, domain=setup.domain
    )
    if policy != "none":
        message += _("; with p={policy} receivers will {policy} this mail").format(policy=policy)
    if not dkim_aligns and setup.dkim:
        message = _("adkim=s: DKIM d={domain} cannot align with From {from_domain}").format(
            domain=setup.domain, from_domain=setup.from_domain
        )
    return [Issue(status, message, _("Fix the DKIM records above, or relax adkim=s."))]


def check_mx(setup: SenderSetup, view: View) -> Finding:
    answer = answer_for(view, setup.domain, "MX")
    if answer.failed:
        return unanswered("mx", answer, _("an MX record"))
    if answer.found:
        return Finding("mx", Status.OK, _("MX present"), answer.describe(), _("an MX record"))
    return Finding(
        "mx",
        Status.WARNING,
        _("no MX record: replies and bounces to this domain cannot be delivered"),
        answer.describe(),
        _("an MX record"),
        _("Add an MX record if people may reply to the sender address."),
    )
