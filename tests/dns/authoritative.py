"""Several loopback "authoritative servers" on one port, each on its own 127.x address.

The propagation check asks a domain's name servers (NS -> address) on one port, as on the
internet; here the NS names resolve to 127.53.W.2, 127.53.W.3, ... (W = the xdist worker number,
so parallel workers never share an address) and the check's `authoritative_port` is the port
they share. No root needed: any 127.0.0.0/8 address can be bound on Linux.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from tests.support.dnsserver import LoopbackDNSServer, Zone


def worker_addresses(count: int) -> list[str]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    number = int(worker[2:]) if worker[2:].isdigit() else 0
    return [f"127.53.{number % 250}.{index + 2}" for index in range(count)]


@contextlib.contextmanager
def authoritative_servers(zones: list[Zone]) -> Iterator[list[LoopbackDNSServer]]:
    """One started server per zone, all on the same free port; stopped afterwards."""
    hosts = worker_addresses(len(zones))
    for _ in range(20):
        started = [LoopbackDNSServer(zones[0], host=hosts[0]).start()]
        try:
            for zone, host in zip(zones[1:], hosts[1:], strict=True):
                started.append(LoopbackDNSServer(zone, host=host, port=started[0].port).start())
        except OSError:  # the port is taken on another address: try another port
            for server in started:
                server.stop()
            continue
        try:
            yield started
        finally:
            for server in started:
                server.stop()
        return
    raise RuntimeError("no port free on every authoritative test address")
