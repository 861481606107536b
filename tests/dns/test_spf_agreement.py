"""`dns`'s static judgement of an SPF record agrees with the evaluation on the RFC 7208 suite:
every record the suite says ends in permerror is one the static check calls wrong."""

from __future__ import annotations

import pytest

from mailgw.delivery.resolver import Lookups, ResolverConfig, make_resolver
from mailgw.delivery.spf import LOOKUP_LIMIT, VOID_LIMIT
from mailgw.delivery.spf_tally import tally_spf
from mailgw.delivery.spf_terms import SpfSyntaxError, is_spf, parse_record
from tests.dns.spf_suite import ABSENT_REASON, SUITE_PATH, SuiteCase, cases, load_suite
from tests.dns.test_spf_conformance import TIMEOUT, servers  # noqa: F401 (the fixture)
from tests.support.dnsserver import LoopbackDNSServer

if not SUITE_PATH.exists():
    pytest.skip(ABSENT_REASON, allow_module_level=True)

PERMERRORS = [c for c in cases(load_suite()) if c.results == ("permerror",)]


async def _static_problem(domain: str, lookups: Lookups) -> str:
    """What `dns` would call wrong in the domain's SPF record ("" when nothing)."""
    texts = [t for t in (await lookups.lookup(domain, "TXT")).records if is_spf(t)]
    if len(texts) != 1:
        return f"{len(texts)} SPF records"
    try:
        record = parse_record(texts[0])
    except SpfSyntaxError as exc:
        return str(exc)
    tally = await tally_spf(record, domain, lookups)
    over = tally.lookups > LOOKUP_LIMIT or tally.void_lookups > VOID_LIMIT
    return "; ".join(tally.problems) or ("over a limit" if over else "")


def test_the_suite_has_the_processing_limit_cases() -> None:
    names = {c.name for c in PERMERRORS}
    assert {"mx-limit", "include-loop", "void-over-limit", "include-over-limit"} <= names


@pytest.mark.parametrize("case", PERMERRORS, ids=[f"{c.scenario}-{c.name}" for c in PERMERRORS])
async def test_a_record_that_evaluates_to_permerror_is_wrong_statically(
    case: SuiteCase,
    servers: dict[int, LoopbackDNSServer],  # noqa: F811
) -> None:
    server = servers[case.scenario]
    lookups = Lookups(make_resolver(ResolverConfig((server.nameserver,), timeout=TIMEOUT)))
    domain = (case.mailfrom.rpartition("@")[2] if case.mailfrom else case.helo).lower()
    assert await _static_problem(domain, lookups), case.name
