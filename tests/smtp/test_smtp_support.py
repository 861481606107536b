"""The test servers themselves: they stop cleanly, whatever their clients were doing."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading

import pytest

from tests.support.smtpserver import raw_server


def test_raw_server_stops_a_busy_handler_without_noise(caplog: pytest.LogCaptureFixture) -> None:
    busy = threading.Event()

    def hanging(state):
        async def handle(reader, writer) -> None:
            busy.set()
            await asyncio.sleep(60)

        return handle

    caplog.set_level(logging.DEBUG, logger="asyncio")
    with raw_server(hanging) as server, socket.create_connection(("127.0.0.1", server.port)):
        assert busy.wait(10)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
