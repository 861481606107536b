"""mailgw dns's engine against a real DNS server on loopback: correct and broken domains."""

from __future__ import annotations

import asyncio

import pytest

from mailgw.config.model import Gateway, Settings
from mailgw.delivery.domain import DomainReport, check_domain
from mailgw.delivery.findings import Status
from mailgw.delivery.resolver import Lookups, ResolverConfig, make_resolver
from mailgw.delivery.spf_tally import tally_spf
from mailgw.delivery.spf_terms import parse_record
from tests.dns.keys import rsa_key, short_rsa_public
from tests.dns.zones import DOMAIN, good_zone, set_txt, settings
from tests.support.dnsserver import Zone, serving


async def _check(zone: Zone, config: Settings | None = None, **options: object) -> DomainReport:
    with serving(zone, **options) as server:  # type: ignore[arg-type]
        # generous: the loopback server answers in ms; 0.5 s ran out on a loaded machine
        resolver = ResolverConfig((server.nameserver,), timeout=5, authoritative_port=server.port)
        return await check_domain(config or settings(), resolver_config=resolver)


def _status(report: DomainReport) -> dict[str, Status]:
    return {f.check: f.status for f in report.findings}


def _finding(report: DomainReport, check: str):  # noqa: ANN202
    return next(f for f in report.findings if f.check == check)


async def test_correct_domain_is_all_ok() -> None:
    report = await _check(good_zone())
    assert list(_status(report)) == ["verification", "spf", "dkim:mte1", "dkim:mte2", "dmarc", "mx"]
    assert set(_status(report).values()) == {Status.OK}, report.findings
    assert report.ok and report.authoritative == ["ns1.example.test (127.0.0.1)"]


async def test_json_shape_matches_the_contract() -> None:
    data = (await _check(good_zone())).as_dict()
    assert data["domain"] == DOMAIN
    assert {"check", "status", "found", "expected", "fix"} <= set(data["findings"][0])


async def test_two_spf_records_are_wrong() -> None:
    zone = good_zone()
    zone.add_txt(DOMAIN, "v=spf1 mx -all")
    spf = _finding(await _check(zone), "spf")
    assert spf.status is Status.WRONG and "2 SPF records" in spf.title
    assert spf.expected.count("v=spf1") == 1


async def test_more_than_ten_lookups_through_includes_is_wrong() -> None:
    zone = good_zone()
    includes = " ".join(f"include:i{n}.example.test" for n in range(5))
    set_txt(
        zone, DOMAIN, "mandrill_verify.K1", f"v=spf1 include:spf.mandrillapp.com {includes} -all"
    )
    for n in range(5):
        zone.add_txt(f"i{n}.example.test", "v=spf1 a mx -all")
        zone.add(f"i{n}.example.test", "A", "127.0.0.1")
        zone.add(f"i{n}.example.test", "MX", f"10 mail.{DOMAIN}.")
    spf = _finding(await _check(zone), "spf")
    assert spf.status is Status.WRONG
    assert "16 DNS-querying terms" in spf.title


async def test_redirect_beside_an_all_costs_no_lookup() -> None:
    zone = good_zone()
    hosts = " ".join(f"a:h{n}.example.test" for n in range(9))  # 9 + the include = the limit
    current = f"v=spf1 include:spf.mandrillapp.com {hosts} -all redirect=r.example.test"
    set_txt(zone, DOMAIN, "mandrill_verify.K1", current)
    for n in range(9):
        zone.add(f"h{n}.example.test", "A", "192.0.2.1")
    zone.add_txt("r.example.test", "v=spf1 a mx -all")  # never followed (RFC 7208 6.1)
    with serving(zone) as server:
        lookups = Lookups(make_resolver(ResolverConfig((server.nameserver,), timeout=0.5)))
        tally = await tally_spf(parse_record(current), DOMAIN, lookups)
    assert tally.lookups == 10 and ("r.example.test", "TXT") not in lookups.asked
    spf = _finding(await _check(zone), "spf")
    assert spf.status is Status.OK, spf.title


async def test_include_loop_is_wrong() -> None:
    zone = good_zone()
    set_txt(
        zone,
        DOMAIN,
        "mandrill_verify.K1",
        "v=spf1 include:spf.mandrillapp.com include:loop.example.test -all",
    )
    zone.add_txt("loop.example.test", f"v=spf1 include:{DOMAIN} -all")
    spf = _finding(await _check(zone), "spf")
    assert spf.status is Status.WRONG and "loops back" in spf.title


