"""DKIM key records (RFC 6376 3.6.1, RFC 8463): parse and measure the published key."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from mailgw.i18n import _

MIN_RSA_BITS = 1024
GOOD_RSA_BITS = 2048


class TagListError(ValueError):
    """Text that should be `tag=value; ...` (RFC 6376 3.2) is not."""


class DkimKeyError(ValueError):
    """The key record cannot be used to verify signatures."""


class RevokedKey(DkimKeyError):
    """`p=` is empty: the key was revoked on purpose."""


ALGORITHM_KEY_TYPES = {"rsa-sha256": "rsa", "ed25519-sha256": "ed25519"}  # RFC 8301, 8463


@dataclass(frozen=True)
class DkimKey:
    key_type: str  # "rsa" or "ed25519"
    bits: int  # RSA modulus size; 256 for ed25519
    testing: bool  # t=y: receivers treat failures as if unsigned
    hashes: tuple[str, ...] = ()  # h=: the hash algorithms the key may be used with; () = any
    services: tuple[str, ...] = ("*",)  # s=: service types; email or * for mail
    strict_identity: bool = False  # t=s: i= must be d= itself, no subdomain

    def email_problem(self) -> str | None:
        """Why no mail signature can verify with this key (RFC 6376 3.6.1, RFC 8301), or None."""
        if not {"email", "*"} & set(self.services):
            return _("s={services} does not include email: the key is not for mail").format(
                services=":".join(self.services)
            )
        if self.hashes and "sha256" not in self.hashes:
            return _(
                "h={hashes} does not allow sha256, the only hash receivers accept (RFC 8301)"
            ).format(hashes=":".join(self.hashes))
        return None

    def signature_problem(self, algorithm: str, domain: str, identity: str) -> str | None:
        """Why this key cannot verify a signature with a=`algorithm`, d=`domain`, i=`identity`."""
        problem = self.email_problem()
        if problem:
            return problem
        wanted = ALGORITHM_KEY_TYPES.get(algorithm.lower())
        if wanted and wanted != self.key_type:
            return _("the key is k={key_type}, the signature a={algorithm}").format(
                key_type=self.key_type, algorithm=algorithm
            )
        hash_name = algorithm.lower().rpartition("-")[2]
        if self.hashes and hash_name not in self.hashes:
            return _("the key allows h={hashes}, the signature uses {hash_name}").format(
                hashes=":".join(self.hashes), hash_name=hash_name
            )
        identity_domain = identity.rpartition("@")[2].lower().rstrip(".")
        if self.strict_identity and identity and identity_domain != domain.lower().rstrip("."):
            return _("the key has t=s: i={identity} must be of {domain} itself").format(
                identity=identity, domain=domain
            )
        return None


def parse_tags(text: str) -> dict[str, str]:
    """A DKIM tag list (key record or signature) as a dict, whitespace removed from values."""
    tags: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            raise TagListError(_("{part!r} is not a tag=value pair").format(part=part.strip()))
        if name in tags:
            raise TagListError(_("tag {name} appears twice").format(name=name))
        tags[name] = re.sub(r"\s+", "", value)
    return tags


def key_record(texts: tuple[str, ...]) -> str | None:
    """The TXT value to read as the key: the first holding p=, else the first at all."""
    return next((t for t in texts if "p=" in t), texts[0] if texts else None)


def parse_key(text: str) -> DkimKey:
    """Check `v=DKIM1; k=...; p=...` and measure the key; DkimKeyError says what is wrong."""
    try:
        tags = parse_tags(text)
    except TagListError as exc:
        raise DkimKeyError(str(exc)) from None
    if "v" in tags and (tags["v"] != "DKIM1" or not text.lstrip().startswith("v")):
        raise DkimKeyError(_("v= must be DKIM1 and come first"))
    key_type = tags.get("k", "rsa").lower()
    if key_type not in ("rsa", "ed25519"):
        raise DkimKeyError(_("k={key_type} is not rsa or ed25519").format(key_type=key_type))
    if "p" not in tags:
        raise DkimKeyError(_("the key record has no p= tag"))
    if not tags["p"]:
        raise RevokedKey(_("p= is empty: the key is revoked"))
    try:
        der = base64.b64decode(tags["p"], validate=True)
    except (binascii.Error, ValueError):
        raise DkimKeyError(_("p= is not valid base64")) from None
    flags = tags.get("t", "").lower().split(":")
    return DkimKey(
        key_type,
        _bits(key_type, der),
        "y" in flags,
        hashes=_colon_list(tags.get("h", "")),
        services=_colon_list(tags.get("s", "")) or ("*",),
        strict_identity="s" in flags,
    )


def declared_key_type(text: str) -> str:
    """The k= a key record declares (rsa when absent), without judging the rest."""
    match = re.search(r"(?:^|;)\s*k\s*=\s*([^;\s]*)", text)
    return match.group(1).lower() if match else "rsa"


def _colon_list(value: str) -> tuple[str, ...]:
    return tuple(part.lower() for part in value.split(":") if part)


def _bits(key_type: str, der: bytes) -> int:
    if key_type == "ed25519":
        if len(der) != 32:
            raise DkimKeyError(
                _("an ed25519 key is 32 bytes, this one is {size}").format(size=len(der))
            )
        return 256
    try:
        return rsa_modulus(der).bit_length()
    except UnreadableKey:
        raise DkimKeyError(_("p= does not hold a readable RSA public key")) from None


# Reading the modulus here, not with dkimpy, keeps `mailgw dns` from importing dkimpy and
# PyNaCl (~18 ms) after its last answer just to measure a key.
_INTEGER, _BIT_STRING, _NULL, _OID, _SEQUENCE = 0x02, 0x03, 0x05, 0x06, 0x30


class UnreadableKey(ValueError):
    """The bytes are no RSA public key dkimpy could read."""


def rsa_modulus(der: bytes) -> int:
    """The modulus of a SubjectPublicKeyInfo, else of a bare RSAPublicKey (RFC 8017), read
    as leniently as dkimpy reads them (dkim.crypto.parse_public_key), so both agree."""
    try:
        info, _end = _element(der, 0, _SEQUENCE)
        algorithm, offset = _element(info, 0, _SEQUENCE)
        _oid, after_oid = _element(algorithm, 0, _OID)
        null, _end = _element(algorithm, after_oid, _NULL)
        bits, _end = _element(info, offset, _BIT_STRING)
        if null:
            raise UnreadableKey("NULL with content")
        return _rsa_public_key(bits[1:])  # the first byte counts unused bits
    except UnreadableKey:
        return _rsa_public_key(der)


def _rsa_public_key(der: bytes) -> int:
    sequence, _end = _element(der, 0, _SEQUENCE)
    modulus, offset = _element(sequence, 0, _INTEGER)
    _element(sequence, offset, _INTEGER)  # the public exponent must be there
    return int.from_bytes(modulus, "big")


def _element(data: bytes, at: int, tag: int) -> tuple[bytes, int]:
    """(content, offset after it) of the DER element at `at`, which must carry `tag`. As in
    dkimpy, a content cut short is an error for an INTEGER only."""
    if at + 1 >= len(data) or data[at] != tag:
        raise UnreadableKey(f"no element {tag:#x} at {at}")
    length, at = data[at + 1], at + 2
    if length & 0x80:
        size = length & 0x7F
        if at + size > len(data):
            raise UnreadableKey("length cut short")
        length, at = int.from_bytes(data[at : at + size], "big"), at + size
    if tag == _INTEGER and at + length > len(data):
        raise UnreadableKey("integer cut short")
    return data[at : at + length], at + length
