"""SPF by RFC 7208: `dns` judges a record as `spf` evaluates it, and the record mailgw proposes
never drops a sender of the current one(s)."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from mailgw.delivery.domain import DomainReport, check_domain
from mailgw.delivery.findings import Status
from mailgw.delivery.records import propose_records
from mailgw.delivery.resolver import ResolverConfig
from mailgw.delivery.spf import evaluate_spf
from mailgw.delivery.spf_merge import combine_spf, salvage_spf
from mailgw.delivery.spf_terms import parse_record
from tests.dns.zones import DOMAIN, good_zone, set_txt, settings
from tests.support.dnsserver import Zone, serving

INCLUDE = "include:spf.mandrillapp.com"
M365 = "include:spf.protection.outlook.com"


async def _check(zone: Zone) -> DomainReport:
    with serving(zone) as server:
        resolver = ResolverConfig((server.nameserver,), timeout=5, check_authoritative=False)
        return await check_domain(settings(), resolver_config=resolver)


def _spf(report: DomainReport):  # noqa: ANN202
    return next(f for f in report.findings if f.check == "spf")


async def _propose(zone: Zone):  # noqa: ANN202
    with serving(zone) as server:
        resolver = ResolverConfig((server.nameserver,), timeout=5)
        return await propose_records(settings(), resolver_config=resolver)


def _with_spf(*values: str) -> Zone:
    zone = set_txt(good_zone(), DOMAIN, "mandrill_verify.K1", *values)
    zone.add_txt("spf.protection.outlook.com", "v=spf1 ip4:40.92.0.0/15 -all")
    return zone


# ------------------------------------------------------------------ dns agrees with spf


async def test_eleven_mx_hosts_are_wrong_in_dns_as_spf_says_permerror() -> None:
    zone = _with_spf(f"v=spf1 {INCLUDE} mx -all")
    zone.remove(DOMAIN, "MX")
    for n in range(11):  # RFC 7208 4.6.4: at most 10 MX hosts per mx term
        zone.add(DOMAIN, "MX", f"{n} mx{n}.{DOMAIN}.")
        zone.add(f"mx{n}.{DOMAIN}", "A", "192.0.2.9")
    with serving(zone) as server:
        resolver = ResolverConfig((server.nameserver,), timeout=5, check_authoritative=False)
        evaluated = await evaluate_spf("192.0.2.1", f"alerts@{DOMAIN}", resolver=resolver)
        report = await check_domain(settings(), resolver_config=resolver)
    assert evaluated.result == "permerror"
    finding = _spf(report)
    assert finding.status is Status.WRONG and "11 MX hosts" in finding.title


async def test_an_a_term_naming_an_invalid_domain_is_wrong_in_dns_as_in_spf() -> None:
    zone = _with_spf(f"v=spf1 {INCLUDE} a:{'x' * 64}.{DOMAIN} -all")
    with serving(zone) as server:
        resolver = ResolverConfig((server.nameserver,), timeout=5, check_authoritative=False)
        evaluated = await evaluate_spf("192.0.2.1", f"alerts@{DOMAIN}", resolver=resolver)
        report = await check_domain(settings(), resolver_config=resolver)
    assert evaluated.result == "permerror"
    assert _spf(report).status is Status.WRONG, _spf(report)


async def test_a_pass_for_every_ipv4_address_is_flagged_like_plus_all() -> None:
    for opened in ("ip4:0.0.0.0/0", "+ip6:::/0"):
        finding = _spf(await _check(_with_spf(f"v=spf1 {opened} {INCLUDE} -all")))
        assert finding.status is Status.WRONG and "like +all" in finding.title
        proposal = await _propose(_with_spf(f"v=spf1 {opened} {INCLUDE} -all"))
        assert opened not in proposal.records[1].value


async def test_including_a_plus_all_record_is_flagged_like_plus_all() -> None:
    zone = _with_spf(f"v=spf1 {INCLUDE} include:open.test -all")
    zone.add_txt("open.test", "v=spf1 +all")
    finding = _spf(await _check(zone))
    assert finding.status is Status.WRONG and "like +all" in finding.title
    assert (await _propose(zone)).problems


async def test_a_fail_qualified_include_of_an_open_record_authorises_no_one() -> None:
    zone = _with_spf(f"v=spf1 {INCLUDE} -include:open.test -all")
    zone.add_txt("open.test", "v=spf1 +all")
    assert _spf(await _check(zone)).status is Status.OK


# ------------------------------------------------------------------ duplicates


async def test_two_spf_records_give_one_proposal_with_every_sender_and_exit_one() -> None:
    zone = _with_spf(f"v=spf1 {M365} -all", "v=spf1 ip4:192.0.2.7 ~all")
    expected = f"v=spf1 {M365} ip4:192.0.2.7 {INCLUDE} -all"  # records sorted by text
    finding = _spf(await _check(zone))
    assert finding.status is Status.WRONG and finding.expected == expected
    proposal = await _propose(zone)
    assert proposal.records[1].value == expected
    assert any("2 SPF records" in p for p in proposal.problems)


TERMS = st.sampled_from(["mx", "a", M365, "ip4:192.0.2.1", "ip6:2001:db8::1", "exists:x.test"])
ALL = st.sampled_from(["", " -all", " ~all", " ?all", " +all", " redirect=r.test"])


@given(st.lists(st.tuples(st.lists(TERMS, max_size=3), ALL), min_size=2, max_size=4))
def test_combining_keeps_every_reachable_sender_whatever_the_answer_order(
    records: list[tuple[list[str], str]],
) -> None:
    texts = [" ".join(["v=spf1", *terms]) + end for terms, end in records]
    combined = combine_spf(texts).text
    shuffled = texts[:]
    random.Random(len(texts)).shuffle(shuffled)
    assert combine_spf(shuffled).text == combined
    merged = parse_record(combined)
    kept = {t.text for t in merged.directives}
    for terms, end in records:
        assert set(terms) <= kept
        if "redirect=" in end:
            assert "include:r.test" in kept
    assert not any(t.passes_everyone for t in merged.directives)


# ------------------------------------------------------------------ invalid current record


def test_salvage_keeps_the_readable_terms_and_names_the_rest() -> None:
    salvage = salvage_spf(f"v=spf1 {M365} ip4:192.0.2.300 mx -all")
    assert salvage.text == f"v=spf1 {M365} mx -all"
    assert salvage.unreadable == ("ip4:192.0.2.300",)


async def test_an_invalid_spf_is_never_replaced_by_one_without_its_senders() -> None:
    zone = _with_spf(f"v=spf1 {M365} bogus:thing -all")
    finding = _spf(await _check(zone))
    assert finding.status is Status.WRONG
    assert M365 in finding.expected and "bogus:thing" in finding.fix
    proposal = await _propose(zone)
    spf = proposal.records[1]
    assert spf.value == f"v=spf1 {M365} {INCLUDE} -all"
    assert "bogus:thing" in spf.note and proposal.problems


WORDS = st.sampled_from(["mx", "a:x.test", M365, "ip4:300.1.1.1", "bogus:x", "-all", "+all"])


@given(st.lists(WORDS | st.text(alphabet="a:./%{}-=+~?0123456789", max_size=10), max_size=8))
def test_salvage_always_gives_a_valid_record_and_loses_no_readable_term(words: list[str]) -> None:
    text = " ".join(["v=spf1", *words])
    salvage = salvage_spf(text)
    record = parse_record(salvage.text)  # never raises
    kept = [t.text for t in record.directives] + [t.text for t in record.unknown_modifiers]
    kept += [t.text for t in (record.redirect, record.exp) if t is not None]
    assert sorted(kept + list(salvage.unreadable)) == sorted(w for w in text.split()[1:])
