"""What the received copy of a test send proves: the receiver's verdicts, our own DKIM check,
the hops, and one verdict.

Only the receiver's Authentication-Results count: the topmost one names the receiver
(authserv-id), and of those with that id only the ones above the hop where the message entered
the receiver are its own. Anything lower arrived with the message and may be forged.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import asdict, dataclass, field

from mailgw.delivery.dkim import (
    AuthResult,
    SignatureResult,
    authentication_results,
    verify_message,
)
from mailgw.delivery.dmarc import aligned
from mailgw.delivery.resolver import ResolverConfig
from mailgw.i18n import _

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_TLS_WITH = re.compile(r"\b(ESMTPS|ESMTPSA|LMTPS|UTF8SMTPS)\b|\bTLS", re.IGNORECASE)


@dataclass(frozen=True)
class Hop:
    """One Received header, oldest first."""

    from_host: str
    by_host: str
    with_protocol: str
    tls: bool
    date: str
    delay_seconds: float | None  # since the hop before (or the Date header), when both parse


@dataclass
class Receipt:
    """Everything `test-send --receive` reports about the copy; `found` False means no copy."""

    found: bool
    folder: str = ""
    seconds: float | None = None
    authentication_results: list[AuthResult] = field(default_factory=list)
    ignored_results: int = 0  # Authentication-Results that arrived with the message
    dkim: list[SignatureResult] = field(default_factory=list)
    hops: list[Hop] = field(default_factory=list)
    verdict: str = ""
    proven: bool = False
    fix: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "found": self.found,
            "folder": self.folder,
            "seconds": None if self.seconds is None else round(self.seconds, 2),
            "authentication_results": [a.as_dict() for a in self.authentication_results],
            "ignored_authentication_results": self.ignored_results,
            "dkim": [
                {
                    "domain": s.domain,
                    "selector": s.selector,
                    "result": s.result,
                    "aligned": s.aligned,
                    "why": s.why,
                }
                for s in self.dkim
            ],  # fmt: skip
            "hops": [asdict(h) for h in self.hops],
            "proven": self.proven,
            "verdict": self.verdict,
            "fix": self.fix,
        }


def _headers(raw: bytes) -> list[tuple[str, str]]:
    """(lower-case name, unfolded value) of each header, top to bottom."""
    head = _HEADER_END.split(raw, 1)[0].decode("utf-8", "replace")
    out: list[tuple[str, str]] = []
    for line in re.split(r"\r?\n", head):
        if line[:1] in (" ", "\t") and out:
            name, value = out[-1]
            out[-1] = (name, f"{value} {line.strip()}")
        elif ":" in line:
            name, _sep, value = line.partition(":")
            out.append((name.strip().lower(), value.strip()))
    return out


def _authserv_id(value: str) -> str:
    return value.split(";", 1)[0].split()[0].lower() if value.strip() else ""


def _clause(value: str, word: str) -> str:
    match = re.search(rf"\b{word}\s+([^\s;()]+)", value, re.IGNORECASE)
    return match.group(1).lower() if match else ""


def _entry_index(headers: list[tuple[str, str]], receiver: str) -> int:
    """Index of the Received header where the message entered the receiver (its lowest one
    `by` the receiver's domain), else the topmost Received."""
    received = [i for i, (name, _v) in enumerate(headers) if name == "received"]
    own = [i for i in received if _same_org(_clause(headers[i][1], "by"), receiver)]
    if own:
        return max(own)
    return received[0] if received else len(headers)


def _same_org(host: str, receiver: str) -> bool:
    return bool(host and receiver) and aligned(host, receiver, "r")


def receiver_results(raw: bytes) -> tuple[list[AuthResult], int]:
    """The receiver's own Authentication-Results, and how many others were ignored."""
    headers = _headers(raw)
    found = [(i, v) for i, (name, v) in enumerate(headers) if name == "authentication-results"]
    if not found:
        return [], 0
    receiver = _authserv_id(found[0][1])
    entry = _entry_index(headers, receiver)
    own = [v for i, v in found if i < entry and _authserv_id(v) == receiver]
    block = "".join(f"Authentication-Results: {v}\r\n" for v in own).encode() + b"\r\n"
    results, _problems = authentication_results(block)
    return results, len(found) - len(own)


def hops(raw: bytes) -> list[Hop]:
    """The Received headers oldest first, with the delay of each and whether it used TLS."""
    headers = _headers(raw)
    received = [v for name, v in reversed(headers) if name == "received"]
    dates = {name: v for name, v in headers if name == "date"}
    previous = _when(dates.get("date", ""))
    out = []
    for value in received:
        date = value.rpartition(";")[2].strip() if ";" in value else ""
        when = _when(date)
        delay = when - previous if when is not None and previous is not None else None
        protocol = _clause(value, "with").upper()
        out.append(
            Hop(
                _clause(value, "from"),
                _clause(value, "by"),
                protocol,
                bool(_TLS_WITH.search(protocol) or re.search(r"\bTLSv?1", value)),
                date,
                None if delay is None else round(delay, 1),
            )
        )
        previous = when if when is not None else previous
    return out


def _when(date: str) -> float | None:
    try:
        parsed = email.utils.parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.timestamp() if parsed is not None else None


async def examine(raw: bytes, folder: str, seconds: float, resolver: ResolverConfig) -> Receipt:
    """The copy judged: the receiver's verdicts, our DKIM check, the hops, one verdict."""
    results, ignored = receiver_results(raw)
    report = await verify_message(raw, resolver=resolver)
    receipt = Receipt(True, folder, seconds, results, ignored, report.signatures, hops(raw))
    receipt.proven, receipt.verdict, receipt.fix = _verdict(receipt, report.from_domain)
    return receipt


def not_found(wait: float, folders: list[str]) -> Receipt:
    return Receipt(
        False,
        verdict=_("not proven: no copy arrived in {folders} within {wait:g} s").format(
            folders=", ".join(folders), wait=wait
        ),
        fix=_(
            "check the send's recipient is this mailbox, then wait longer (--wait) or look in "
            "the provider's quarantine"
        ),
    )


def _verdict(receipt: Receipt, from_domain: str) -> tuple[bool, str, str]:
    passing = [s for s in receipt.dkim if s.result == "pass" and s.aligned]
    junk = receipt.folder.lower() != "inbox"
    if not receipt.dkim:
        return (
            False,
            _("not proven: the copy carries no DKIM signature"),
            _(
                "sign the mail: publish the DKIM records (`mailgw records`) and have the gateway "
                "sign for {domain}"
            ).format(domain=from_domain),
        )
    if not passing:
        failed = receipt.dkim[0]
        return (
            False,
            _("not proven: DKIM {result} for d={domain} ({why})").format(
                result=failed.result, domain=failed.domain, why=failed.why
            ),
            _(
                "a body changed in transit points at a relay that rewrites mail (a footer, a "
                "disclaimer); a missing or wrong key: `mailgw dkim-verify` and `mailgw dns`"
            )
            if failed.result == "fail"
            else _("check the key with `mailgw dns`"),
        )
    if junk:
        return (
            True,
            _("proven: dkim=pass aligned with {domain}, but it landed in {folder}").format(
                domain=from_domain, folder=receipt.folder
            ),
            _(
                "signed and aligned, yet filed as junk: publish DMARC (`mailgw records`), "
                "check SPF (`mailgw spf`), and mark the copy as not junk"
            ),
        )
    return (
        True,
        _("proven: dkim=pass aligned with {domain}, in {folder}").format(
            domain=from_domain, folder=receipt.folder
        ),
        "",
    )