async def test_spf_without_the_gateway_include_proposes_the_merge() -> None:
    zone = good_zone()
    set_txt(zone, DOMAIN, "mandrill_verify.K1", "v=spf1 mx -all")
    spf = _finding(await _check(zone), "spf")
    assert spf.status is Status.WRONG
    assert spf.expected == "v=spf1 mx include:spf.mandrillapp.com -all"


@pytest.mark.parametrize(
    ("current", "why"),
    [
        ("v=spf1 -all include:spf.mandrillapp.com", "after `all`"),
        ("v=spf1 ~include:spf.mandrillapp.com -all", "qualifier"),
    ],
    ids=["after-all", "softfail-qualifier"],
)
async def test_spf_include_that_never_passes_is_wrong_and_the_fix_replaces_it(
    current: str, why: str
) -> None:
    zone = good_zone()
    set_txt(zone, DOMAIN, "mandrill_verify.K1", current)
    spf = _finding(await _check(zone), "spf")
    assert spf.status is Status.WRONG and why in spf.title
    assert spf.expected == "v=spf1 include:spf.mandrillapp.com -all"
    assert spf.expected in spf.fix


async def test_spf_all_qualifiers_and_ptr() -> None:
    zone = good_zone()
    set_txt(zone, DOMAIN, "mandrill_verify.K1", "v=spf1 include:spf.mandrillapp.com ?all")
    assert _finding(await _check(zone), "spf").status is Status.WARNING
    set_txt(zone, DOMAIN, "mandrill_verify.K1", "v=spf1 include:spf.mandrillapp.com +all")
    assert _finding(await _check(zone), "spf").status is Status.WRONG
    set_txt(zone, DOMAIN, "mandrill_verify.K1", "v=spf1 ptr include:spf.mandrillapp.com -all")
    spf = _finding(await _check(zone), "spf")
    assert spf.status is Status.WARNING and "ptr" in spf.title


async def test_missing_dkim_cname_is_missing() -> None:
    zone = good_zone()
    zone.remove(f"mte2._domainkey.{DOMAIN}", "CNAME")
    statuses = _status(await _check(zone))
    assert statuses["dkim:mte2"] is Status.MISSING and statuses["dkim:mte1"] is Status.OK


async def test_cname_to_the_wrong_target_is_wrong() -> None:
    zone = good_zone()
    zone.remove(f"mte1._domainkey.{DOMAIN}", "CNAME")
    zone.add(f"mte1._domainkey.{DOMAIN}", "CNAME", "dkim2.mandrillapp.com.")
    finding = _finding(await _check(zone), "dkim:mte1")
    assert finding.status is Status.WRONG and "dkim2.mandrillapp.com" in finding.title


async def test_revoked_key_is_wrong() -> None:
    zone = good_zone()
    set_txt(zone, "dkim1.mandrillapp.com", "v=DKIM1; k=rsa; p=")
    finding = _finding(await _check(zone), "dkim:mte1")
    assert finding.status is Status.WRONG and "revoked" in finding.title


async def test_short_keys_are_wrong_under_1024_and_a_warning_under_2048() -> None:
    zone = good_zone()
    set_txt(zone, "dkim1.mandrillapp.com", f"v=DKIM1; k=rsa; p={short_rsa_public(512)}")
    set_txt(zone, "dkim2.mandrillapp.com", rsa_key(1024).record)
    report = await _check(zone)
    assert _finding(report, "dkim:mte1").status is Status.WRONG
    assert "512 bits" in _finding(report, "dkim:mte1").title
    assert _finding(report, "dkim:mte2").status is Status.WARNING


async def test_testing_flag_is_a_warning() -> None:
    zone = good_zone()
    set_txt(zone, "dkim1.mandrillapp.com", rsa_key(2048).record + "; t=y")
    finding = _finding(await _check(zone), "dkim:mte1")
    assert finding.status is Status.WARNING and "t=y" in finding.title


