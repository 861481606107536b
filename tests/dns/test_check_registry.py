"""One registry of sender-domain checks: the command, the propagation re-check, the records
proposal and the TUI checklist read the same entries; a new check is one entry plus its judge."""

from __future__ import annotations

import pytest

from mailgw.delivery import domain_registry as registry
from mailgw.delivery.domain import check_domain
from mailgw.delivery.domain_registry import AUTHORISE, CheckSpec, Judging
from mailgw.delivery.findings import Finding, Status
from mailgw.delivery.records import Record, records_for
from mailgw.delivery.resolver import ResolverConfig
from mailgw.delivery.sender import sender_setup
from mailgw.tui import domain_text
from tests.dns.authoritative import authoritative_servers, worker_addresses
from tests.dns.test_propagation import _zones
from tests.dns.zones import DOMAIN, good_zone, settings
from tests.support.dnsserver import serving

TLSRPT = f"_smtp._tls.{DOMAIN}"


def _judge_tlsrpt(judging: Judging, name: str) -> Finding:
    answer = judging.view[(TLSRPT, "TXT")]
    status = Status.OK if answer.found else Status.MISSING
    return Finding(name, status, "TLS-RPT", answer.describe(), "v=TLSRPTv1; rua=...")


TLSRPT_SPEC = CheckSpec(
    "tlsrpt",
    "TLS-RPT",
    "TXT",
    AUTHORISE,
    lambda setup: ["tlsrpt"],
    lambda setup, name: [(TLSRPT, "TXT")],
    _judge_tlsrpt,
)


async def test_every_finding_and_every_record_to_publish_names_a_registered_check() -> None:
    with serving(good_zone()) as server:
        resolver = ResolverConfig((server.nameserver,), check_authoritative=False)
        report = await check_domain(settings(), resolver_config=resolver)
    checks = [f.check for f in report.findings]
    assert all(registry.spec_of(check) is not None for check in checks)
    assert {r.check for r in records_for(settings())} <= set(checks)
    assert [f["label"] for f in report.as_dict()["findings"]][:3] == [
        "domain verification",
        "SPF",
        "DKIM key mte1",
    ]


def test_rejudging_a_check_this_setup_does_not_have_keeps_the_finding() -> None:
    setup = sender_setup(settings())
    assert registry.rejudge(setup, "dkim:retired", {}, []) is None
    assert registry.rejudge(setup, "mta-sts", {}, []) is None


def test_a_record_of_an_unknown_check_is_not_called_verification() -> None:
    record = Record(DOMAIN, "TXT", "v=STSv1; id=1", "MTA-STS")
    assert domain_text.check_of(record) == ""
    findings = [Finding("mta-sts", Status.WRONG, "x", "", "")]
    assert not domain_text.progress(False, findings, DOMAIN, DOMAIN).authorised


async def test_a_new_check_is_one_entry_and_the_propagation_recheck_reads_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(registry, "REGISTRY", (*registry.REGISTRY, TLSRPT_SPEC))
    hosts = worker_addresses(2)
    new, old = _zones(hosts)
    new.add_txt(TLSRPT, "v=TLSRPTv1; rua=mailto:tls@example.test")
    with authoritative_servers([new, old]) as (ns1, _ns2):
        with serving(old) as resolver:
            config = ResolverConfig((resolver.nameserver,), timeout=1, authoritative_port=ns1.port)
            report = await check_domain(settings(), resolver_config=config)
    tlsrpt = next(f for f in report.findings if f.check == "tlsrpt")
    assert tlsrpt.status is Status.PENDING  # the authoritative servers were asked about it too
    steps = domain_text.progress(True, report.findings, DOMAIN, DOMAIN)
    assert not steps.authorised
