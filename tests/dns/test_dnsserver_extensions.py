"""The loopback DNS server's additions: odd names, half-silent names, one failing question."""

from __future__ import annotations

import dns.exception
import dns.resolver
import pytest

from tests.support.dnsserver import Zone, serving


def _resolver(port: int) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = port
    resolver.lifetime = resolver.timeout = 0.3
    return resolver


def test_names_with_spaces_and_percent_signs_are_served() -> None:
    zone = Zone().add("macro%percent  space.example.test", "A", "192.0.2.1")
    with serving(zone) as server:
        answer = _resolver(server.port).resolve("macro%percent\\032\\032space.example.test", "A")
        assert answer[0].to_text() == "192.0.2.1"


def test_silent_for_other_types_answers_only_what_it_holds() -> None:
    zone = Zone().add_txt("half.example.test", "v=spf1 -all")
    zone.silent_for_other_types.add("half.example.test.")
    with serving(zone) as server:
        resolver = _resolver(server.port)
        assert resolver.resolve("half.example.test", "TXT")[0].strings == (b"v=spf1 -all",)
        with pytest.raises(dns.exception.Timeout):
            resolver.resolve("half.example.test", "A")


def test_servfail_questions_fail_only_that_type() -> None:
    zone = Zone().add_txt("sub.example.test", "v=spf1 -all").add("sub.example.test", "NS", "ns.")
    zone.servfail_questions.add(("sub.example.test.", "NS"))
    with serving(zone) as server:
        resolver = _resolver(server.port)
        resolver.retry_servfail = False
        assert resolver.resolve("sub.example.test", "TXT")[0].strings == (b"v=spf1 -all",)
        with pytest.raises(dns.resolver.NoNameservers, match="SERVFAIL"):
            resolver.resolve("sub.example.test", "NS")


async def test_an_answer_truncated_even_over_tcp_is_an_error_not_missing() -> None:
    from mailgw.delivery.resolver import Lookups, Outcome, ResolverConfig, make_resolver

    big = " ".join(["v=spf1", *[f"ip4:192.0.2.{n}" for n in range(120)], "-all"])
    zone = Zone().add_txt("big.example.test", big)  # too big for UDP: asked again over TCP
    with serving(zone) as server:
        server.truncate_tcp = True  # ...where a broken server truncates it too
        lookups = Lookups(make_resolver(ResolverConfig((server.nameserver,), timeout=2)))
        result = await lookups.lookup("big.example.test", "TXT")
        assert ("tcp", "big.example.test.", "TXT") in server.queries
    assert result.outcome is Outcome.ERROR and "truncated" in result.error
