"""Which DNS servers the console's checks ask, by the rule every front shares (resolver.py's
choose_nameservers): `MAILGW_NAMESERVERS` ("IP[:PORT]" separated by commas or spaces), else the
config's `dns.nameservers`, else the system resolver. `MAILGW_AUTHORITATIVE_PORT` is the port
the domain's own name servers are asked on (53 on the internet) and `MAILGW_DNS_TIMEOUT` the
seconds to wait per lookup. The tests point them at loopback servers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mailgw.i18n import _

if TYPE_CHECKING:
    from mailgw.delivery.resolver import ResolverConfig

AUTHORITATIVE_PORT_ENV = "MAILGW_AUTHORITATIVE_PORT"
TIMEOUT_ENV = "MAILGW_DNS_TIMEOUT"


def resolver_config(configured: Sequence[str] = ()) -> ResolverConfig:
    """The resolver settings for `dns.nameservers` = `configured` and the environment (raises
    DnsConfigError when malformed)."""
    from mailgw.delivery.resolver import DEFAULT_TIMEOUT, ResolverConfig, choose_nameservers

    return ResolverConfig(
        nameservers=choose_nameservers((), configured, os.environ),
        timeout=_number(TIMEOUT_ENV, DEFAULT_TIMEOUT, float),
        authoritative_port=_number(AUTHORITATIVE_PORT_ENV, 53, int),
    )


def _number(variable: str, default: float, kind: type) -> float:
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        value = 0
    if value <= 0:
        from mailgw.delivery.resolver import DnsConfigError

        message = _("${variable} must be a positive number, not {text!r}")
        raise DnsConfigError(message.format(variable=variable, text=text))
    return value
