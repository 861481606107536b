"""DMARC by RFC 7489: the parser (6.3, 6.4), policy discovery (6.6.3), report authorisation
(7.1), and what mailgw proposes: never a weaker policy than the one published."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailgw.delivery.dmarc import (
    POLICIES,
    DmarcError,
    is_dmarc,
    merge_records,
    parse_dmarc,
    repaired,
    strength,
)
from mailgw.delivery.domain import DomainReport, check_domain
from mailgw.delivery.findings import Status
from mailgw.delivery.records import merge_dmarc, propose_records
from mailgw.delivery.resolver import ResolverConfig
from tests.dns.zones import DOMAIN, good_zone, set_txt, settings
from tests.support.dnsserver import Zone, serving

DEFAULT = "v=DMARC1; p=none;"
BAD_OPTIONAL_TAGS = ("pct=150", "pct=50.5", "adkim=x", "aspf=strict", "rua=dmarc@example.test")


async def _check(zone: Zone, config=None) -> DomainReport:  # noqa: ANN001
    with serving(zone) as server:
        resolver = ResolverConfig((server.nameserver,), timeout=5, check_authoritative=False)
        return await check_domain(config or settings(), resolver_config=resolver)


def _dmarc(report: DomainReport):  # noqa: ANN202
    return next(f for f in report.findings if f.check == "dmarc")


async def _propose(zone: Zone, config=None):  # noqa: ANN001, ANN202
    with serving(zone) as server:
        resolver = ResolverConfig((server.nameserver,), timeout=5)
        return await propose_records(config or settings(), resolver_config=resolver)


def _subdomain_settings():  # noqa: ANN202
    config = settings(from_address=f"alerts@mail.{DOMAIN}")
    config.sender_domain.domain = f"mail.{DOMAIN}"
    return config


# ------------------------------------------------------------------ the parser (6.3, 6.4)


@pytest.mark.parametrize("bad", BAD_OPTIONAL_TAGS)
@pytest.mark.parametrize("policy", ["quarantine", "reject"])
def test_a_bad_optional_tag_is_a_problem_and_the_policy_stands(bad: str, policy: str) -> None:
    record = parse_dmarc(f"v=DMARC1; p={policy}; {bad}")
    assert record.policy == policy
    tag = bad.partition("=")[0]
    assert [p.tag for p in record.problems] == [tag] and record.problems[0].fix
    assert tag not in record.tags  # discarded: its default applies (6.3)


def test_whitespace_around_equals_and_semicolons_is_a_record() -> None:
    record = parse_dmarc("v = DMARC1 ; p = reject ;\tsp = none ; adkim = s")
    assert (record.policy, record.subdomain_policy, record.adkim) == ("reject", "none", "s")
    assert is_dmarc("v = DMARC1 ; p = reject") and not record.problems


@pytest.mark.parametrize(
    "text", ["v=DMARC1", "v=DMARC1; p=maybe", "v=DMARC1; p=reject; sp=always", "p=reject"]
)
def test_no_usable_policy_is_an_error(text: str) -> None:
    with pytest.raises(DmarcError):
        parse_dmarc(text)


def test_the_version_must_come_first_and_be_exact() -> None:
    assert not is_dmarc("p=reject; v=DMARC1") and not is_dmarc("v=DMARC2; p=reject")
    assert not is_dmarc("v=dmarc1; p=reject")  # %x44 %x4d ...: DMARC1 is case-sensitive


POLICY = st.sampled_from(POLICIES)
JUNK = st.sampled_from([*BAD_OPTIONAL_TAGS, "fo=9", "ri=soon", "zz=1", "garbage", "rf=", "t=x"])


@given(POLICY, st.lists(JUNK, max_size=5), st.sampled_from([" ", "", "\t"]))
def test_no_junk_in_optional_tags_changes_the_policy(policy: str, junk: list[str], ws: str) -> None:
    text = f"v{ws}={ws}DMARC1{ws};{ws}p{ws}={ws}{policy};" + "".join(f"{ws}{j};" for j in junk)
    record = parse_dmarc(text)
    assert record.policy == policy
    assert parse_dmarc(repaired(text, DEFAULT)).policy == policy
    assert not parse_dmarc(repaired(text, DEFAULT)).problems


# ------------------------------------------------------------------ never a downgrade


@pytest.mark.parametrize("bad", BAD_OPTIONAL_TAGS)
def test_records_keep_a_strong_policy_with_a_bad_tag(bad: str) -> None:
    current = f"v=DMARC1; p=reject; {bad}"
    value, note = merge_dmarc(current, DEFAULT)
    assert value == current and "p=reject" in note


@pytest.mark.parametrize("bad", BAD_OPTIONAL_TAGS)
async def test_dns_warns_about_a_bad_tag_and_proposes_no_downgrade(bad: str) -> None:
    zone = set_txt(good_zone(), f"_dmarc.{DOMAIN}", f"v=DMARC1; p=reject; {bad}")
    finding = _dmarc(await _check(zone))
    assert finding.status is Status.WARNING, finding
    assert "p=none" not in finding.fix and "p=none" not in finding.expected
    assert "p=reject" in finding.expected


@given(st.lists(st.tuples(POLICY, st.sampled_from(["", " sp=none;", " sp=reject;"])), min_size=2))
def test_merging_duplicates_keeps_the_strongest_policy_whatever_the_order(
    records: list[tuple[str, str]],
) -> None:
    texts = [f"v=DMARC1; p={p};{sp}" for p, sp in records]
    merged = parse_dmarc(merge_records(texts, DEFAULT))
    assert merged.policy == max((p for p, _sp in records), key=strength)
    assert merge_records(list(reversed(texts)), DEFAULT) == merge_records(texts, DEFAULT)
    for text in texts:
        assert strength(merged.subdomain_policy) >= strength(parse_dmarc(text).subdomain_policy)


async def test_two_dmarc_records_are_one_merged_proposal_with_every_report_address() -> None:
    zone = good_zone()
    set_txt(
        zone,
        f"_dmarc.{DOMAIN}",
        f"v=DMARC1; p=none; rua=mailto:a@{DOMAIN}",
        f"v=DMARC1; p=quarantine; rua=mailto:b@{DOMAIN}",
    )
    expected = f"v=DMARC1; p=quarantine; rua=mailto:a@{DOMAIN},mailto:b@{DOMAIN};"
    finding = _dmarc(await _check(zone))
    assert finding.status is Status.WRONG and finding.expected == expected
    proposal = await _propose(zone)
    assert proposal.records[-1].value == expected
    assert any("2 DMARC records" in p for p in proposal.problems)


def test_an_invalid_policy_is_repaired_keeping_the_other_tags() -> None:
    value, note = merge_dmarc(f"v=DMARC1; p=rejct; rua=mailto:d@{DOMAIN}; adkim=s", DEFAULT)
    assert value == f"v=DMARC1; p=none; rua=mailto:d@{DOMAIN}; adkim=s;" and "invalid" in note


# ------------------------------------------------------------------ discovery (6.6.3)


@pytest.mark.parametrize("at_subdomain", [None, "some-verification=abc"])
async def test_a_subdomain_without_dmarc_is_judged_by_the_organisational_sp(
    at_subdomain: str | None,
) -> None:
    zone = set_txt(good_zone(), f"_dmarc.{DOMAIN}", "v=DMARC1; p=none; sp=reject;")
    if at_subdomain:  # a TXT that is not DMARC (a wildcard's, say) does not stop the search
        zone.add_txt(f"_dmarc.mail.{DOMAIN}", at_subdomain)
    finding = _dmarc(await _check(zone, _subdomain_settings()))
    assert f"_dmarc.{DOMAIN}" in finding.found
    assert "reject" in finding.title or "reject" in finding.found
    proposal = await _propose(zone, _subdomain_settings())
    dmarc = proposal.records[-1]
    assert (dmarc.name, dmarc.value) == (f"_dmarc.{DOMAIN}", "v=DMARC1; p=none; sp=reject;")
    assert any("applies" in n for n in proposal.notes)


async def test_the_organisational_sp_decides_the_alignment_verdict() -> None:
    zone = set_txt(good_zone(), f"_dmarc.{DOMAIN}", "v=DMARC1; p=none; sp=reject;")
    finding = _dmarc(await _check(zone, _subdomain_settings()))  # no DKIM CNAMEs at mail.
    assert finding.status is Status.WRONG and "p=reject" in finding.title


# ------------------------------------------------------------------ report authorisation (7.1)


async def test_an_external_report_address_without_authorisation_is_a_warning() -> None:
    zone = set_txt(good_zone(), f"_dmarc.{DOMAIN}", "v=DMARC1; p=none; rua=mailto:r@reports.test")
    finding = _dmarc(await _check(zone))
    assert finding.status is Status.WARNING
    assert f"{DOMAIN}._report._dmarc.reports.test" in finding.title + finding.fix


async def test_an_authorised_external_report_address_is_fine() -> None:
    zone = set_txt(good_zone(), f"_dmarc.{DOMAIN}", "v=DMARC1; p=none; rua=mailto:r@reports.test")
    zone.add_txt(f"{DOMAIN}._report._dmarc.reports.test", "v=DMARC1")
    assert _dmarc(await _check(zone)).status is Status.OK


async def test_an_unanswered_organisational_lookup_proposes_nothing_over_its_policy() -> None:
    zone = set_txt(good_zone(), f"_dmarc.{DOMAIN}", "v=DMARC1; p=reject;")
    zone.servfail_names.add(f"_dmarc.{DOMAIN}.")
    proposal = await _propose(zone, _subdomain_settings())
    assert proposal.records[-1].name == f"_dmarc.mail.{DOMAIN}"
    assert any("could not look up the current DMARC" in n for n in proposal.notes)


@given(st.text(alphabet="vV=DMARC1pnoequartijcsfd;:,. \t@!0123456789%", max_size=60))
def test_any_text_is_a_record_or_a_dmarc_error_and_its_repair_is_valid(text: str) -> None:
    try:
        record = parse_dmarc(text)
    except DmarcError:
        record = None
    fixed = parse_dmarc(repaired(text, DEFAULT))
    assert not fixed.problems
    if record is not None:  # the repair never changes a policy receivers apply
        assert (fixed.policy, fixed.subdomain_policy) == (record.policy, record.subdomain_policy)
