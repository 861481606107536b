"""TLS for the send path: the context a security policy needs, and what a certificate says."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import functools
import hashlib
import ipaddress
import os
import ssl
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mailgw.delivery.errors import ConfigInvalid
from mailgw.i18n import _

if TYPE_CHECKING:  # cryptography.x509 (~12 ms) is imported when a certificate is read
    from cryptography import x509

CA_FILE_ENV = "MAILGW_CA_FILE"  # extra trusted CAs (a private CA), on top of the system store


@dataclass(frozen=True)
class TlsInfo:
    """The server's TLS session and certificate, as shown to the admin."""

    protocol: str
    cipher: str
    subject: str
    issuer: str
    sans: tuple[str, ...]
    not_before: str
    not_after: str
    expired: bool
    self_signed: bool
    hostname_match: bool
    fingerprint_sha256: str
    verified: bool  # chain and host name checked against the trust store
    pinned: bool = False  # accepted because it matches smtp.tls_fingerprint
    problem: str = ""  # why verification failed, when it did

    def as_dict(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "cipher": self.cipher,
            "subject": self.subject,
            "issuer": self.issuer,
            "sans": list(self.sans),
            "not_before": self.not_before,
            "not_after": self.not_after,
            "expired": self.expired,
            "self_signed": self.self_signed,
            "hostname_match": self.hostname_match,
            "fingerprint_sha256": self.fingerprint_sha256,
            "verified": self.verified,
            "pinned": self.pinned,
            "problem": self.problem,
        }


def summary(tls: TlsInfo) -> str:
    """The session and how its certificate was accepted, as every front says it."""
    if tls.pinned:
        state = _("pinned")
    else:
        state = _("verified") if tls.verified else _("NOT verified")
    return _("TLS: {protocol}, {cipher}; certificate {state}").format(
        protocol=tls.protocol, cipher=tls.cipher, state=state
    )


def fingerprint(der: bytes) -> str:
    """SHA-256 of the DER certificate, as AA:BB:... (the form admins paste into the config)."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def same_fingerprint(a: str, b: str) -> bool:
    """Fingerprints compared without colons, spaces or case."""
    return _bare(a) == _bare(b) and bool(_bare(a))


def _bare(value: str) -> str:
    return value.replace(":", "").replace(" ", "").lower()


def client_context(*, verify: bool, ca_file: str | None = None) -> ssl.SSLContext:
    """A client context: verifying chain and host name, or accepting any certificate."""
    return _context(*_context_key(verify, ca_file))


async def client_context_off_loop(*, verify: bool, ca_file: str | None = None) -> ssl.SSLContext:
    """client_context, built in a worker thread the first time: loading the trust store blocks."""
    key = _context_key(verify, ca_file)
    if key in _built:
        return _context(*key)
    prefetched = _prefetched.pop(key, None)
    if prefetched is not None:
        context = await asyncio.wrap_future(prefetched)
    else:
        context = await asyncio.to_thread(_context, *key)
    _built.add(key)
    return context


def prefetch_context(*, verify: bool, ca_file: str | None = None) -> None:
    """Start building a context in a thread now, a few steps before its handshake: OpenSSL
    loads the trust store (20-30 ms) without holding the GIL, so those steps run beside it."""
    key = _context_key(verify, ca_file)
    if key in _built or key in _prefetched:
        return
    future: concurrent.futures.Future[ssl.SSLContext] = concurrent.futures.Future()

    def build() -> None:
        try:
            future.set_result(_context(*key))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever awaits the context
            future.set_exception(exc)

    _prefetched[key] = future
    threading.Thread(target=build, name="tls context", daemon=True).start()


_built: set[tuple[bool, str, float]] = set()
_prefetched: dict[tuple[bool, str, float], concurrent.futures.Future[ssl.SSLContext]] = {}


def _context_key(verify: bool, ca_file: str | None) -> tuple[bool, str, float]:
    extra = ca_file if ca_file is not None else os.environ.get(CA_FILE_ENV, "")
    return verify, extra, _mtime(extra)


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime if path else 0.0
    except OSError:
        return -1.0  # let load_verify_locations report the missing file


@functools.lru_cache(maxsize=8)
def _context(verify: bool, extra: str, mtime: float) -> ssl.SSLContext:
    # Loading the system trust store takes milliseconds: build once, reuse per connection.
    if verify:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    else:  # nothing will be verified: the system store would never be read
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if extra:  # loaded either way, so a broken file is said whatever the policy
        try:
            context.load_verify_locations(cafile=extra)
        except (OSError, ssl.SSLError) as exc:
            message = _("cannot load the CA file {extra} (${ca_file_env}): {exc}").format(
                extra=extra, ca_file_env=CA_FILE_ENV, exc=exc
            )
            raise ConfigInvalid(message) from None
    return context


def inspect(ssl_object: Any, host: str, *, verified: bool, pinned: bool = False) -> TlsInfo:
    """TLS details from a live connection's SSL object."""
    der = ssl_object.getpeercert(binary_form=True) or b""
    cipher = ssl_object.cipher()
    return certificate_info(
        der,
        host,
        protocol=ssl_object.version() or "",
        cipher=cipher[0] if cipher else "",
        verified=verified,
        pinned=pinned,
    )


