"""Trusting a server's certificate: what a pin, or trusting any certificate, sets.

Written once for every front: the detect result (`detect.recommended_values`), a failed test
send or probe in the TUI, and the wizard all pin through `pin_values`.
"""

from __future__ import annotations

from typing import Any

from mailgw.delivery.results import Category, SendResult
from mailgw.delivery.tls import TlsInfo


def pin_values(fingerprint: str) -> dict[str, Any]:
    """The settings that trust exactly the certificate with this SHA-256, and no other."""
    return {"smtp.tls_fingerprint": fingerprint, "smtp.trust_all": False}


def trust_any_values() -> dict[str, Any]:
    """The settings that accept any certificate (a pin would refuse all but one: dropped)."""
    return {"smtp.trust_all": True, "smtp.tls_fingerprint": ""}


def refused_certificate(result: SendResult | None) -> TlsInfo | None:
    """The certificate a failed run refused and a pin would accept, or None."""
    if result is None or result.ok or result.category != Category.CERTIFICATE:
        return None
    tls = result.tls
    return tls if tls is not None and tls.fingerprint_sha256 else None
