"""Free TCP ports on loopback, for tests that need a port nothing listens on."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (bound, then released): connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def unanswered(host: str, port: int) -> Iterator[None]:
    """`host:port` takes no new connection: a listener whose backlog one connection fills.

    Linux drops the SYNs of further clients, so their connect hangs, as it does towards a
    firewalled or unrouted address; unlike those, this is deterministic on loopback.
    """
    with socket.socket() as listener, socket.socket() as filler:
        listener.bind((host, port))
        listener.listen(0)
        filler.connect((host, port))
        yield
