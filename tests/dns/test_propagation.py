"""Two authoritative servers with different zone versions: published-but-not-visible is pending."""

from __future__ import annotations

from mailgw.delivery.domain import DomainReport, check_domain
from mailgw.delivery.findings import Status
from mailgw.delivery.resolver import ResolverConfig
from tests.dns.authoritative import authoritative_servers
from tests.dns.zones import DOMAIN, good_zone, settings
from tests.support.dnsserver import Zone, serving


def _zones(ns: list[str]) -> tuple[Zone, Zone]:
    """(new, old): the old version has no mte1 CNAME yet; both name the two servers."""
    new, old = good_zone(), good_zone()
    old.remove(f"mte1._domainkey.{DOMAIN}", "CNAME")
    old.serial, new.serial = 1, 2
    for zone in (new, old):
        zone.remove(DOMAIN, "NS")
        zone.remove(f"ns1.{DOMAIN}", "A")
        zone.add(DOMAIN, "NS", f"ns1.{DOMAIN}.", f"ns2.{DOMAIN}.")
        zone.add(f"ns1.{DOMAIN}", "A", ns[0])
        zone.add(f"ns2.{DOMAIN}", "A", ns[1])
    return new, old


async def _check(resolver_zone: str) -> tuple[DomainReport, list[str]]:
    from tests.dns.authoritative import worker_addresses

    hosts = worker_addresses(2)
    new, old = _zones(hosts)
    with authoritative_servers([new, old]) as (ns1, _ns2):
        with serving(old if resolver_zone == "old" else new) as resolver:
            config = ResolverConfig((resolver.nameserver,), timeout=1, authoritative_port=ns1.port)
            report = await check_domain(settings(), resolver_config=config)
    return report, hosts


async def test_record_on_one_authoritative_server_but_not_at_the_resolver_is_pending() -> None:
    report, hosts = await _check(resolver_zone="old")
    statuses = {f.check: f.status for f in report.findings}
    assert statuses["dkim:mte1"] is Status.PENDING
    assert statuses["dkim:mte2"] is Status.OK and statuses["spf"] is Status.OK
    pending = next(f for f in report.findings if f.check == "dkim:mte1")
    assert f"ns1.{DOMAIN}" in pending.title and "60 s" in pending.title
    assert hosts[0] in pending.found
    assert not report.ok and not report.problems
    assert sorted(report.authoritative) == [
        f"ns1.{DOMAIN} ({hosts[0]})",
        f"ns2.{DOMAIN} ({hosts[1]})",
    ]


async def test_record_the_resolver_sees_but_one_server_lacks_is_pending() -> None:
    report, hosts = await _check(resolver_zone="new")
    pending = next(f for f in report.findings if f.check == "dkim:mte1")
    assert pending.status is Status.PENDING
    assert f"ns2.{DOMAIN} ({hosts[1]}) does not serve it yet" in pending.title


async def test_missing_everywhere_stays_missing() -> None:
    from tests.dns.authoritative import worker_addresses

    hosts = worker_addresses(2)
    _, old = _zones(hosts)
    with authoritative_servers([old, old]) as (ns1, _):
        with serving(old) as resolver:
            config = ResolverConfig((resolver.nameserver,), timeout=1, authoritative_port=ns1.port)
            report = await check_domain(settings(), resolver_config=config)
    assert {f.check: f.status for f in report.findings}["dkim:mte1"] is Status.MISSING


async def test_a_failed_ns_lookup_skips_propagation_instead_of_asking_the_parent() -> None:
    from tests.dns.authoritative import worker_addresses

    sub = f"mail.{DOMAIN}"
    (parent_ns,) = worker_addresses(1)
    resolver_zone = good_zone(domain=sub)  # every record of the subdomain is correct
    resolver_zone.remove(sub, "NS")
    resolver_zone.servfail_questions.add((f"{sub}.", "NS"))
    resolver_zone.add(DOMAIN, "NS", f"ns1.{DOMAIN}.").add(f"ns1.{DOMAIN}", "A", parent_ns)
    # the parent zone's server knows nothing of the subdomain (it is delegated elsewhere)
    with authoritative_servers([good_zone()]) as (parent,):
        with serving(resolver_zone) as resolver:
            config = ResolverConfig(
                (resolver.nameserver,), timeout=1, authoritative_port=parent.port
            )
            report = await check_domain(
                settings(from_address=f"alerts@{sub}"), resolver_config=config
            )
        asked_parent = len(parent.queries)
    assert {f.status for f in report.findings} == {Status.OK}, report.findings
    assert report.authoritative == [] and asked_parent == 0
    assert report.notes == [
        f"propagation not checked: the name servers of {sub} could not be looked up (SERVFAIL)"
    ]
