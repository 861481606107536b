"""Internationalised names on the wire: IDN hosts and domains as A-labels, SMTPUTF8 when needed.

A host or a sender domain typed as `bücher.example` is sent as `xn--bcher-kva.example` (what
DNS, TLS and every server understand); an address whose local part is not ASCII can travel only
over SMTPUTF8 (RFC 6531), so it is used when the server offers it and refused plainly when not.
"""

from __future__ import annotations

from mailgw.i18n import _


class NotAsciiName(ValueError):
    """A name that has no A-label form (not a valid IDN)."""


def ascii_host(host: str) -> str:
    """`host` as A-labels (`xn--...`); ASCII and address literals are kept as they are."""
    if host.isascii():
        return host
    import idna  # only for the rare non-ASCII name

    try:
        return idna.encode(host.rstrip("."), uts46=True).decode("ascii") + (
            "." if host.endswith(".") else ""
        )
    except idna.IDNAError as exc:
        raise NotAsciiName(
            _("{host} is not a valid international domain name: {reason}").format(
                host=host, reason=exc
            )
        ) from None


def ascii_domain_address(address: str) -> str:
    """`local@domain` with the domain as A-labels (the local part is left as it is)."""
    local, at, domain = address.rpartition("@")
    return f"{local}{at}{ascii_host(domain)}" if at else address


def needs_smtputf8(address: str) -> bool:
    """True when the address stays non-ASCII once its domain is in A-labels."""
    return not ascii_domain_address(address).isascii()
