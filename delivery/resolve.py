"""Host name resolution that never blocks the event loop, and can be swapped out in tests."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

from mailgw.delivery.errors import ResolveError

Resolver = Callable[[str], Awaitable[list[str]]]


def literal_address(host: str) -> str | None:
    """The address if `host` is an IP literal (brackets allowed), else None."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


async def system_resolver(host: str) -> list[str]:
    """getaddrinfo in a worker thread: honours /etc/hosts and nsswitch like the platform does."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ResolveError(host, exc.strerror or str(exc)) from None
    return _unique(str(info[4][0]) for info in infos)


def dns_resolver(nameserver: str, port: int = 53, lifetime: float = 5.0) -> Resolver:
    """A resolver asking one DNS server directly (A, then AAAA), through dnspython."""
    import dns.asyncresolver
    import dns.exception
    import dns.resolver

    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [nameserver]
    resolver.port = port
    resolver.lifetime = lifetime

    async def resolve(host: str) -> list[str]:
        found: list[str] = []
        reason = "no address records"
        for rdtype in ("A", "AAAA"):
            try:
                answer = await resolver.resolve(host, rdtype)
            except dns.resolver.NXDOMAIN:
                raise ResolveError(host, "no such domain (NXDOMAIN)") from None
            except dns.resolver.NoAnswer:
                continue
            except dns.exception.DNSException as exc:
                reason = str(exc) or type(exc).__name__
                continue
            found.extend(rdata.to_text() for rdata in answer)
        if not found:
            raise ResolveError(host, reason)
        return _unique(found)

    return resolve


async def resolve_host(host: str, resolver: Resolver | None) -> list[str]:
    """Addresses for `host`: IP literals as they are, names through the resolver."""
    address = literal_address(host)
    if address is not None:
        return [address]
    return await (resolver or system_resolver)(host)


def _unique(items: object) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:  # type: ignore[attr-defined]
        seen.setdefault(item, None)
    return list(seen)
