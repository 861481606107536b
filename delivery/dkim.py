"""DKIM verification of a received message: every signature, with keys fetched concurrently.

dkimpy checks the cryptography; mailgw fetches the keys itself (so a DNS timeout is temperror,
not fail), reads the key's size and t=y flag, and judges alignment with the From domain.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import asdict, dataclass, field

from mailgw.delivery.dkim_keys import DkimKeyError, RevokedKey, parse_key
from mailgw.delivery.dmarc import aligned
from mailgw.delivery.message_text import header_values, normalise_message
from mailgw.delivery.resolver import LookupResult, Lookups, ResolverConfig, make_resolver

MIN_KEY_BITS = 1024


class MessageError(ValueError):
    """The input is not a mail message mailgw can read."""


@dataclass(frozen=True)
class SignatureResult:
    """One DKIM-Signature header, verified."""

    index: int
    domain: str  # d=
    selector: str  # s=
    algorithm: str  # a=
    result: str  # pass | fail | temperror | permerror
    why: str
    key_bits: int | None = None
    testing: bool = False  # t=y in the key record
    aligned: bool = False  # d= aligns (relaxed) with the From domain
    strictly_aligned: bool = False

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class AuthResult:
    """One verdict of an Authentication-Results header (RFC 8601)."""

    authserv_id: str
    method: str  # dkim, spf, dmarc, ...
    result: str
    reason: str = ""
    properties: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class DkimReport:
    from_domain: str
    signatures: list[SignatureResult]
    authentication_results: list[AuthResult]
    problems: list[str] = field(default_factory=list)  # e.g. unparsable Authentication-Results

    @property
    def ok(self) -> bool:
        """At least one signature, and every signature passes."""
        return bool(self.signatures) and all(s.result == "pass" for s in self.signatures)

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "from_domain": self.from_domain,
            "signatures": [s.as_dict() for s in self.signatures],
            "authentication_results": [a.as_dict() for a in self.authentication_results],
        }


async def verify_message(raw: bytes, *, resolver: ResolverConfig | Lookups) -> DkimReport:
    """Verify every DKIM-Signature of a raw message (a .eml or pasted "Show original")."""
    message = normalise_message(raw)
    if not message:
        raise MessageError("no mail headers found in the input (paste the whole original)")
    lookups = resolver if isinstance(resolver, Lookups) else Lookups(make_resolver(resolver))
    signatures = [_tags(value) for value in header_values(message, "DKIM-Signature")]
    names = [_key_name(tags) for tags in signatures]
    answers = await lookups.many([(name, "TXT") for name in dict.fromkeys(n for n in names if n)])
    from_domain = _from_domain(message)
    results = [
        _verify(message, index, tags, answers.get((name, "TXT")) if name else None, from_domain)
        for index, (tags, name) in enumerate(zip(signatures, names, strict=True))
    ]
    auth, problems = _authentication_results(message)
    return DkimReport(from_domain, results, auth, problems)


def _tags(value: bytes) -> dict[str, str]:
    tags = {}
    for part in value.decode("ascii", "replace").split(";"):
        name, sep, text = part.partition("=")
        if sep:
            tags[name.strip()] = re.sub(r"\s+", "", text)
    return tags


def _key_name(tags: dict[str, str]) -> str:
    if not tags.get("s") or not tags.get("d"):
        return ""
    return f"{tags['s']}._domainkey.{tags['d']}".rstrip(".")


def _from_domain(message: bytes) -> str:
    values = header_values(message, "From")
    if not values:
        return ""
    _, address = email.utils.parseaddr(values[0].decode("utf-8", "replace"))
    return address.rpartition("@")[2].lower()


def _verify(
    message: bytes,
    index: int,
    tags: dict[str, str],
    key: LookupResult | None,
    from_domain: str,
) -> SignatureResult:
    domain, selector = tags.get("d", "").lower(), tags.get("s", "")
    base = {
        "index": index,
        "domain": domain,
        "selector": selector,
        "algorithm": tags.get("a", ""),
        "aligned": bool(domain and from_domain) and aligned(domain, from_domain, "r"),
        "strictly_aligned": bool(domain) and domain == from_domain,
    }
    if key is None:
        return SignatureResult(**base, result="permerror", why="the signature lacks d= or s=")
    if key.failed:
        why = f"the key at {key.name} could not be read ({key.error}); try again later"
        return SignatureResult(**base, result="temperror", why=why)
    texts = [t for t in key.records if "p=" in t] or list(key.records)
    if not texts:
        return SignatureResult(**base, result="permerror", why=f"no key published at {key.name}")
    try:
        parsed = parse_key(texts[0])
    except RevokedKey:
        return SignatureResult(**base, result="permerror", why=f"the key at {key.name} is revoked")
    except DkimKeyError as exc:
        return SignatureResult(**base, result="permerror", why=f"unusable key: {exc}")
    result, why = _check_signature(message, index, texts[0])
    return SignatureResult(
        **base, result=result, why=why, key_bits=parsed.bits, testing=parsed.testing
    )


def _check_signature(message: bytes, index: int, key_text: str) -> tuple[str, str]:
    import dkim

    def dnsfunc(name: bytes | str, timeout: float = 5) -> bytes:
        return key_text.encode("utf-8")

    verifier = dkim.DKIM(message, minkey=MIN_KEY_BITS, logger=_quiet_logger())
    try:
        verified = verifier.verify(idx=index, dnsfunc=dnsfunc)
    except dkim.ValidationError as exc:
        return "fail", _reason(exc)
    except dkim.DKIMException as exc:
        return "permerror", _reason(exc)
    if verified:
        return "pass", "the signature matches the message and the published key"
    return "fail", "the signature does not match the signed headers (changed after signing?)"


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "body hash mismatch" in text:
        return "the body was changed after signing (body hash mismatch)"
    return text or type(exc).__name__


def _quiet_logger() -> object:
    import logging

    logger = logging.getLogger("mailgw.dkimpy")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger


def _authentication_results(message: bytes) -> tuple[list[AuthResult], list[str]]:
    import authres

    results: list[AuthResult] = []
    problems: list[str] = []
    for value in header_values(message, "Authentication-Results"):
        text = "Authentication-Results: " + re.sub(
            r"\r?\n[ \t]+", " ", value.decode("utf-8", "replace")
        )
        try:
            header = authres.AuthenticationResultsHeader.parse(text)
        except authres.core.AuthResError as exc:
            problems.append(f"unreadable Authentication-Results ({type(exc).__name__}: {exc})")
            continue
        for item in header.results:
            properties = {f"{p.type}.{p.name}": str(p.value) for p in item.properties}
            results.append(
                AuthResult(
                    str(header.authserv_id), item.method, item.result, item.reason or "", properties
                )
            )
    return results, problems