async def test_dmarc_syntax_error_is_wrong() -> None:
    zone = good_zone()
    set_txt(zone, f"_dmarc.{DOMAIN}", "v=DMARC1; p=maybe;")
    finding = _finding(await _check(zone), "dmarc")
    assert finding.status is Status.WRONG and "p=maybe" in finding.title


async def test_dmarc_without_the_semicolon_says_the_semicolon_is_missing() -> None:
    """It does start with v=DMARC1: saying it must would send the admin looking elsewhere."""
    zone = good_zone()
    set_txt(zone, f"_dmarc.{DOMAIN}", "v=DMARC1 p=none")
    finding = _finding(await _check(zone), "dmarc")
    assert finding.status is Status.WRONG and 'followed by ";"' in finding.title
    assert "must start with" not in finding.title


async def test_strict_dmarc_with_broken_dkim_says_mail_will_be_rejected() -> None:
    zone = good_zone()
    set_txt(zone, f"_dmarc.{DOMAIN}", "v=DMARC1; p=reject;")
    zone.remove(f"mte1._domainkey.{DOMAIN}", "CNAME")
    zone.remove(f"mte2._domainkey.{DOMAIN}", "CNAME")
    finding = _finding(await _check(zone), "dmarc")
    assert finding.status is Status.WRONG and "reject" in finding.title


async def test_dmarc_of_a_subdomain_sender_falls_back_to_the_organisational_domain() -> None:
    zone = good_zone()
    config = settings(from_address=f"alerts@mail.{DOMAIN}")
    config.sender_domain.domain = DOMAIN
    finding = _finding(await _check(zone, config), "dmarc")
    assert finding.status is Status.OK, finding


async def test_verification_with_another_key_is_wrong() -> None:
    finding = _finding(await _check(good_zone(), settings(key="OTHER")), "verification")
    assert finding.status is Status.WRONG and finding.expected == "mandrill_verify.OTHER"


async def test_missing_mx_is_only_a_warning() -> None:
    zone = good_zone()
    zone.remove(DOMAIN, "MX")
    report = await _check(zone)
    assert _status(report)["mx"] is Status.WARNING and report.ok


async def test_servfail_is_an_error_never_missing() -> None:
    zone = good_zone()
    zone.servfail_names.add(f"_dmarc.{DOMAIN}.")
    finding = _finding(await _check(zone), "dmarc")
    assert finding.status is Status.ERROR and "SERVFAIL" in finding.title


async def test_a_server_that_never_answers_gives_errors_not_missing() -> None:
    with serving(good_zone()) as server:
        server.silent = True
        resolver = ResolverConfig((server.nameserver,), timeout=0.3)
        report = await check_domain(settings(), resolver_config=resolver)
    assert {f.status for f in report.findings} == {Status.ERROR}
    assert all("timeout" in f.title for f in report.findings)


async def test_an_answer_too_big_for_udp_comes_over_tcp() -> None:
    zone = good_zone()
    for n in range(8):
        zone.add_txt(DOMAIN, f"filler-{n}-" + "x" * 120)
    with serving(zone) as server:
        resolver = ResolverConfig((server.nameserver,), timeout=1, check_authoritative=False)
        report = await check_domain(settings(), resolver_config=resolver)
        assert ("tcp", f"{DOMAIN}.", "TXT") in server.queries
    assert _status(report)["spf"] is Status.OK and _status(report)["verification"] is Status.OK


async def test_own_server_address_must_evaluate_to_pass() -> None:
    config = settings()
    config.smtp.gateway = Gateway.CUSTOM
    config.smtp.provider = "own_server"
    config.smtp.host = "192.0.2.25"
    zone = good_zone()
    set_txt(zone, DOMAIN, "v=spf1 ip4:192.0.2.0/24 -all")
    assert _finding(await _check(zone, config), "spf").status is Status.OK
    set_txt(zone, DOMAIN, "v=spf1 ip4:198.51.100.0/24 -all")
    finding = _finding(await _check(zone, config), "spf")
    assert finding.status is Status.WRONG and "192.0.2.25 gets fail" in finding.title


async def test_all_first_round_lookups_run_concurrently() -> None:
    with serving(good_zone(), delay=0.05) as server:
        resolver = ResolverConfig((server.nameserver,), timeout=2, authoritative_port=server.port)
        await check_domain(settings(), resolver_config=resolver)
        assert server.max_in_flight >= 8