def certificate_info(
    der: bytes, host: str, *, protocol: str, cipher: str, verified: bool, pinned: bool = False
) -> TlsInfo:
    """Parse a DER certificate into what the admin needs to judge it."""
    from cryptography import x509

    cert = x509.load_der_x509_certificate(der)
    not_before = cert.not_valid_before_utc
    not_after = cert.not_valid_after_utc
    now = dt.datetime.now(dt.timezone.utc)
    return TlsInfo(
        protocol=protocol,
        cipher=cipher,
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        sans=tuple(_sans(cert)),
        not_before=not_before.isoformat(),
        not_after=not_after.isoformat(),
        expired=not (not_before <= now <= not_after),
        self_signed=_self_signed(cert),
        hostname_match=hostname_matches(cert, host),
        fingerprint_sha256=fingerprint(der),
        verified=verified,
        pinned=pinned,
    )


def _sans(cert: x509.Certificate) -> list[str]:
    from cryptography import x509

    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    names = [f"DNS:{name}" for name in ext.get_values_for_type(x509.DNSName)]
    names += [f"IP:{ip}" for ip in ext.get_values_for_type(x509.IPAddress)]
    return names


def _self_signed(cert: x509.Certificate) -> bool:
    from cryptography.exceptions import InvalidSignature

    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def hostname_matches(cert: x509.Certificate, host: str) -> bool:
    """RFC 6125 matching against the SANs: exact names, left-most wildcard, IP addresses."""
    from cryptography import x509

    host = host.strip("[]").rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    if address is not None:
        return address in ext.get_values_for_type(x509.IPAddress)
    return any(_name_matches(name.lower(), host) for name in ext.get_values_for_type(x509.DNSName))


def _name_matches(pattern: str, host: str) -> bool:
    pattern = pattern.rstrip(".")
    if not pattern.startswith("*."):
        return pattern == host
    _first, _dot, rest = host.partition(".")
    return bool(rest) and rest == pattern[2:]


def verify_problem(exc: ssl.SSLCertVerificationError) -> str:
    """The verification failure in words an admin recognises."""
    code = getattr(exc, "verify_code", 0)
    reasons = {
        10: _("the certificate has expired"),
        9: _("the certificate is not valid yet"),
        18: _("the certificate is self-signed"),
        19: _("the certificate chain ends in a self-signed certificate nobody here trusts"),
        20: _("the certificate was issued by an unknown certificate authority"),
        21: _("the certificate was issued by an unknown certificate authority"),
        62: _("the certificate is not valid for this host name"),
        64: _("the certificate is not valid for this IP address"),
    }
    return reasons.get(code) or (getattr(exc, "verify_message", "") or str(exc))


def is_protocol_mismatch(exc: ssl.SSLError) -> bool:
    """A handshake that met plain text (or the reverse): SSL on a STARTTLS port, or vice versa."""
    reason = (getattr(exc, "reason", "") or "").upper()
    text = str(exc).lower()
    return reason in {"WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "RECORD_LAYER_FAILURE"} or (
        "wrong version number" in text or "unknown protocol" in text
    )
