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


def check_dkim(setup: SenderSetup, dkim: DkimRecord, view: View) -> Finding:
    check = f"dkim:{dkim.selector}"
    name = dkim_name(setup, dkim)
    target = dkim.target_for(setup.domain) if dkim.target else ""
    if dkim.type == "cname":
        cname = answer_for(view, name, "CNAME")
        expected = f"{name} CNAME {target or 'the target your provider gives'}"
        if cname.failed:
            return unanswered(check, cname, expected)
        issues = _cname_issues(setup, dkim, cname, view, target)
        if any(i.status in (Status.MISSING, Status.WRONG) for i in issues):
            return finding(check, issues, "", cname.describe(), expected)
    else:
        expected = f"{name} TXT v=DKIM1; k=rsa; p=..."
        issues = []
    key = answer_for(view, dkim_key_name(setup, dkim), "TXT")
    issues += _key_issues(key, name)
    found = f"{name} -> {key.describe()}"
    return finding(check, issues, f"DKIM key for {dkim.selector} is published", found, expected)


def _cname_issues(
    setup: SenderSetup, dkim: DkimRecord, cname: LookupResult, view: View, target: str
) -> list[Issue]:
    name = dkim_name(setup, dkim)
    add = f"Add a CNAME record: {name} -> {target or 'the target your provider gives'}."
    if cname.void:
        direct = answer_for(view, name, "TXT")
        if direct.found and direct.canonical.lower() in ("", name.lower()):
            return [
                Issue(
                    Status.WARNING,
                    "the key is published as TXT instead of a CNAME: "
                    "key rotation by the gateway will break it",
                    add,
                )
            ]
        return [Issue(Status.MISSING, f"no DKIM CNAME at {name}", add)]
    pointed = cname.records[0].rstrip(".").lower()
    if target and pointed != target.rstrip(".").lower():
        return [Issue(Status.WRONG, f"the CNAME points to {pointed}, not {target}", add)]
    return []


def _key_issues(key: LookupResult, name: str) -> list[Issue]:
    if key.failed:
        return [
            Issue(
                Status.ERROR,
                f"could not read the key ({key.error})",
                "Check the name servers answer, then re-check.",
            )
        ]
    text = key_record(key.records)
    if text is None:
        return [
            Issue(
                Status.MISSING,
                f"no DKIM key record at {key.name}",
                f"Publish the key TXT at {name}.",
            )
        ]
    try:
        parsed = parse_key(text)
    except DkimKeyError as exc:
        return [
            Issue(
                Status.WRONG,
                f"the key record is unusable: {exc}",
                "Publish the current public key (ask the gateway or provider).",
            )
        ]
    issues = []
    if parsed.key_type == "rsa" and parsed.bits < MIN_RSA_BITS:
        issues.append(
            Issue(
                Status.WRONG,
                f"RSA key of {parsed.bits} bits (receivers refuse < {MIN_RSA_BITS})",
                "Publish a 2048-bit key.",
            )
        )
    elif parsed.key_type == "rsa" and parsed.bits < GOOD_RSA_BITS:
        issues.append(
            Issue(
                Status.WARNING,
                f"RSA key of {parsed.bits} bits (2048 recommended)",
                "Rotate to a 2048-bit key.",
            )
        )
    if parsed.testing:
        issues.append(
            Issue(
                Status.WARNING,
                "t=y: receivers treat the domain as testing DKIM",
                "Remove t=y once signatures verify.",
            )
        )
    return issues
