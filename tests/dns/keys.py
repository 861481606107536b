"""DKIM keys generated for the tests (cryptography for RSA, PyNaCl for ed25519)."""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass

# A notification as the platform sends it, before signing.
MESSAGE = (
    b"From: Alerts <alerts@example.test>\r\n"
    b"To: admin@customer.test\r\n"
    b"Subject: Vehicle 12 left the geofence\r\n"
    b"Date: Tue, 24 Nov 2026 00:00:00 +0000\r\n"
    b"Message-ID: <1@example.test>\r\n"
    b"\r\n"
    b"Vehicle 12 left the geofence at 00:00.\r\n"
)


@dataclass(frozen=True)
class SigningKey:
    algorithm: bytes  # dkimpy's signature_algorithm
    private: bytes  # what dkim.sign() takes
    public_b64: str  # the p= value

    @property
    def record(self) -> str:
        kind = "ed25519" if self.algorithm.startswith(b"ed25519") else "rsa"
        return f"v=DKIM1; k={kind}; p={self.public_b64}"


@functools.cache
def rsa_key(bits: int) -> SigningKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return SigningKey(b"rsa-sha256", private, base64.b64encode(public).decode())


@functools.cache
def ed25519_key() -> SigningKey:
    import nacl.signing

    key = nacl.signing.SigningKey.generate()
    private = base64.b64encode(bytes(key))
    public = base64.b64encode(bytes(key.verify_key)).decode()
    return SigningKey(b"ed25519-sha256", private, public)


def short_rsa_public(bits: int = 512) -> str:
    """A syntactically valid RSA public key of `bits` bits (too short to generate normally)."""
    modulus = (1 << (bits - 1)) | 0xF1  # odd, exactly `bits` long: only its size matters here
    rsa_key_der = _seq(_int(modulus) + _int(65537))
    algorithm = bytes.fromhex("300d06092a864886f70d0101010500")
    spki = _seq(algorithm + b"\x03" + _len(len(rsa_key_der) + 1) + b"\x00" + rsa_key_der)
    return base64.b64encode(spki).decode()


def _int(value: int) -> bytes:
    raw = value.to_bytes((value.bit_length() + 8) // 8, "big")
    return b"\x02" + _len(len(raw)) + raw


def _seq(body: bytes) -> bytes:
    return b"\x30" + _len(len(body)) + body


def _len(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


SIGNED_HEADERS = ("from", "to", "subject", "date")


def sign(
    message: bytes,
    key: SigningKey,
    domain: str,
    selector: str,
    *,
    headers: tuple[str, ...] = SIGNED_HEADERS,
    tags: dict[bytes, bytes | None] | None = None,
    covers: tuple[str, ...] | None = None,
) -> bytes:
    """The message with a DKIM-Signature by `key` prepended.

    `tags` sets (or, with None, leaves out) signature tags before signing, and `covers` the
    headers really signed (h=), for signatures dkimpy would not make itself (an x= expiry, no
    bh=, no From in h=): the result is still validly signed.
    """
    import dkim

    changes = dict(tags or {})
    if covers is not None:
        changes[b"h"] = b":".join(name.encode() for name in covers)

    class Signer(dkim.DKIM):
        def gen_header(
            self,
            fields: list[tuple[bytes, bytes]],
            include_headers: tuple[bytes, ...],
            *args: object,
            **kwargs: object,
        ) -> bytes:
            kept = [field for field in fields if field[0] not in changes]
            added = [(name, value) for name, value in changes.items() if value is not None]
            kept[-1:-1] = added  # before b=, which dkimpy fills in last
            if covers is not None:
                include_headers = tuple(name.encode() for name in covers)
            return super().gen_header(kept, include_headers, *args, **kwargs)

    signer = Signer(message, signature_algorithm=key.algorithm)
    header = signer.sign(
        selector.encode(),
        domain.encode(),
        key.private,
        include_headers=[name.encode() for name in headers],
    )
    return header + message
