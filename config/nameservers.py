"""The name server address format every front accepts: "IP", "IP:PORT", "[IPv6]:PORT"."""

from __future__ import annotations

import ipaddress

from mailgw.i18n import _


class NameserverError(ValueError):
    """Text that is not a name server address."""


def split_nameserver(text: str, default_port: int = 53) -> tuple[str, int]:
    """ "IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6 address -> (ip, port)."""
    text = text.strip()
    host, port = text, default_port
    if text.startswith("["):
        host, _bracket, rest = text[1:].partition("]")
        if rest:
            port = _port(rest.lstrip(":"), text)
    elif text.count(":") == 1:
        host, _colon, port_text = text.partition(":")
        port = _port(port_text, text)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise NameserverError(
            _("{text!r} is not an IP address (IP or IP:PORT)").format(text=text)
        ) from None
    return host, port


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise NameserverError(
            _("{whole!r} has no valid port (IP:PORT, 1-65535)").format(whole=whole)
        )
    return int(text)
