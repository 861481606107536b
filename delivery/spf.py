"""SPF evaluation: check_host() as RFC 7208 defines it, over the async resolver."""

from __future__ import annotations

import asyncio
import ipaddress
import re
from dataclasses import dataclass

from mailgw.delivery.resolver import LookupResult, Lookups, ResolverConfig, make_resolver
from mailgw.delivery.spf_terms import (
    MacroContext,
    SpfRecord,
    SpfSyntaxError,
    Term,
    expand,
    is_spf,
    parse_record,
    truncate_domain,
)
from mailgw.i18n import _

LOOKUP_LIMIT = 10
VOID_LIMIT = 2
ADDRESS_LIMIT = 10  # address lookups per mx / ptr mechanism
DEFAULT_EXPLANATION = "the sender's domain does not authorise this address"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class SpfInputError(ValueError):
    """The question itself is malformed (not an IP address, ...)."""


@dataclass(frozen=True)
class SpfResult:
    """What check_host() returned, and why."""

    result: str
    explanation: str = ""
    lookups: int = 0
    void_lookups: int = 0
    domain: str = ""
    mechanism: str = ""  # the term that decided, e.g. "include:spf.example.com"

    @property
    def ok(self) -> bool:
        return self.result == "pass"

    def as_dict(self) -> dict[str, object]:
        return {
            "result": self.result,
            "explanation": self.explanation,
            "lookups": self.lookups,
            "void_lookups": self.void_lookups,
        }


class _Abort(Exception):
    """Ends evaluation with permerror or temperror."""

    def __init__(self, result: str, reason: str) -> None:
        super().__init__(reason)
        self.result = result
        self.reason = reason


@dataclass
class _Outcome:
    result: str
    explanation: str
    mechanism: str = ""


async def evaluate_spf(
    ip: str, sender: str, helo: str = "", *, resolver: Lookups | ResolverConfig
) -> SpfResult:
    """check_host(ip, domain of sender, sender); an empty sender means postmaster@helo."""
    address = _parse_ip(ip)
    sender = _normalise_sender(sender, helo)
    domain = sender.rpartition("@")[2]
    lookups = resolver if isinstance(resolver, Lookups) else Lookups(make_resolver(resolver))
    evaluation = _Evaluation(lookups, MacroContext(address, sender, domain, helo))
    try:
        outcome = await evaluation.check_host(domain)
    except _Abort as abort:
        outcome = _Outcome(abort.result, abort.reason)
    return SpfResult(
        outcome.result,
        outcome.explanation,
        evaluation.lookups,
        evaluation.voids,
        domain,
        outcome.mechanism,
    )


def _parse_ip(text: str) -> IPAddress:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        raise SpfInputError(
            _("{text!r} is not an IPv4 or IPv6 address").format(text=text)
        ) from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _normalise_sender(sender: str, helo: str) -> str:
    sender = sender.strip().strip("<>")
    if not sender:
        return f"postmaster@{helo}"
    if "@" not in sender:
        return f"postmaster@{sender}"
    if sender.startswith("@"):
        return "postmaster" + sender
    return sender


def valid_domain(domain: str) -> bool:
    """RFC 7208 4.3: a fully qualified name of sane labels, else the result is none."""
    name = domain[:-1] if domain.endswith(".") else domain
    labels = name.split(".")
    if len(labels) < 2 or len(name) > 253:
        return False
    return all(0 < len(label) <= 63 and not re.search(r"[\s\[\]]", label) for label in labels)


