"""The DKIM check per selector: the CNAME delegation, then the key record at its end."""

from __future__ import annotations

from mailgw.config.presets import DkimRecord
from mailgw.delivery.dkim_keys import (
    GOOD_RSA_BITS,
    MIN_RSA_BITS,
    DkimKeyError,
    key_record,
    parse_key,
)
from mailgw.delivery.domain_checks import (
    Issue,
    View,
    answer_for,
    dkim_key_name,
    dkim_name,
    finding,
    unanswered,
)
from mailgw.delivery.findings import Finding, Status
from mailgw.delivery.resolver import LookupResult
from mailgw.delivery.sender import SenderSetup
from mailgw.i18n import _


def check_dkim(setup: SenderSetup, dkim: DkimRecord, view: View) -> Finding:
    check = f"dkim:{dkim.selector}"
    name = dkim_name(setup, dkim)
    target = dkim.target_for(setup.domain) if dkim.target else ""
    key_name = dkim_key_name(setup, dkim)
    if dkim.type == "cname":
        cname = answer_for(view, name, "CNAME")
        expected = f"{name} CNAME {target or _('the target your provider gives')}"
        if cname.failed:
            return unanswered(check, cname, expected)
        issues = _cname_issues(setup, dkim, cname, view, target)
        if any(i.status in (Status.MISSING, Status.WRONG) for i in issues):
            return finding(check, issues, "", cname.describe(), expected)
        if cname.void:  # a TXT at the selector itself: that is what receivers read, judge it
            key_name = name
    else:
        expected = f"{name} TXT v=DKIM1; k=rsa; p=..."
        issues = []
    key = answer_for(view, key_name, "TXT")
    issues += _key_issues(key, name)
    found = f"{name} -> {key.describe()}"
    return finding(
        check,
        issues,
        _("DKIM key for {selector} is published").format(selector=dkim.selector),
        found,
        expected,
    )


def _cname_issues(
    setup: SenderSetup, dkim: DkimRecord, cname: LookupResult, view: View, target: str
) -> list[Issue]:
    name = dkim_name(setup, dkim)
    add = _("Add a CNAME record: {name} -> {target}.").format(
        name=name, target=target or _("the target your provider gives")
    )
    if cname.void:
        direct = answer_for(view, name, "TXT")
        if direct.found and direct.canonical.lower() in ("", name.lower()):
            return [
                Issue(
                    Status.WARNING,
                    _(
                        "the key is published as TXT instead of a CNAME: key rotation by the "
                        "gateway will break it"
                    ),
                    add,
                )
            ]
        return [Issue(Status.MISSING, _("no DKIM CNAME at {name}").format(name=name), add)]
    pointed = cname.records[0].rstrip(".").lower()
    if target and pointed != target.rstrip(".").lower():
        return [
            Issue(
                Status.WRONG,
                _("the CNAME points to {pointed}, not {target}").format(
                    pointed=pointed, target=target
                ),
                add,
            )
        ]
    return []


def _key_issues(key: LookupResult, name: str) -> list[Issue]:
    if key.failed:
        return [
            Issue(
                Status.ERROR,
                _("could not read the key ({error})").format(error=key.error),
                _("Check the name servers answer, then re-check."),
            )
        ]
    text = key_record(key.records)
    if text is None:
        return [
            Issue(
                Status.MISSING,
                _("no DKIM key record at {name}").format(name=key.name),
                _("Publish the key TXT at {name}.").format(name=name),
            )
        ]
    try:
        parsed = parse_key(text)
    except DkimKeyError as exc:
        return [
            Issue(
                Status.WRONG,
                _("the key record is unusable: {exc}").format(exc=exc),
                _("Publish the current public key (ask the gateway or provider)."),
            )
        ]
    issues = []
    refused = parsed.email_problem()  # the same rule dkim-verify applies to each signature
    if refused:
        issues.append(
            Issue(
                Status.WRONG,
                _("receivers refuse every signature with this key: {why}").format(why=refused),
                _("Publish the key with s=email (or no s=) and no h=, or h=sha256."),
            )
        )
    if parsed.key_type == "rsa" and parsed.bits < MIN_RSA_BITS:
        issues.append(
            Issue(
                Status.WRONG,
                _("RSA key of {bits} bits (receivers refuse < {min_rsa_bits})").format(
                    bits=parsed.bits, min_rsa_bits=MIN_RSA_BITS
                ),
                _("Publish a 2048-bit key."),
            )
        )
    elif parsed.key_type == "rsa" and parsed.bits < GOOD_RSA_BITS:
        issues.append(
            Issue(
                Status.WARNING,
                _("RSA key of {bits} bits (2048 recommended)").format(bits=parsed.bits),
                _("Rotate to a 2048-bit key."),
            )
        )
    if parsed.testing:
        issues.append(
            Issue(
                Status.WARNING,
                _("t=y: receivers treat the domain as testing DKIM"),
                _("Remove t=y once signatures verify."),
            )
        )
    return issues
