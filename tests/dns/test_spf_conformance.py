"""The RFC 7208 conformance suite through evaluate_spf, and a sample through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from mailgw.delivery.resolver import ResolverConfig
from mailgw.delivery.spf import DEFAULT_EXPLANATION, evaluate_spf
from tests.dns.spf_suite import ABSENT_REASON, SUITE_PATH, SuiteCase, cases, load_suite, zone_for
from tests.support.dnsserver import LoopbackDNSServer

if not SUITE_PATH.exists():
    pytest.skip(ABSENT_REASON, allow_module_level=True)

SCENARIOS = load_suite()
CASES = cases(SCENARIOS)
TIMEOUT = 2.0  # TIMEOUT names never answer; an answer on a loaded machine may take a while


def test_suite_is_complete() -> None:
    assert len(SCENARIOS) == 16 and len(CASES) == 203


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[int, LoopbackDNSServer]]:
    started: dict[int, LoopbackDNSServer] = {}

    class Lazy(dict):
        def __missing__(self, index: int) -> LoopbackDNSServer:
            server = LoopbackDNSServer(zone_for(SCENARIOS[index].get("zonedata", {}))).start()
            started[index] = server
            self[index] = server
            return server

    yield Lazy()
    for server in started.values():
        server.stop()


def _check(case: SuiteCase, result: str, explanation: str) -> None:
    assert result in case.results, f"{case.name}: got {result}, expected {case.results}"
    if case.explanation and case.explanation != "DEFAULT":
        assert explanation == case.explanation
    elif case.explanation == "DEFAULT":
        assert explanation == DEFAULT_EXPLANATION


@pytest.mark.parametrize("case", CASES, ids=[f"{c.scenario}-{c.name}" for c in CASES])
async def test_conformance(case: SuiteCase, servers: dict[int, LoopbackDNSServer]) -> None:
    server = servers[case.scenario]
    config = ResolverConfig(nameservers=(server.nameserver,), timeout=TIMEOUT)
    outcome = await evaluate_spf(case.host, case.mailfrom, case.helo, resolver=config)
    _check(case, outcome.result, outcome.explanation)


SAMPLE = ("longlabel", "nolocalpart", "include-cidr", "p-macro-ip6-valid", "redirect-cancels-exp")


@pytest.mark.parametrize("name", SAMPLE)
def test_conformance_through_the_command_line(
    name: str, servers: dict[int, LoopbackDNSServer]
) -> None:
    case = next(c for c in CASES if c.name == name)
    server = servers[case.scenario]
    argv = [sys.executable, "-m", "mailgw", "spf", "--ip", case.host, "--sender", case.mailfrom]
    argv += ["--helo", case.helo, "--nameserver", server.nameserver, "--timeout", str(TIMEOUT)]
    done = subprocess.run([*argv, "--json"], capture_output=True, text=True, timeout=30)
    data = json.loads(done.stdout)
    _check(case, data["result"], data["explanation"])
    assert done.returncode == {"pass": 0, "temperror": 2}.get(data["result"], 1)
