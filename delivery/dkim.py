"""DKIM verification of a received message: every signature, with keys fetched concurrently.

dkimpy checks the cryptography; mailgw fetches the keys itself (so a DNS timeout is temperror,
not fail), reads the key's size and t=y flag, and judges alignment with the From domain.
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import io
import os
import re
import stat
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, BinaryIO

from mailgw.delivery.dkim_keys import (
    ALGORITHM_KEY_TYPES,
    MIN_RSA_BITS,
    DkimKeyError,
    RevokedKey,
    TagListError,
    declared_key_type,
    key_record,
    parse_key,
    parse_tags,
)
from mailgw.delivery.dmarc import aligned, load_suffix_list
from mailgw.delivery.message_text import header_values, normalise_message
from mailgw.delivery.resolver import LookupResult, Lookups, ResolverConfig, make_resolver
from mailgw.i18n import _

_BODY_HASH_MISMATCH = "body hash mismatch"  # dkimpy's ValidationError text for a changed body


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


# Bounds (README, "Sender domain"): a hostile message must not hold a command or the console
MAX_MESSAGE_BYTES = 25 * 1024 * 1024  # the usual largest mail a server accepts
MAX_SIGNATURES = 10  # a real mail carries one to three; the rest are noted, not judged


async def verify_message(raw: bytes, *, resolver: ResolverConfig | Lookups) -> DkimReport:
    """Verify the DKIM-Signatures of a raw message (a .eml or pasted "Show original").

    At most MAX_SIGNATURES are judged, of a message of at most MAX_MESSAGE_BYTES. The work runs
    in a thread, one signature at a time, so the event loop stays free and a cancelled task
    stops after the signature in hand.
    """
    if len(raw) > MAX_MESSAGE_BYTES:
        raise _too_big(len(raw))
    message = await asyncio.to_thread(normalise_message, raw)
    if not message and b"\0" in raw:  # a NUL breaks the header it is in: say that, not "none"
        line = raw[: raw.index(b"\0")].count(b"\n") + 1
        raise MessageError(
            _("line {line} holds a NUL character, which no mail header may contain").format(
                line=line
            )
        )
    if not message:
        raise MessageError(_("no mail headers found in the input (paste the whole original)"))
    lookups = resolver if isinstance(resolver, Lookups) else Lookups(make_resolver(resolver))
    await load_suffix_list()  # for alignment, below
    values = header_values(message, "DKIM-Signature")
    signatures = [_signature(value) for value in values[:MAX_SIGNATURES]]
    names = dict.fromkeys(s.key_name for s in signatures if not s.problem)
    answers = await lookups.many([(name, "TXT") for name in names])
    from_domain = _from_domain(message)
    verifier = _Verifier(message)
    results = []
    for index, signature in enumerate(signatures):
        key = answers.get((signature.key_name, "TXT"))
        results.append(
            await asyncio.to_thread(_verify, verifier, index, signature, key, from_domain)
        )
    auth, problems = authentication_results(message)
    if len(values) > MAX_SIGNATURES:
        problems.append(
            _("only the first {cap} of {count} DKIM signatures were judged").format(
                cap=MAX_SIGNATURES, count=len(values)
            )
        )
    return DkimReport(from_domain, results, auth, problems)


def read_message(source: BinaryIO) -> bytes:
    """A message from a file or a pipe. A file over MAX_MESSAGE_BYTES is refused before it is
    read; a pipe is read up to one byte more, which verify_message refuses."""
    try:
        status = os.fstat(source.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):  # no descriptor: a stream in memory
        status = None
    if status is not None and stat.S_ISREG(status.st_mode) and status.st_size > MAX_MESSAGE_BYTES:
        raise _too_big(status.st_size)
    return source.read(MAX_MESSAGE_BYTES + 1)


def _too_big(size: int) -> MessageError:
    return MessageError(
        _("the message is {size} bytes; mailgw verifies messages of at most {limit}").format(
            size=size, limit=MAX_MESSAGE_BYTES
        )
    )


@dataclass(frozen=True)
class _Signature:
    """One DKIM-Signature header, read but not yet verified."""

    tags: dict[str, str]
    problem: str = ""  # why it is permerror whatever the key says (RFC 6376 6.1.1)

    @property
    def key_name(self) -> str:
        return f"{self.tags.get('s', '')}._domainkey.{self.tags.get('d', '')}".rstrip(".")


def _signature(value: bytes) -> _Signature:
    import dkim

    try:
        tags = parse_tags(value.decode("ascii", "replace"))
    except TagListError as exc:
        return _Signature({}, _("the signature header is malformed: {exc}").format(exc=exc))
    if not tags.get("s") or not tags.get("d"):
        return _Signature(tags, _("the signature lacks d= or s="))
    problem = _rule_problem(tags)
    if problem:
        return _Signature(tags, problem)
    try:
        dkim.validate_signature_fields(dkim.util.parse_tag_value(value))
    except (dkim.DKIMException, dkim.util.InvalidTagValueList) as exc:
        return _Signature(tags, _("the signature is invalid: {exc}").format(exc=_reason(exc)))
    except IndexError:  # dkimpy indexes past i= when it is d= itself, without the @
        return _Signature(
            tags,
            _("the signature is invalid: i={identity} has no @").format(identity=tags.get("i")),
        )
    return _Signature(tags)


def _rule_problem(tags: dict[str, str]) -> str:
    """What RFC 6376 6.1.1 and RFC 8301 refuse in the signature itself ("" when nothing)."""
    algorithm = tags.get("a", "").lower()
    if algorithm == "rsa-sha1":
        return _("a=rsa-sha1: SHA-1 signatures are never valid any more (RFC 8301 3.1)")
    if "h" in tags and "from" not in (name.lower() for name in tags["h"].split(":")):
        return _(
            "h= does not include From: the signature does not protect the sender (RFC 6376 6.1.1)"
        )
    return ""


def _from_domain(message: bytes) -> str:
    values = header_values(message, "From")
    if not values:
        return ""
    _name, address = email.utils.parseaddr(values[0].decode("utf-8", "replace"))
    return address.rpartition("@")[2].lower()


class _Verifier:
    """dkimpy's view of one message, shared by its signatures: the message is parsed once, and
    each body canonicalisation (c=, a pure function of the body) is computed once."""

    def __init__(self, message: bytes) -> None:
        self.message = message
        self.bodies: dict[tuple[object, int], bytes] = {}
        self._parsed: Any = None

    def check(self, index: int, dnsfunc: Callable[..., bytes]) -> bool:
        """dkimpy's verify of signature `index` (its exceptions pass through)."""
        dkim = _dkimpy()
        if self._parsed is None:
            self._parsed = dkim.DKIM(self.message, minkey=MIN_RSA_BITS, logger=_quiet_logger())
        token = _SHARED_BODIES.set(self.bodies)
        try:
            return bool(self._parsed.verify(idx=index, dnsfunc=dnsfunc))
        finally:
            _SHARED_BODIES.reset(token)


