"""DKIM verification is bounded: a capped message size and number of signatures, the work off
the event loop, and a cancelled verification stops."""

from __future__ import annotations

import asyncio
import threading

import pytest

from mailgw.delivery import dkim
from mailgw.delivery.dkim import MAX_SIGNATURES, MessageError, verify_message
from mailgw.delivery.resolver import ResolverConfig
from tests.dns.keys import MESSAGE, rsa_key, sign
from tests.support.dnsserver import Zone, serving


def _signed_many(count: int) -> bytes:
    key = rsa_key(1024)
    message = MESSAGE
    for _index in range(count):
        message = sign(message, key, "example.test", "mte1")
    return message


async def test_only_the_capped_number_of_signatures_is_judged() -> None:
    zone = Zone().add_txt("mte1._domainkey.example.test", rsa_key(1024).record)
    with serving(zone) as server:
        config = ResolverConfig((server.nameserver,), timeout=0.5)
        report = await verify_message(_signed_many(MAX_SIGNATURES + 5), resolver=config)
    assert len(report.signatures) == MAX_SIGNATURES
    assert f"only the first {MAX_SIGNATURES} of {MAX_SIGNATURES + 5}" in report.problems[0]


async def test_a_message_over_the_size_cap_is_refused_at_once() -> None:
    big = MESSAGE + b"x" * (dkim.MAX_MESSAGE_BYTES + 1)
    with pytest.raises(MessageError, match="at most"):
        await verify_message(big, resolver=ResolverConfig(("127.0.0.1",), timeout=0.1))


async def test_signatures_are_checked_off_the_event_loop_and_a_cancel_stops_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: list[threading.Thread] = []
    started = threading.Event()
    release = threading.Event()
    real = dkim._check_signature

    def slow_check(*args: object) -> tuple[str, str]:
        threads.append(threading.current_thread())
        started.set()
        release.wait(5)  # a very slow signature (a huge message)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(dkim, "_check_signature", slow_check)
    zone = Zone().add_txt("mte1._domainkey.example.test", rsa_key(1024).record)
    with serving(zone) as server:
        config = ResolverConfig((server.nameserver,), timeout=0.5)
        task = asyncio.ensure_future(verify_message(_signed_many(5), resolver=config))
        while not started.is_set():  # the loop keeps running while a signature is checked
            await asyncio.sleep(0.01)
        task.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.2)  # a thread that was still busy would start the next one now
    assert threads and all(t is not threading.main_thread() for t in threads)
    assert len(threads) == 1  # cancelled: no further signature was started


async def test_a_nul_in_a_header_is_named_not_called_no_headers() -> None:
    with pytest.raises(MessageError, match="line 1 holds a NUL"):
        await verify_message(
            b"Fr\x00om: a@example.test\nSubject: x\n\nbody\n",
            resolver=ResolverConfig(("127.0.0.1",), timeout=0.1),
        )
