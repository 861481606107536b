"""The overall deadline and cancellation hold at every stage, even where a call blocks."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from mailgw.delivery.hosts import threaded_resolver
from mailgw.delivery.smtp import probe


class BlockedLookup:
    """A blocking lookup that does not return until released, standing in for getaddrinfo."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.threads: list[threading.Thread] = []

    def __call__(self, host: str, *args: object, **kwargs: object) -> list[str]:
        self.threads.append(threading.current_thread())
        self.release.wait(60)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")


@pytest.fixture
def blocked(monkeypatch: pytest.MonkeyPatch):
    """socket.getaddrinfo blocked: the production default path, never the machine's resolver."""
    lookup = BlockedLookup()
    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    thread_errors: list[object] = []
    monkeypatch.setattr(threading, "excepthook", thread_errors.append)
    yield lookup
    lookup.release.set()
    for thread in lookup.threads:
        thread.join(10)
    assert thread_errors == []  # the late answer met a closed loop and was dropped quietly


def test_a_hung_system_resolver_cannot_hold_asyncio_run_past_the_deadline(
    make_settings, blocked: BlockedLookup
) -> None:
    settings = make_settings(25, "none", host="mail.example.test", timeout=0.3)
    result = asyncio.run(probe(settings))  # the default resolver, as the commands run it
    # run() returned while the lookup still blocks: nothing joined its thread
    assert blocked.threads and blocked.threads[0].is_alive() and blocked.threads[0].daemon
    assert (result.stage, result.category) == ("resolve", "dns")
    assert "did not answer for mail.example.test within 0.3 s" in result.message
    assert "/etc/resolv.conf" in result.fix and "IP address" in result.fix
    assert "port" not in result.fix  # not diagnosed as a blocked port


async def test_an_injected_blocking_lookup_runs_the_same_threaded_path(make_settings) -> None:
    lookup = BlockedLookup()
    settings = make_settings(25, "none", host="mail.example.test", timeout=0.3)
    try:
        result = await probe(settings, resolver=threaded_resolver(lookup))
        assert lookup.threads[0].is_alive()
    finally:
        lookup.release.set()
    assert (result.stage, result.category) == ("resolve", "dns")


async def test_a_lookup_error_in_the_thread_reaches_the_result(make_settings) -> None:
    def failing(host: str) -> list[str]:
        from mailgw.delivery.errors import ResolveError

        raise ResolveError(host, "no such domain (NXDOMAIN)")

    settings = make_settings(25, "none", host="mail.example.test")
    result = await probe(settings, resolver=threaded_resolver(failing))
    assert (result.stage, result.category) == ("resolve", "dns")
    assert "NXDOMAIN" in result.message
