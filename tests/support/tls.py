"""A fixed TlsInfo for tests that show or apply a result without a live handshake."""

from __future__ import annotations

import dataclasses

from mailgw.delivery.tls import TlsInfo

SAMPLE_TLS = TlsInfo(
    protocol="TLSv1.3",
    cipher="TLS_AES_256_GCM_SHA384",
    subject="CN=mail.example.com",
    issuer="CN=Example CA,O=Example",
    sans=("mail.example.com",),
    not_before="2026-01-01T00:00:00+00:00",
    not_after="2027-01-01T00:00:00+00:00",
    expired=False,
    self_signed=False,
    hostname_match=True,
    fingerprint_sha256=":".join(["AB"] * 32),
    verified=True,
)


def sample_tls(**changes: object) -> TlsInfo:
    """SAMPLE_TLS with some fields changed."""
    return dataclasses.replace(SAMPLE_TLS, **changes)  # type: ignore[arg-type]
