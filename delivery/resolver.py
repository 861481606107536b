"""DNS lookups for the sender-domain checks: one configurable async resolver, typed outcomes.

Every lookup ends in one of four outcomes, so callers never confuse "not there" with "not
answered": an answer, NXDOMAIN, no data of that type, or an error (timeout, SERVFAIL, refused).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailgw.config.nameservers import NameserverError, split_nameserver
from mailgw.i18n import _

if TYPE_CHECKING:  # dnspython (~30 ms) is imported by the first resolver made, not with us
    import dns.asyncresolver
    import dns.message
    import dns.resolver

DEFAULT_TIMEOUT = 5.0
TRUNCATED = "the answer was truncated, even over TCP"  # a broken server or middlebox
NAMESERVERS_ENV = "MAILGW_NAMESERVERS"
BAD_NAME = "bad name"  # error prefix: the name cannot be asked at all, so asking again won't help


class DnsConfigError(ValueError):
    """A resolver setting cannot be used (e.g. a malformed --nameserver)."""


@dataclass(frozen=True)
class ResolverConfig:
    """Which servers to ask and how long to wait.

    `nameservers` are "IP" or "IP:PORT" ("[IPv6]:PORT"); empty = the system's resolv.conf.
    `authoritative_port` is the port the domain's own name servers are asked on for the
    propagation check: 53 on the internet; tests point it at loopback servers.
    """

    nameservers: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    authoritative_port: int = 53
    check_authoritative: bool = True


class Outcome(str, enum.Enum):
    ANSWER = "answer"
    NXDOMAIN = "nxdomain"
    NODATA = "nodata"
    ERROR = "error"


@dataclass(frozen=True)
class LookupResult:
    """One name and type, looked up once."""

    name: str
    rdtype: str
    outcome: Outcome
    records: tuple[str, ...] = ()  # presentation form; TXT strings joined into one value
    ttl: int = 0  # of the answer, or the negative-caching TTL for NXDOMAIN / no data
    error: str = ""  # for Outcome.ERROR: "timeout", "SERVFAIL", ...
    canonical: str = ""  # the name the answer came from, after following CNAMEs
    rdata: tuple[object, ...] = field(default=(), compare=False, repr=False)

    @property
    def found(self) -> bool:
        return self.outcome is Outcome.ANSWER

    @property
    def void(self) -> bool:
        """NXDOMAIN or an empty answer: a "void lookup" in RFC 7208's sense."""
        return self.outcome in (Outcome.NXDOMAIN, Outcome.NODATA)

    @property
    def failed(self) -> bool:
        return self.outcome is Outcome.ERROR

    @property
    def bad_name(self) -> bool:
        """The name itself is malformed (a label over 63 bytes, an empty label): permanent."""
        return self.failed and self.error.startswith(BAD_NAME)

    def describe(self) -> str:
        if self.outcome is Outcome.ANSWER:
            return "; ".join(self.records)
        if self.outcome is Outcome.ERROR:
            return _("no answer ({error})").format(error=self.error)
        return _("no record") if self.outcome is Outcome.NODATA else _("name does not exist")


def parse_nameserver(text: str, default_port: int = 53) -> tuple[str, int]:
    """ "IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6 address -> (ip, port)."""
    try:
        return split_nameserver(text, default_port)
    except NameserverError as exc:
        raise DnsConfigError(str(exc)) from None


def choose_nameservers(
    flags: Sequence[str], configured: Sequence[str], environ: Mapping[str, str]
) -> tuple[str, ...]:
    """The one rule for every front: `--nameserver`, else `$MAILGW_NAMESERVERS`, else the
    config's `dns.nameservers`; () = the system's resolver. A malformed one names its source."""
    from_env = tuple(environ.get(NAMESERVERS_ENV, "").replace(",", " ").split())
    sources = (("--nameserver", tuple(flags)), (f"${NAMESERVERS_ENV}", from_env))
    for source, servers in (*sources, ("dns.nameservers", tuple(configured))):
        if servers:
            for server in servers:
                try:
                    split_nameserver(server)
                except NameserverError as exc:
                    raise DnsConfigError(f"{source}: {exc}") from None
            return servers
    return ()


