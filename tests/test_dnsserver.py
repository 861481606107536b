"""The loopback DNS server the other tests rely on answers like an authoritative server."""

from __future__ import annotations

import asyncio

import dns.asyncresolver
import dns.exception
import dns.message
import dns.query
import dns.resolver
import pytest

from tests.support.dnsserver import LoopbackDNSServer, Zone, serving, txt


def _resolver(server: LoopbackDNSServer, timeout: float = 1.0) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [server.host]
    resolver.port = server.port
    resolver.lifetime = timeout
    resolver.timeout = timeout
    return resolver


def _zone() -> Zone:
    zone = Zone()
    zone.add_txt("example.test", "v=spf1 include:spf.mandrillapp.com -all", "mandrill_verify.K1")
    zone.add("mte1._domainkey.example.test", "CNAME", "dkim1.provider.test.")
    zone.add_txt("dkim1.provider.test", "v=DKIM1; k=rsa; p=AAAA")
    zone.add("mail.example.test", "A", "127.0.0.1")
    return zone


def test_answers_txt_and_follows_cname() -> None:
    with serving(_zone()) as server:
        resolver = _resolver(server)
        answer = resolver.resolve("example.test", "TXT")
        texts = sorted(b"".join(r.strings).decode() for r in answer)
        assert texts == ["mandrill_verify.K1", "v=spf1 include:spf.mandrillapp.com -all"]
        answer = resolver.resolve("mte1._domainkey.example.test", "TXT")
        assert answer.canonical_name.to_text() == "dkim1.provider.test."


def test_missing_name_is_nxdomain_and_missing_type_is_nodata() -> None:
    with serving(_zone()) as server:
        resolver = _resolver(server)
        with pytest.raises(dns.resolver.NXDOMAIN):
            resolver.resolve("nothing.example.test", "TXT")
        with pytest.raises(dns.resolver.NoAnswer):
            resolver.resolve("mail.example.test", "TXT")
        with pytest.raises(dns.resolver.NoAnswer):  # empty non-terminal exists
            resolver.resolve("_domainkey.example.test", "TXT")


def test_servfail_and_silence() -> None:
    zone = _zone()
    zone.servfail_names.add("broken.example.test.")
    zone.silent_names.add("slow.example.test.")
    with serving(zone) as server:
        resolver = _resolver(server, timeout=0.3)
        with pytest.raises(dns.resolver.NoNameservers):
            resolver.resolve("broken.example.test", "TXT")
        with pytest.raises(dns.exception.Timeout):
            resolver.resolve("slow.example.test", "TXT")


def test_large_answer_is_truncated_over_udp_and_whole_over_tcp() -> None:
    zone = Zone()
    zone.add_txt("big.example.test", *[f"record-{i}-" + "x" * 200 for i in range(6)])
    with serving(zone) as server:
        query = dns.message.make_query("big.example.test", "TXT")
        udp = dns.query.udp(query, server.host, port=server.port, timeout=1, ignore_trailing=True)
        assert udp.flags & dns.flags.TC and not udp.answer
        assert len(_resolver(server).resolve("big.example.test", "TXT")) == 6  # TCP fallback
        assert ("tcp", "big.example.test.", "TXT") in server.queries


def test_long_txt_values_split_into_255_byte_strings() -> None:
    value = "v=DKIM1; k=rsa; p=" + "A" * 400
    assert txt(value).count('" "') == 1
    zone = Zone().add_txt("sel._domainkey.example.test", value)
    with serving(zone) as server:
        record = _resolver(server).resolve("sel._domainkey.example.test", "TXT")[0]
        assert [len(s) for s in record.strings] == [255, len(value) - 255]
        assert b"".join(record.strings).decode() == value


async def test_delayed_answers_are_served_concurrently() -> None:
    with serving(_zone(), delay=0.2) as server:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [server.host]
        resolver.port = server.port
        for i in range(5):
            server.zone.add(f"n{i}.example.test", "A", "127.0.0.1")
        names = [f"n{i}.example.test" for i in range(5)]
        await asyncio.gather(*(resolver.resolve(name, "A") for name in names))
        assert server.max_in_flight == 5  # all five waited at once, none queued behind another