async def test_key_published_as_txt_instead_of_the_cname_is_a_warning() -> None:
    zone = good_zone()
    zone.remove(f"mte1._domainkey.{DOMAIN}", "CNAME")
    zone.add_txt(f"mte1._domainkey.{DOMAIN}", rsa_key(2048).record)
    finding = _finding(await _check(zone), "dkim:mte1")
    assert finding.status is Status.WARNING and "instead of a CNAME" in finding.title


async def test_more_than_two_void_lookups_is_wrong() -> None:
    zone = good_zone()
    terms = " ".join(f"a:gone{n}.example.test" for n in range(3))
    set_txt(zone, DOMAIN, "mandrill_verify.K1", f"v=spf1 {terms} include:spf.mandrillapp.com -all")
    spf = _finding(await _check(zone), "spf")
    assert spf.status is Status.WRONG and "3 void lookups" in spf.title


async def test_two_dmarc_records_are_wrong() -> None:
    zone = good_zone()
    zone.add_txt(f"_dmarc.{DOMAIN}", "v=DMARC1; p=reject;")
    finding = _finding(await _check(zone), "dmarc")
    assert finding.status is Status.WRONG and "2 DMARC records" in finding.title


async def test_unreachable_authoritative_servers_are_noted_not_failed() -> None:
    zone = good_zone()
    zone.remove(f"ns1.{DOMAIN}", "A")
    zone.add(f"ns1.{DOMAIN}", "A", "127.0.0.1")
    with serving(zone) as server, serving(Zone()) as silent:
        silent.silent = True
        resolver = ResolverConfig((server.nameserver,), timeout=0.3, authoritative_port=silent.port)
        report = await check_domain(settings(), resolver_config=resolver)
    assert report.ok
    assert report.notes == [
        f"propagation not checked on ns1.{DOMAIN} (127.0.0.1): it did not answer"
    ]


async def test_a_txt_published_at_the_selector_is_the_key_judged() -> None:
    """Not the vendor's key behind the expected CNAME: receivers read what is published."""
    zone = good_zone()
    zone.remove(f"mte1._domainkey.{DOMAIN}", "CNAME")
    zone.add_txt(f"mte1._domainkey.{DOMAIN}", "v=DKIM1; k=rsa; p=")  # revoked, at the selector
    finding = _finding(await _check(zone), "dkim:mte1")
    assert finding.status is Status.WRONG and "unusable" in finding.title, finding
    assert f"mte1._domainkey.{DOMAIN}" in finding.found


async def test_the_spf_walk_does_not_wait_for_a_slow_unrelated_answer() -> None:
    """Each include is asked the moment its parent answers, not after the whole first round."""
    zone = good_zone()
    spf = "v=spf1 include:spf.mandrillapp.com include:_spf.example.test -all"
    set_txt(zone, DOMAIN, "mandrill_verify.K1", spf)
    zone.add_txt("_spf.example.test", "v=spf1 ip4:192.0.2.0/24 include:_spf2.example.test -all")
    zone.add_txt("_spf2.example.test", "v=spf1 ip4:198.51.100.0/24 -all")
    zone.held[f"_dmarc.{DOMAIN}"] = 1.5  # far longer than the whole SPF walk takes
    with serving(zone) as server:
        resolver = ResolverConfig((server.nameserver,), timeout=5, authoritative_port=server.port)
        report = await check_domain(settings(), resolver_config=resolver)
        events = list(server.events)
    assert _status(report)["spf"] is Status.OK
    nested_include = next(
        t for t, kind, name, _ in events if kind == "query" and name == "_spf2.example.test."
    )
    dmarc_answer = min(
        t for t, kind, name, _ in events if kind == "answer" and name == f"_dmarc.{DOMAIN}."
    )
    assert nested_include < dmarc_answer


async def test_a_cancelled_check_leaves_no_lookup_running() -> None:
    with serving(good_zone()) as server:
        server.silent = True
        resolver = ResolverConfig((server.nameserver,), timeout=5, authoritative_port=server.port)
        task = asyncio.ensure_future(check_domain(settings(), resolver_config=resolver))
        while len(server.queries) < 5:  # the first round is on its way
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0)  # the lookups' own cancellations run
        assert asyncio.all_tasks() == {asyncio.current_task()}
