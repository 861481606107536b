"""The full sender-domain check against a loopback DNS server that adds 50 ms to every answer.

    .venv/bin/python benchmarks/domain_check.py [RUNS]

1. In process: the real check (independent lookups concurrent) next to the same questions
   asked one after another.
2. Whole process: `mailgw dns` next to `mailgw check` (the same start-up, no network),
   alternating, medians; the difference in round trips of 50 ms is the figure (goal <= 4: the
   longest dependent chain is 3, plus one for the work before the first query and after the
   last answer).
3. The SPF chain with one unrelated answer (`_dmarc`) held 400 ms: when its last include is
   answered, counted from the first query the server saw, with and without the hold.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mailgw.delivery.domain import check_domain  # noqa: E402
from mailgw.delivery.resolver import Lookups, ResolverConfig, make_resolver  # noqa: E402
from tests.dns.zones import DOMAIN, KEY, good_zone, set_txt, settings  # noqa: E402
from tests.support.dnsserver import LoopbackDNSServer, serving  # noqa: E402

DELAY = 0.050
HELD = 0.400
RUNS = 5
# Dependent chains in this zone: SPF record -> include -> nested include (3), and
# NS -> name server address -> records asked of it (3). The goal is 3 + 1 round trips.
LONGEST_CHAIN = 3
SPF_NAMES = ("spf.mandrillapp.com.", "_spf.example.test.", "_spf2.example.test.")
MAILGW = Path(sys.executable).with_name("mailgw")
CONFIG = f'[email]\nfrom_address = "alerts@{DOMAIN}"\n[sender_domain]\nverification_key = "{KEY}"\n'


def _zone():  # noqa: ANN202
    zone = good_zone()
    spf = "v=spf1 include:spf.mandrillapp.com include:_spf.example.test -all"
    set_txt(zone, DOMAIN, "mandrill_verify.K1", spf)
    zone.add_txt("_spf.example.test", "v=spf1 ip4:192.0.2.0/24 include:_spf2.example.test -all")
    zone.add_txt("_spf2.example.test", "v=spf1 ip4:198.51.100.0/24 -all")
    return zone


# ------------------------------------------------------------------ in process


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


async def in_process() -> None:
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
    print(f"in process, median of {RUNS}:")
    print(f"  questions per check:        {len(questions)}")
    print(f"  concurrent check:          {best * 1000:.0f} ms = {best / DELAY:.1f} round trips")
    print(f"  one after another:         {serial * 1000:.0f} ms = {serial / DELAY:.1f} round trips")


# ------------------------------------------------------------------ whole process


def _run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(start, end) on the clock the server stamps its events with."""
    start = time.monotonic()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return start, time.monotonic()


def _spf_done(server: LoopbackDNSServer, since: int) -> float:
    """Seconds from the first query of this run to the last SPF answer."""
    events = server.events[since:]
    first = events[0][0]
    return max(t for t, kind, name, _ in events if kind == "answer" and name in SPF_NAMES) - first


def whole_process(runs: int) -> None:
    command = [str(MAILGW)] if MAILGW.exists() else [sys.executable, "-m", "mailgw"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as folder, serving(_zone(), delay=DELAY) as server:
        config = Path(folder) / "email-gateway.toml"
        config.write_text(CONFIG)
        config.chmod(0o600)
        env["MAILGW_CONFIG"] = str(config)
        dns = [*command, "dns", "--nameserver", server.nameserver]
        dns += ["--authoritative-port", str(server.port)]
        check = [*command, "check"]
        _run(dns, env), _run(check, env)  # warm-up: byte code written, caches filled
        times: dict[str, list[float]] = {"dns": [], "check": [], "held": []}
        spf: dict[str, list[float]] = {"dns": [], "held": []}
        phases: dict[str, list[float]] = {"before": [], "network": [], "after": []}
        for _ in range(runs):
            for name in ("dns", "check", "held"):
                server.zone.held = {f"_dmarc.{DOMAIN}": HELD} if name == "held" else {}
                since = len(server.events)
                start, end = _run(check if name == "check" else dns, env)
                times[name].append(end - start)
                if name in spf:
                    spf[name].append(_spf_done(server, since))
                if name == "dns":
                    first, last = server.events[since][0], server.events[-1][0]
                    phases["before"].append(first - start)
                    phases["network"].append(last - first)
                    phases["after"].append(end - last)
    median = {name: statistics.median(values) for name, values in times.items()}
    phase = {name: statistics.median(values) * 1000 for name, values in phases.items()}
    beyond = (median["dns"] - median["check"]) / DELAY
    print(f"whole process, median of {runs} alternating runs:")
    print(f"  mailgw check:               {median['check'] * 1000:.0f} ms")
    print(f"  mailgw dns:                 {median['dns'] * 1000:.0f} ms")
    print(f"  beyond check:               {beyond:.2f} round trips (goal <= {LONGEST_CHAIN + 1})")
    print(
        f"  dns: first query {phase['before']:.0f} ms after the start, the last answer"
        f" {phase['network']:.0f} ms later, the exit {phase['after']:.0f} ms after it"
    )
    plain, held = statistics.median(spf["dns"]), statistics.median(spf["held"])
    print(f"SPF chain done, from the first query (median of {runs}):")
    print(f"  every answer after 50 ms:   {plain * 1000:.0f} ms")
    print(
        f"  _dmarc held {HELD * 1000:.0f} ms:         {held * 1000:.0f} ms"
        f" (ratio {held / plain:.2f}; whole check {median['held'] * 1000:.0f} ms)"
    )


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 11
    asyncio.run(in_process())
    whole_process(runs)


if __name__ == "__main__":
    main()