def make_resolver(
    config: ResolverConfig, servers: Sequence[tuple[str, int]] | None = None
) -> dns.asyncresolver.Resolver:
    """An async resolver for the configured servers (or the given (ip, port) pairs)."""
    import dns.asyncresolver
    import dns.nameserver

    if servers is None and not config.nameservers:
        try:
            resolver = dns.asyncresolver.Resolver()
        except dns.resolver.NoResolverConfiguration as exc:
            raise DnsConfigError(
                _(
                    "this machine has no DNS resolver configured: set dns.nameservers "
                    "(or pass --nameserver IP to a command)"
                )
            ) from exc
    else:
        resolver = dns.asyncresolver.Resolver(configure=False)
        pairs = (
            servers if servers is not None else [parse_nameserver(n) for n in config.nameservers]
        )
        resolver.nameservers = [dns.nameserver.Do53Nameserver(ip, port) for ip, port in pairs]
    resolver.timeout = config.timeout
    resolver.lifetime = config.timeout
    resolver.retry_servfail = False
    resolver.cache = None
    return resolver


class Lookups:
    """Async lookups through one resolver, with a log of every question asked."""

    def __init__(self, resolver: dns.asyncresolver.Resolver) -> None:
        self.resolver = resolver
        self.asked: list[tuple[str, str]] = []

    async def lookup(self, name: str, rdtype: str) -> LookupResult:
        """Ask once; never raises for DNS reasons (the outcome says what happened)."""
        import dns.exception
        import dns.flags
        import dns.name
        import dns.resolver

        self.asked.append((name, rdtype))
        try:
            answer = await self.resolver.resolve(
                name, rdtype, raise_on_no_answer=False, search=False
            )
        except dns.resolver.NXDOMAIN as exc:
            return LookupResult(name, rdtype, Outcome.NXDOMAIN, ttl=_nxdomain_ttl(exc))
        except dns.resolver.NoNameservers as exc:
            return LookupResult(name, rdtype, Outcome.ERROR, error=_servfail_reason(exc))
        except dns.exception.Timeout:
            return LookupResult(name, rdtype, Outcome.ERROR, error="timeout")
        except (
            dns.name.LabelTooLong,
            dns.name.NameTooLong,
            dns.name.EmptyLabel,
            dns.name.IDNAException,
        ) as exc:
            return LookupResult(name, rdtype, Outcome.ERROR, error=f"{BAD_NAME}: {exc}")
        except dns.exception.DNSException as exc:
            return LookupResult(name, rdtype, Outcome.ERROR, error=str(exc) or type(exc).__name__)
        if answer.response.flags & dns.flags.TC:  # cut short even over TCP: not "nothing there"
            return LookupResult(name, rdtype, Outcome.ERROR, error=TRUNCATED)
        if answer.rrset is None:
            return LookupResult(name, rdtype, Outcome.NODATA, ttl=_soa_ttl(answer.response))
        rdata = tuple(answer.rrset)
        return LookupResult(
            name,
            rdtype,
            Outcome.ANSWER,
            records=tuple(_text(r) for r in rdata),
            ttl=answer.rrset.ttl,
            canonical=answer.canonical_name.to_text().rstrip("."),
            rdata=rdata,
        )

    async def many(
        self, questions: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], LookupResult]:
        """Independent lookups, all at once."""
        results = await asyncio.gather(*(self.lookup(n, t) for n, t in questions))
        return dict(zip(questions, results, strict=True))


def _text(rdata: object) -> str:
    import dns.rdatatype

    if getattr(rdata, "rdtype", None) == dns.rdatatype.TXT:
        return b"".join(rdata.strings).decode("utf-8", "replace")  # type: ignore[attr-defined]
    return rdata.to_text()  # type: ignore[attr-defined]


def _soa_ttl(response: dns.message.Message | None) -> int:
    """Negative-caching TTL (RFC 2308): min(SOA TTL, SOA minimum)."""
    import dns.rdatatype

    if response is None:
        return 0
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA:
            return min(rrset.ttl, rrset[0].minimum)
    return 0


def _nxdomain_ttl(exc: dns.resolver.NXDOMAIN) -> int:
    responses = exc.kwargs.get("responses") or {}
    for response in responses.values():
        return _soa_ttl(response)
    return 0


def _servfail_reason(exc: dns.resolver.NoNameservers) -> str:
    text = str(exc)
    for code in ("SERVFAIL", "REFUSED", "NOTIMP", "FORMERR"):
        if code in text:
            return code
    return _("no server answered")
