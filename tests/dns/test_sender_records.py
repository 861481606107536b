"""mailgw records's engine: the records to publish, SPF/DMARC merging, 255-byte strings."""

from __future__ import annotations

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailgw.config.model import Gateway
from mailgw.delivery.records import (
    SpfMergeError,
    merge_dmarc,
    merge_spf,
    propose_records,
    records_for,
    txt_strings,
)
from mailgw.delivery.resolver import ResolverConfig
from mailgw.delivery.sender import SenderDomainError
from mailgw.delivery.spf_terms import parse_record
from tests.dns.zones import DOMAIN, good_zone, set_txt, settings
from tests.support.dnsserver import serving

INCLUDE = "include:spf.mandrillapp.com"


def test_platform_gateway_records_come_from_the_presets() -> None:
    rows = [r.as_dict() for r in records_for(settings())]
    assert [(r["name"], r["type"], r["value"]) for r in rows] == [
        (DOMAIN, "TXT", "mandrill_verify.K1"),
        (DOMAIN, "TXT", "v=spf1 include:spf.mandrillapp.com ~all"),
        (f"mte1._domainkey.{DOMAIN}", "CNAME", "dkim1.mandrillapp.com"),
        (f"mte2._domainkey.{DOMAIN}", "CNAME", "dkim2.mandrillapp.com"),
        (f"_dmarc.{DOMAIN}", "TXT", "v=DMARC1; p=none;"),
    ]
    assert all(r["purpose"] for r in rows)


def test_zone_lines() -> None:
    lines = [r.zone_line() for r in records_for(settings())]
    assert lines[0] == f'{DOMAIN}. 3600 IN TXT "mandrill_verify.K1"'
    assert lines[2] == f"mte1._domainkey.{DOMAIN}. 3600 IN CNAME dkim1.mandrillapp.com."


def test_missing_verification_key_is_a_marked_placeholder() -> None:
    record = records_for(settings(key=""))[0]
    assert record.placeholder and "verification_key" in record.note


def test_platform_default_sender_is_refused() -> None:
    config = settings(from_address="no-reply@x-gpsmail.com")
    with pytest.raises(SenderDomainError, match="default address"):
        records_for(config)


@pytest.mark.parametrize(
    ("current", "merged"),
    [
        ("v=spf1 mx -all", f"v=spf1 mx {INCLUDE} -all"),
        (
            "v=spf1 ip4:192.0.2.1 ~all exp=why.example.test",
            f"v=spf1 ip4:192.0.2.1 {INCLUDE} ~all exp=why.example.test",
        ),
        ("v=spf1 mx redirect=_spf.example.test", f"v=spf1 mx {INCLUDE} redirect=_spf.example.test"),
        ("v=spf1 a", f"v=spf1 a {INCLUDE}"),
        ("v=spf1  mx   -all", f"v=spf1 mx {INCLUDE} -all"),
    ],
)
def test_spf_include_goes_right_before_all_or_modifiers(current: str, merged: str) -> None:
    assert merge_spf(current, INCLUDE).value == merged


@pytest.mark.parametrize("present", [f"+{INCLUDE}", INCLUDE.upper(), f"{INCLUDE}."])
def test_spf_merge_never_duplicates(present: str) -> None:
    merge = merge_spf(f"v=spf1 {present} -all", INCLUDE)
    assert not merge.changed and merge.value.lower().count("mandrillapp") == 1


@pytest.mark.parametrize(
    ("current", "merged"),
    [
        (f"v=spf1 -all {INCLUDE}", f"v=spf1 {INCLUDE} -all"),
        (f"v=spf1 ~{INCLUDE} -all", f"v=spf1 {INCLUDE} -all"),
        (f"v=spf1 mx -{INCLUDE} ~all", f"v=spf1 mx {INCLUDE} ~all"),
        (f"v=spf1 ?{INCLUDE} mx", f"v=spf1 mx {INCLUDE}"),
        (f"v=spf1 {INCLUDE} {INCLUDE} -all", f"v=spf1 {INCLUDE} -all"),
        (f"v=spf1 mx ~all {INCLUDE} -all", f"v=spf1 mx {INCLUDE} ~all -all"),
        (f"v=spf1 redirect=r.example.test ~{INCLUDE}", f"v=spf1 {INCLUDE} redirect=r.example.test"),
    ],
)
def test_spf_merge_replaces_a_copy_that_does_not_authorise(current: str, merged: str) -> None:
    merge = merge_spf(current, INCLUDE)
    assert merge.changed and merge.value == merged
    assert "replaces your" in merge.note


def test_spf_merge_refuses_a_broken_record() -> None:
    with pytest.raises(SpfMergeError):
        merge_spf("v=spf1 bogus:thing -all", INCLUDE)


mechanisms = st.lists(
    st.sampled_from(["mx", "a", "ip4:192.0.2.0/24", "include:_spf.example.test", "-ip4:10.0.0.1"]),
    max_size=5,
)
copies = st.sampled_from(["", INCLUDE, f"+{INCLUDE}", f"~{INCLUDE}", f"-{INCLUDE}", f"?{INCLUDE}"])


@given(mechanisms, copies, st.integers(0, 6), st.sampled_from(["-all", "~all", "?all", "+all"]))
def test_spf_merge_leaves_exactly_one_effective_pass_include(
    terms: list[str], copy: str, at: int, all_term: str
) -> None:
    words = [*terms, all_term]
    if copy:
        words.insert(min(at, len(words)), copy)
    merged = parse_record(merge_spf("v=spf1 " + " ".join(words), INCLUDE).value)
    includes = [t for t in merged.directives if t.name == "include" and "mandrill" in t.value]
    assert len(includes) == 1 and includes[0].qualifier == "+"
    assert includes[0] in merged.effective and merged.directives[-1].name == "all"


