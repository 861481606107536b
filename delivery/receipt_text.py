"""The receipt of a test send in words: what `test-send --receive` prints and the console's
send-and-verify shows under its timeline (one text, so both fronts say the same)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailgw.i18n import _

if TYPE_CHECKING:
    from mailgw.delivery.dkim import SignatureResult
    from mailgw.delivery.mailbox import MailboxFailed
    from mailgw.delivery.receipt import Receipt


def receipt_lines(receipt: Receipt) -> list[str]:
    """Where the copy landed, the receiver's verdicts, our DKIM check, the hops, the verdict."""
    lines = []
    if receipt.found:
        lines.append(
            _("found in {folder} after {seconds:.1f} s").format(
                folder=receipt.folder, seconds=receipt.seconds or 0
            )
        )
    for result in receipt.authentication_results:
        reason = f" ({result.reason})" if result.reason else ""
        lines.append(f"  {result.authserv_id}: {result.method}={result.result}{reason}")
    if receipt.ignored_results:
        lines.append(
            _("  ({count} Authentication-Results that arrived with the message ignored)").format(
                count=receipt.ignored_results
            )
        )
    lines += [_signature_line(sig) for sig in receipt.dkim]
    for hop in receipt.hops:
        delay = "?" if hop.delay_seconds is None else f"{hop.delay_seconds:g} s"
        tls = "TLS" if hop.tls else _("no TLS")
        lines.append(f"  hop {hop.from_host or '?'} -> {hop.by_host or '?'}: {delay}, {tls}")
    lines.append(receipt.verdict)
    if receipt.fix:
        lines.append(_("fix: {fix}").format(fix=receipt.fix))
    return lines


def _signature_line(sig: SignatureResult) -> str:
    aligned = _("aligned with From") if sig.aligned else _("not aligned with From")
    return _("  our DKIM check: d={domain} s={selector}: {result}, {aligned}").format(
        domain=sig.domain, selector=sig.selector, result=sig.result, aligned=aligned
    )


def mailbox_failure_lines(failure: MailboxFailed) -> list[str]:
    """Why the mailbox could not be read, and the fix."""
    return [
        _("mailbox failed [{category}]: {message}").format(
            category=failure.category, message=failure.message
        ),
        _("fix: {fix}").format(fix=failure.fix),
    ]
