"""Typed errors of the delivery layer; network outcomes are results, not exceptions."""

from __future__ import annotations

from mailgw.i18n import _


class DeliveryError(Exception):
    """Base of every error raised by mailgw.delivery."""


class ConfigInvalid(DeliveryError):
    """The settings cannot be used to connect (reported as category config_invalid)."""


class MessageInvalid(ConfigInvalid):
    """A header value would inject headers (CR, LF or NUL) or an address does not parse."""


class ResolveError(DeliveryError):
    """A host name did not resolve."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(_("{host} does not resolve: {reason}").format(host=host, reason=reason))
        self.host = host
        self.reason = reason