@given(mechanisms, st.sampled_from(["", " -all", " ~all", " ?all", " redirect=r.example.test"]))
def test_spf_merge_keeps_one_record_one_include_and_all_last(terms: list[str], tail: str) -> None:
    current = ("v=spf1 " + " ".join(terms)).rstrip() + tail
    merged = merge_spf(current, INCLUDE).value
    record = parse_record(merged)
    words = merged.split()
    assert words.count(INCLUDE) == 1 and merged.count("v=spf1") == 1
    assert record.all_term is None or words[-1] == record.all_term.text
    assert words.index(INCLUDE) == len(record.directives) - (1 if record.all_term else 0)


def test_long_values_split_into_255_byte_strings_that_join_back() -> None:
    value = "v=DKIM1; k=rsa; p=" + "A" * 600 + '"\\'
    strings = txt_strings(value)
    assert len(strings) == 3
    rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, " ".join(strings))
    assert [len(s) for s in rdata.strings] == [255, 255, len(value) - 510]
    assert b"".join(rdata.strings).decode() == value


def test_stricter_dmarc_is_kept_and_an_invalid_one_replaced() -> None:
    kept, note = merge_dmarc("v=DMARC1; p=reject; rua=mailto:d@example.test", "v=DMARC1; p=none;")
    assert kept.startswith("v=DMARC1; p=reject") and "kept" in note
    fresh, note = merge_dmarc("v=DMARC1; p=sometimes", "v=DMARC1; p=none;")
    assert fresh == "v=DMARC1; p=none;" and "invalid" in note


def test_custom_provider_uses_its_preset() -> None:
    config = settings()
    config.smtp.gateway = Gateway.CUSTOM
    config.smtp.provider = "sendgrid"
    records = records_for(config, "v=spf1 mx -all")
    assert [r.type for r in records] == ["TXT", "CNAME", "CNAME", "TXT"]
    assert records[0].value == "v=spf1 mx include:sendgrid.net -all"
    assert records[1].placeholder and records[1].name == f"s1._domainkey.{DOMAIN}"


def test_own_server_uses_configured_selectors_and_its_address() -> None:
    config = settings()
    config.smtp.gateway = Gateway.CUSTOM
    config.smtp.provider = "own_server"
    config.smtp.host = "192.0.2.25"
    config.sender_domain.dkim_selectors = ["mail2026"]
    records = records_for(config)
    assert records[0].value == "v=spf1 ip4:192.0.2.25 ~all"
    assert records[1].name == f"mail2026._domainkey.{DOMAIN}" and records[1].type == "TXT"


async def test_propose_merges_with_the_live_record() -> None:
    zone = good_zone()
    set_txt(zone, DOMAIN, "v=spf1 mx -all")
    set_txt(zone, f"_dmarc.{DOMAIN}", "v=DMARC1; p=quarantine;")
    with serving(zone) as server:
        config = ResolverConfig((server.nameserver,), timeout=0.5)
        proposal = await propose_records(settings(), resolver_config=config)
    values = [r.value for r in proposal.records]
    assert f"v=spf1 mx {INCLUDE} -all" in values
    assert "v=DMARC1; p=quarantine;" in values
    assert not proposal.problems and proposal.spf_lookups == 2


async def test_propose_refuses_a_merge_over_the_lookup_limit() -> None:
    zone = good_zone()
    set_txt(zone, DOMAIN, "v=spf1 " + " ".join(f"a:h{n}.example.test" for n in range(10)) + " -all")
    for n in range(10):
        zone.add(f"h{n}.example.test", "A", "192.0.2.1")
    with serving(zone) as server:
        config = ResolverConfig((server.nameserver,), timeout=0.5)
        proposal = await propose_records(settings(), resolver_config=config)
    assert proposal.spf_lookups == 11
    assert any("11 DNS lookups" in p for p in proposal.problems)


async def test_propose_without_an_answer_says_so_and_shows_fresh_records() -> None:
    with serving(good_zone()) as server:
        server.silent = True
        config = ResolverConfig((server.nameserver,), timeout=0.2)
        proposal = await propose_records(settings(), resolver_config=config)
    assert any("could not look up the current SPF" in n for n in proposal.notes)
    assert f"v=spf1 {INCLUDE} ~all" in [r.value for r in proposal.records]


def test_plus_all_becomes_softfail_when_merging() -> None:
    merge = merge_spf("v=spf1 mx +all", INCLUDE)
    assert merge.value == f"v=spf1 mx {INCLUDE} ~all" and "+all" in merge.note


async def test_subdomain_sender_keeps_the_organisational_dmarc_policy() -> None:
    zone = good_zone()
    set_txt(zone, f"_dmarc.{DOMAIN}", "v=DMARC1; p=reject;")
    config = settings(from_address=f"alerts@mail.{DOMAIN}")
    config.sender_domain.domain = f"mail.{DOMAIN}"
    with serving(zone) as server:
        resolver = ResolverConfig((server.nameserver,), timeout=0.5)
        proposal = await propose_records(config, resolver_config=resolver)
    dmarc = proposal.records[-1]
    assert (dmarc.name, dmarc.value) == (f"_dmarc.{DOMAIN}", "v=DMARC1; p=reject;")


def test_an_explicit_domain_unrelated_to_the_sender_is_judged_on_its_own() -> None:
    records = records_for(settings(from_address="alerts@other.test"), domain=DOMAIN)
    assert records[-1].name == f"_dmarc.{DOMAIN}"
