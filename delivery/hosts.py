"""Host address lookup for SMTP: a server name to the addresses to connect to.

The system lookup (getaddrinfo, which honours /etc/hosts and nsswitch like the platform does)
blocks, and a broken resolver can block for long. It runs in a daemon thread that nobody joins,
so the overall deadline holds even when getaddrinfo does not return: `asyncio.run()` joins the
loop's default executor at exit, which would wait for it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from mailgw.delivery.errors import ResolveError
from mailgw.i18n import _

Resolver = Callable[[str], Awaitable[list[str]]]
BlockingLookup = Callable[[str], list[str]]


def literal_address(host: str) -> str | None:
    """The address if `host` is an IP literal (brackets allowed), else None."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def getaddrinfo_addresses(host: str) -> list[str]:
    """The system's addresses for `host` (blocking); raises ResolveError."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ResolveError(host, exc.strerror or str(exc)) from None
    return _unique(str(info[4][0]) for info in infos)


def threaded_resolver(lookup: BlockingLookup) -> Resolver:
    """A resolver running the blocking `lookup` in a daemon thread that nobody waits for."""

    async def resolve(host: str) -> list[str]:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[list[str]] = loop.create_future()

        def work() -> None:
            try:
                outcome: tuple[Any, BaseException | None] = (lookup(host), None)
            except BaseException as exc:  # delivered to the awaiting task, not lost in a thread
                outcome = (None, exc)
            try:
                loop.call_soon_threadsafe(_deliver, answer, *outcome)
            except RuntimeError:  # the loop is closed: the deadline passed, nobody is waiting
                pass

        threading.Thread(target=work, name=f"resolve {host}", daemon=True).start()
        return await answer

    return resolve


def _deliver(answer: asyncio.Future[list[str]], value: Any, error: BaseException | None) -> None:
    if answer.done():  # cancelled, or the deadline passed
        return
    if error is not None:
        answer.set_exception(error)
    else:
        answer.set_result(value)


system_resolver: Resolver = threaded_resolver(getaddrinfo_addresses)


def dns_resolver(nameserver: str, port: int = 53, lifetime: float = 5.0) -> Resolver:
    """A resolver asking one DNS server directly (A and AAAA), through resolver.Lookups."""
    from mailgw.delivery.resolver import Lookups, Outcome, ResolverConfig, make_resolver

    lookups = Lookups(make_resolver(ResolverConfig(timeout=lifetime), [(nameserver, port)]))

    async def resolve(host: str) -> list[str]:
        results = await lookups.many([(host, "A"), (host, "AAAA")])
        if any(r.outcome is Outcome.NXDOMAIN for r in results.values()):
            raise ResolveError(host, _("no such domain (NXDOMAIN)"))
        found = [record for r in results.values() for record in r.records]
        if not found:
            errors = [r.error for r in results.values() if r.failed]
            raise ResolveError(host, errors[0] if errors else _("no address records"))
        return _unique(found)

    return resolve


async def resolve_host(host: str, resolver: Resolver | None) -> list[str]:
    """Addresses for `host`: IP literals as they are, names through the resolver."""
    address = literal_address(host)
    if address is not None:
        return [address]
    return await (resolver or system_resolver)(host)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
