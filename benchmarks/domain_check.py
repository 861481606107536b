"""The full sender-domain check against a loopback DNS server that adds 50 ms to every answer.

Compares the real check (independent lookups concurrent) with the same questions asked one
after another, and counts round trips against the goal: longest chain of dependent lookups + 1.

    .venv/bin/python benchmarks/domain_check.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mailgw.delivery.domain import check_domain  # noqa: E402
from mailgw.delivery.resolver import Lookups, ResolverConfig, make_resolver  # noqa: E402
from tests.dns.zones import DOMAIN, good_zone, set_txt, settings  # noqa: E402
from tests.support.dnsserver import serving  # noqa: E402

DELAY = 0.050
RUNS = 5
# Dependent chains in this zone: SPF record -> include -> nested include (3), and
# NS -> name server address -> records asked of it (3). The goal is 3 + 1 round trips.
LONGEST_CHAIN = 3


def _zone():  # noqa: ANN202
    zone = good_zone()
    spf = "v=spf1 include:spf.mandrillapp.com include:_spf.example.test -all"
    set_txt(zone, DOMAIN, "mandrill_verify.K1", spf)
    zone.add_txt("_spf.example.test", "v=spf1 ip4:192.0.2.0/24 include:_spf2.example.test -all")
    zone.add_txt("_spf2.example.test", "v=spf1 ip4:198.51.100.0/24 -all")
    return zone


async def _concurrent(config: ResolverConfig) -> float:
    start = time.perf_counter()
    report = await check_domain(settings(), resolver_config=config)
    elapsed = time.perf_counter() - start
    assert report.ok, report.findings
    return elapsed


async def _sequential(config: ResolverConfig, questions: list[tuple[str, str]]) -> float:
    lookups = Lookups(make_resolver(config))
    start = time.perf_counter()
    for name, rdtype in questions:
        await lookups.lookup(name, rdtype)
    return time.perf_counter() - start


async def main() -> None:
    with serving(_zone(), delay=DELAY) as server:
        config = ResolverConfig((server.nameserver,), timeout=5, authoritative_port=server.port)
        await _concurrent(config)  # warm-up (imports, public suffix list)
        server.queries.clear()
        concurrent = [await _concurrent(config) for _ in range(RUNS)]
        questions = [
            (name, rdtype) for _, name, rdtype in server.queries[: len(server.queries) // RUNS]
        ]
        sequential = [await _sequential(config, questions) for _ in range(RUNS)]
    best, serial = statistics.median(concurrent), statistics.median(sequential)
    print(f"questions per check:        {len(questions)}")
    print(f"concurrent check (median):  {best * 1000:.0f} ms = {best / DELAY:.1f} round trips")
    print(f"one after another (median): {serial * 1000:.0f} ms = {serial / DELAY:.1f} round trips")
    print(f"goal: longest chain {LONGEST_CHAIN} + 1 = {LONGEST_CHAIN + 1} round trips")


if __name__ == "__main__":
    asyncio.run(main())