_SHARED_BODIES: contextvars.ContextVar[dict[tuple[object, int], bytes] | None] = (
    contextvars.ContextVar("mailgw_dkim_bodies", default=None)
)


def _dkimpy() -> Any:
    """dkimpy, its body canonicalisation answering from the message's cache while one is set
    (otherwise, as when the tests sign, it is dkimpy's own)."""
    import dkim
    from dkim.canonicalization import CanonicalizationPolicy

    original = CanonicalizationPolicy.canonicalize_body
    if getattr(original, "shared", False):
        return dkim

    def canonicalize_body(policy: Any, body: bytes) -> bytes:
        bodies = _SHARED_BODIES.get()
        if bodies is None:
            return original(policy, body)
        key = (policy.body_algorithm, id(body))  # the parsed message holds `body`: a stable id
        if key not in bodies:
            bodies[key] = original(policy, body)
        return bodies[key]

    canonicalize_body.shared = True  # type: ignore[attr-defined]
    CanonicalizationPolicy.canonicalize_body = canonicalize_body
    return dkim


def _verify(
    verifier: _Verifier,
    index: int,
    signature: _Signature,
    key: LookupResult | None,
    from_domain: str,
) -> SignatureResult:
    tags = signature.tags
    domain, selector, algorithm = tags.get("d", "").lower(), tags.get("s", ""), tags.get("a", "")
    base = {
        "index": index,
        "domain": domain,
        "selector": selector,
        "algorithm": algorithm,
        "aligned": bool(domain and from_domain) and aligned(domain, from_domain, "r"),
        "strictly_aligned": bool(domain) and domain == from_domain,
    }
    if signature.problem or key is None:
        return SignatureResult(**base, result="permerror", why=signature.problem)
    if key.bad_name:
        why = _("d= and s= do not make a valid DNS name ({error})").format(error=key.error)
        return SignatureResult(**base, result="permerror", why=why)
    if key.failed:
        why = _("the key at {name} could not be read ({error}); try again later").format(
            name=key.name, error=key.error
        )
        return SignatureResult(**base, result="temperror", why=why)
    text = key_record(key.records)
    if text is None:
        return SignatureResult(
            **base, result="permerror", why=_("no key published at {name}").format(name=key.name)
        )
    wanted = ALGORITHM_KEY_TYPES.get(algorithm.lower())
    declared = declared_key_type(text)
    if wanted and declared in ALGORITHM_KEY_TYPES.values() and declared != wanted:
        why = _("the key at {name} is k={declared}, the signature a={algorithm}").format(
            name=key.name, declared=declared, algorithm=algorithm
        )
        return SignatureResult(**base, result="permerror", why=why)
    try:
        parsed = parse_key(text)
    except RevokedKey:
        return SignatureResult(
            **base, result="permerror", why=_("the key at {name} is revoked").format(name=key.name)
        )
    except DkimKeyError as exc:
        return SignatureResult(
            **base, result="permerror", why=_("unusable key: {exc}").format(exc=exc)
        )
    refused = parsed.signature_problem(algorithm, domain, tags.get("i", ""))
    if refused:
        return SignatureResult(
            **base, result="permerror", why=refused, key_bits=parsed.bits, testing=parsed.testing
        )
    result, why = _check_signature(verifier, index, key.name, _without_service_type(text))
    return SignatureResult(
        **base, result=result, why=why, key_bits=parsed.bits, testing=parsed.testing
    )


