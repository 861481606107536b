"""The words of the DKIM check pane: each signature's verdict and what to do when it fails."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailgw.i18n import N_, _

if TYPE_CHECKING:
    from mailgw.delivery.dkim import AuthResult, DkimReport, SignatureResult

MARKS = {"pass": "✓", "fail": "✗", "permerror": "✗", "temperror": "?"}
ADVICE = {
    "pass": N_("Nothing to do: this signature is good."),
    "fail": N_(
        "The message was changed in transit (a forwarder, a mailing list or an antivirus "
        "footer), or the key published is not the one the gateway signs with: compare the DKIM "
        "CNAMEs with the Sender domain tab, then send a new test mail."
    ),
    "permerror": N_(
        "The key is missing, revoked or malformed: publish the two DKIM CNAMEs shown in the "
        "Sender domain tab and check again."
    ),
    "temperror": N_(
        "DNS did not answer while fetching the key: nothing is wrong yet; verify again in a "
        "few minutes."
    ),
}
NO_SIGNATURE = N_(
    "No DKIM signature: the gateway did not sign this message. Usually the domain is not "
    "authorised yet: finish the steps of the Sender domain tab, then send a new test mail."
)
REPORTED_METHODS = ("dkim", "spf", "dmarc")


def report_text(report: DkimReport, sender_domain: str) -> str:
    """The whole verdict: signatures, alignment, the receiver's results, what to do."""
    lines = [_verdict(report)]
    if not report.signatures:
        lines += ["", _(NO_SIGNATURE)]
    for signature in report.signatures:
        lines += ["", *_signature_lines(signature, report.from_domain)]
    lines += ["", *_sender_lines(report.from_domain, sender_domain)]
    lines += ["", *_receiver_lines(report.authentication_results), *report.problems]
    return "\n".join(lines)


def _verdict(report: DkimReport) -> str:
    if report.ok:
        return "✓ " + _("dkim=pass: every signature verifies.")
    if not report.signatures:
        return "✗ " + _("No DKIM signature.")
    return "✗ " + _("Not dkim=pass: see what to do under each signature.")


def _signature_lines(signature: SignatureResult, from_domain: str) -> list[str]:
    mark = MARKS.get(signature.result, "?")
    head = _("{mark} Signature {n}: {result}").format(
        mark=mark, n=signature.index + 1, result=signature.result
    )
    key = _("key {bits} bits").format(bits=signature.key_bits) if signature.key_bits else ""
    testing = _("testing (t=y)") if signature.testing else ""
    tags = f"d={signature.domain} s={signature.selector} a={signature.algorithm}"
    lines = [head, "  " + " · ".join(part for part in (tags, key, testing) if part)]
    if signature.why:
        lines.append("  " + _("Why: {why}").format(why=signature.why))
    lines.append("  " + _alignment(signature, from_domain))
    lines.append("  " + _("What to do: {advice}").format(advice=_(ADVICE[signature.result])))
    return lines


def _alignment(signature: SignatureResult, from_domain: str) -> str:
    if signature.strictly_aligned:
        return _("Aligned with the From domain {domain} (strict).").format(domain=from_domain)
    if signature.aligned:
        return _("Aligned with the From domain {domain} (relaxed).").format(domain=from_domain)
    return _(
        "Not aligned: d={d} is not the From domain {domain}, so DMARC cannot pass on this "
        "signature (the gateway signs with its own domain until yours is authorised)."
    ).format(d=signature.domain, domain=from_domain or "?")


def _sender_lines(from_domain: str, sender_domain: str) -> list[str]:
    if not sender_domain or from_domain == sender_domain:
        return [_("From domain: {domain}").format(domain=from_domain or "?")]
    return [
        _("From domain: {domain}; the configured sender domain is {sender}.").format(
            domain=from_domain or "?", sender=sender_domain
        )
    ]


def _receiver_lines(results: list[AuthResult]) -> list[str]:
    shown = [r for r in results if r.method in REPORTED_METHODS]
    if not shown:
        return [_("The receiving server added no Authentication-Results for dkim, spf or dmarc.")]
    lines = [_("The receiving server's Authentication-Results:")]
    for result in shown:
        reason = f" ({result.reason})" if result.reason else ""
        lines.append(f"  {result.authserv_id}: {result.method}={result.result}{reason}")
    return lines
