"""The overall deadline and cancellation hold at every stage, even where a call blocks."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
from typing import Any

import pytest

from mailgw.delivery.hosts import dns_resolver, threaded_resolver
from mailgw.delivery.smtp import probe
from tests.support.dnsserver import Zone, serving
from tests.support.ports import free_port, unanswered
from tests.support.smtpserver import SERVER_NAME, smtp_server


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
    settings = make_settings(25, "none", host="mail.example.test", timeout=1.0)
    result = asyncio.run(probe(settings))  # the default resolver, as the commands run it
    # run() returned while the lookup still blocks: nothing joined its thread
    assert blocked.threads and blocked.threads[0].is_alive() and blocked.threads[0].daemon
    assert (result.stage, result.category) == ("resolve", "dns")
    assert "did not answer for mail.example.test within 1 s" in result.message
    assert "/etc/resolv.conf" in result.fix and "IP address" in result.fix
    assert "port" not in result.fix  # not diagnosed as a blocked port


async def test_an_injected_blocking_lookup_runs_the_same_threaded_path(make_settings) -> None:
    lookup = BlockedLookup()
    settings = make_settings(25, "none", host="mail.example.test", timeout=1.0)
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


def _getaddrinfo_giving(*addresses: str):
    """socket.getaddrinfo answering with `addresses` in this order, as a system resolver may."""

    real = socket.getaddrinfo

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        if host != SERVER_NAME:  # an IP literal, resolved without asking anyone
            ipaddress.ip_address(host)
            return real(host, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0)) for a in addresses]

    return getaddrinfo


async def test_a_silent_first_address_leaves_time_for_the_next(make_settings, monkeypatch):
    """The name gives a silent address first and a working server second, like a dead IPv6."""
    monkeypatch.setattr(socket, "getaddrinfo", _getaddrinfo_giving("127.0.0.2", "127.0.0.1"))
    with smtp_server("plain") as server, unanswered("127.0.0.2", server.port):
        settings = make_settings(server.port, "none", host=SERVER_NAME, timeout=2.0)
        result = await probe(settings)
    assert result.ok, result.as_dict()
    notes = [line.text for line in result.transcript]
    assert f"127.0.0.2 port {server.port}: no answer within 1.0 s" in notes
    assert f"connected to 127.0.0.1 port {server.port}" in notes
    assert "EHLO" in server.recorder.commands


async def test_every_address_silent_is_a_timeout_naming_them(make_settings) -> None:
    port = free_port("127.0.0.2")
    with unanswered("127.0.0.2", port), unanswered("127.0.0.3", port):
        zone = Zone().add(SERVER_NAME, "A", "127.0.0.2", "127.0.0.3")
        with serving(zone) as dns_server:
            resolver = dns_resolver(dns_server.host, dns_server.port, lifetime=2.0)
            settings = make_settings(port, "none", host=SERVER_NAME, timeout=1.0)
            result = await probe(settings, resolver=resolver)
    assert (result.stage, result.category) == ("connect", "timeout")
    tried = result.message.partition("; tried ")[2]
    assert sorted(tried.split(", ")) == ["127.0.0.2", "127.0.0.3"]
    assert f"port {port}" in result.fix and "blocked" in result.fix