def _without_service_type(text: str) -> str:
    """The key as dkimpy should see it: s= is judged above (dkimpy mistakes s=email:tlsrpt)."""
    return "; ".join(f"{name}={value}" for name, value in parse_tags(text).items() if name != "s")


def _check_signature(verifier: _Verifier, index: int, name: str, key_text: str) -> tuple[str, str]:
    """dkimpy's verdict: fail only when the hashes or the signature do not match (RFC 6376 6.1)."""
    dkim = _dkimpy()

    def dnsfunc(name: bytes | str, timeout: float = 5) -> bytes:
        return key_text.encode("utf-8")

    try:
        dkim.evaluate_pk(name.encode(), dnsfunc(name))  # verify() would call this a mismatch
    except dkim.DKIMException as exc:
        return "permerror", _("unusable key: {exc}").format(exc=_reason(exc))
    try:
        verified = verifier.check(index, dnsfunc)
    except dkim.ValidationError as exc:
        result = "fail" if _BODY_HASH_MISMATCH in str(exc) else "permerror"
        return result, _reason(exc)
    except dkim.DKIMException as exc:
        return "permerror", _reason(exc)
    except (ValueError, TypeError, ArithmeticError) as exc:  # a key dkimpy cannot use at all
        return "permerror", _("unusable key: {exc}").format(exc=_reason(exc))
    if verified:
        return "pass", _("the signature matches the message and the published key")
    return "fail", _("the signature does not match the signed headers (changed after signing?)")


def _reason(exc: Exception) -> str:
    text = str(exc)
    if _BODY_HASH_MISMATCH in text:
        return _("the body was changed after signing (body hash mismatch)")
    if text.startswith("x= value is past"):
        return _("the signature has expired (its x= time is in the past)")
    return re.sub(r"b'([^']*)'", r"\1", text) or type(exc).__name__  # dkimpy quotes bytes


def _quiet_logger() -> object:
    import logging

    logger = logging.getLogger("mailgw.dkimpy")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger


def authentication_results(message: bytes) -> tuple[list[AuthResult], list[str]]:
    import authres

    results: list[AuthResult] = []
    problems: list[str] = []
    for value in header_values(message, "Authentication-Results"):
        text = "Authentication-Results: " + re.sub(
            r"\r?\n[ \t]+", " ", value.decode("utf-8", "replace")
        )
        try:
            header = _parse_authentication_results(text)
        except authres.core.AuthResError as exc:
            problems.append(
                _("unreadable Authentication-Results ({name}: {exc})").format(
                    name=type(exc).__name__, exc=exc
                )
            )
            continue
        for item in header.results:
            properties = {f"{p.type}.{p.name}": str(p.value) for p in item.properties}
            results.append(
                AuthResult(
                    str(header.authserv_id), item.method, item.result, item.reason or "", properties
                )
            )
    return results, problems


def _parse_authentication_results(text: str) -> object:
    """authres's parse, then, if it refuses, the same header without comments and with the
    whitespace RFC 8601's grammar allows around `=`, `/` and `.` (its Appendix B.7)."""
    import authres

    try:
        return authres.AuthenticationResultsHeader.parse(text)
    except authres.core.AuthResError:
        plain = re.sub(r"\s*([=/.;])\s*", r"\1", _without_comments(text))
        plain = plain.replace(";", "; ").replace(
            "Authentication-Results:", "Authentication-Results: "
        )
        return authres.AuthenticationResultsHeader.parse(plain)


def _without_comments(text: str) -> str:
    """RFC 5322 comments (nested, with quoted pairs) replaced by a space; quoted strings kept."""
    out: list[str] = []
    depth, quoted, escaped = 0, False, False
    for char in text:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(char)
            continue
        if char == "\\" and (quoted or depth):
            escaped = True
            if depth == 0:
                out.append(char)
            continue
        if char == '"' and depth == 0:
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
            continue
        elif not quoted and char == ")" and depth:
            depth -= 1
            if depth == 0:
                out.append(" ")
            continue
        if depth == 0:
            out.append(char)
    return "".join(out)
