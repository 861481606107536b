"""Free TCP ports on loopback, for tests that need a port nothing listens on."""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (bound, then released): connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