class _Evaluation:
    """One check_host() run: the lookup counters are shared through includes and redirects."""

    def __init__(self, dns: Lookups, context: MacroContext) -> None:
        self.dns = dns
        self.context = context
        self.lookups = 0
        self.voids = 0

    async def check_host(self, domain: str) -> _Outcome:
        if not valid_domain(domain):
            return _Outcome(
                "none", _("{domain!r} is not a valid domain name").format(domain=domain)
            )
        domain = domain.rstrip(".")
        record = await self._record(domain)
        if record is None:
            return _Outcome("none", _("{domain} publishes no SPF record").format(domain=domain))
        context = MacroContext(self.context.ip, self.context.sender, domain, self.context.helo)
        for term in record.directives:
            if await self._matches(term, context):
                return await self._decided(term, record, context)
        if record.redirect is not None and record.all_term is None:
            return await self._redirect(record.redirect, context)
        return _Outcome(
            "neutral", _("no mechanism of {domain}'s record matched").format(domain=domain)
        )

    async def _record(self, domain: str) -> SpfRecord | None:
        answer = await self.dns.lookup(domain, "TXT")
        if answer.failed:
            raise _Abort(
                "temperror",
                _("the SPF record of {domain} could not be read ({error})").format(
                    domain=domain, error=answer.error
                ),
            )
        records = [text for text in answer.records if is_spf(text)]
        if not records:
            return None
        if len(records) > 1:
            raise _Abort(
                "permerror",
                _("{domain} publishes {records} SPF records; one allowed").format(
                    domain=domain, records=len(records)
                ),
            )
        try:
            return parse_record(records[0])
        except SpfSyntaxError as exc:
            raise _Abort(
                "permerror", _("SPF record of {domain}: {exc}").format(domain=domain, exc=exc)
            ) from None

    async def _decided(self, term: Term, record: SpfRecord, context: MacroContext) -> _Outcome:
        where = f"{term.text} in {context.domain}"
        if term.result != "fail":
            return _Outcome(term.result, _("matched {where}").format(where=where), term.text)
        explanation = await self._explanation(record, context) or DEFAULT_EXPLANATION
        return _Outcome("fail", explanation, term.text)

    async def _redirect(self, term: Term, context: MacroContext) -> _Outcome:
        self._count_lookup(term)
        target = await self._target(term.value, context)
        outcome = await self.check_host(target)
        if outcome.result == "none":
            raise _Abort(
                "permerror", _("redirect={target} has no SPF record").format(target=target)
            )
        return outcome

    # ------------------------------------------------------------ mechanisms

    async def _matches(self, term: Term, context: MacroContext) -> bool:
        if term.costs_lookup:
            self._count_lookup(term)
        if term.name == "all":
            return True
        if term.name in ("ip4", "ip6"):
            return self._in_network(term.value, term)
        target = await self._target(term.value, context) if term.value else context.domain
        handler = {
            "include": self._include,
            "a": self._a,
            "mx": self._mx,
            "ptr": self._ptr,
            "exists": self._exists,
        }[term.name]
        return await handler(term, target)

    def _in_network(self, address: str, term: Term) -> bool:
        ip = self.context.ip
        length = term.cidr4 if ip.version == 4 else term.cidr6
        if length is None:
            return False
        try:
            network = ipaddress.ip_network(f"{address}/{length}", strict=False)
        except ValueError:
            return False
        return network.version == ip.version and ip in network

    async def _include(self, term: Term, target: str) -> bool:
        outcome = await self.check_host(target)
        if outcome.result == "pass":
            return True
        if outcome.result in ("fail", "softfail", "neutral"):
            return False
        if outcome.result == "none":
            raise _Abort("permerror", _("include:{target} has no SPF record").format(target=target))
        raise _Abort(outcome.result, outcome.explanation)

    async def _a(self, term: Term, target: str) -> bool:
        addresses = await self._addresses(target, void_counts=True)
        return self._any_in(addresses, term)

    async def _mx(self, term: Term, target: str) -> bool:
        answer = self._checked(await self.dns.lookup(target, "MX"), target, count_void=True)
        exchanges = sorted(answer.rdata, key=lambda r: r.preference)  # type: ignore[attr-defined]
        if len(exchanges) > ADDRESS_LIMIT:
            raise _Abort(
                "permerror",
                _("{target} has more than {address_limit} MX records").format(
                    target=target, address_limit=ADDRESS_LIMIT
                ),
            )
        hosts = [e.exchange.to_text().rstrip(".") for e in exchanges]  # type: ignore[attr-defined]
        hosts = [host for host in hosts if host]  # a null MX (RFC 7505) names no host
        # asked together, judged in preference order: the same result as one by one
        answers = await asyncio.gather(
            *(self.dns.lookup(host, self._address_type) for host in hosts)
        )
        for host, answer in zip(hosts, answers, strict=True):
            if self._any_in(list(self._checked(answer, host, count_void=False).records), term):
                return True
        return False

    async def _ptr(self, term: Term, target: str) -> bool:
        for name in await self._validated():
            if _within(name, target):
                return True
        return False

    async def _exists(self, term: Term, target: str) -> bool:
        answer = self._checked(await self.dns.lookup(target, "A"), target, count_void=True)
        return answer.found

    # ------------------------------------------------------------ helpers

    def _count_lookup(self, term: Term) -> None:
        self.lookups += 1
        if self.lookups > LOOKUP_LIMIT:
            raise _Abort(
                "permerror",
                _("more than {lookup_limit} DNS-querying terms ({text})").format(
                    lookup_limit=LOOKUP_LIMIT, text=term.text
                ),
            )

    def _checked(self, answer: LookupResult, name: str, *, count_void: bool) -> LookupResult:
        if answer.bad_name:
            raise _Abort("permerror", _("{name!r} is not a valid domain name").format(name=name))
        if answer.failed:
            raise _Abort(
                "temperror",
                _("lookup of {name} failed ({error})").format(name=name, error=answer.error),
            )
        if answer.void and count_void:
            self.voids += 1
            if self.voids > VOID_LIMIT:
                raise _Abort(
                    "permerror",
                    _("more than {void_limit} void lookups ({name})").format(
                        void_limit=VOID_LIMIT, name=name
                    ),
                )
        return answer

    @property
    def _address_type(self) -> str:
        return "A" if self.context.ip.version == 4 else "AAAA"

    async def _addresses(self, host: str, *, void_counts: bool = False) -> list[str]:
        answer = await self.dns.lookup(host, self._address_type)
        return list(self._checked(answer, host, count_void=void_counts).records)

    def _any_in(self, addresses: list[str], term: Term) -> bool:
        return any(self._in_network(address, term) for address in addresses)

    async def _target(self, spec: str, context: MacroContext) -> str:
        context = await self._with_validated_name(spec, context)
        try:
            return truncate_domain(expand(spec, context))
        except SpfSyntaxError as exc:
            raise _Abort("permerror", str(exc)) from None

    async def _with_validated_name(self, spec: str, context: MacroContext) -> MacroContext:
        if not re.search(r"%\{p", spec, re.I):
            return context
        names = await self._validated()
        preferred = next((n for n in names if _within(n, context.domain)), None)
        name = preferred or (names[0] if names else "unknown")
        return MacroContext(context.ip, context.sender, context.domain, context.helo, name)

    async def _validated(self) -> list[str]:
        """PTR names of the client address whose own addresses include it (RFC 7208 5.5)."""
        answer = await self.dns.lookup(_reverse_name(self.context.ip), "PTR")
        if answer.failed:
            return []
        self._checked(answer, "PTR", count_void=True)
        names = [r.rstrip(".") for r in answer.records[:ADDRESS_LIMIT]]
        answers = await asyncio.gather(*(self.dns.lookup(n, self._address_type) for n in names))
        return [
            name
            for name, addresses in zip(names, answers, strict=True)
            if any(ipaddress.ip_address(a) == self.context.ip for a in addresses.records)
        ]

    async def _explanation(self, record: SpfRecord, context: MacroContext) -> str:
        """The exp= text, or "" when there is none or it cannot be used (RFC 7208 6.2)."""
        if record.exp is None:
            return ""
        try:
            target = truncate_domain(expand(record.exp.value, context))
        except SpfSyntaxError:
            return ""
        answer = await self.dns.lookup(target, "TXT")
        if not answer.found or len(answer.records) != 1:
            return ""
        if not all(0x20 <= ord(char) <= 0x7E for char in answer.records[0]):
            return ""  # explanation text is 7-bit ASCII (RFC 7208 6.2)
        context = await self._with_validated_name(answer.records[0], context)
        try:
            return expand(answer.records[0], context, explanation=True)
        except SpfSyntaxError:
            return ""


def _within(name: str, domain: str) -> bool:
    name, domain = name.lower().rstrip("."), domain.lower().rstrip(".")
    return name == domain or name.endswith("." + domain)


def _reverse_name(ip: IPAddress) -> str:
    return ip.reverse_pointer
