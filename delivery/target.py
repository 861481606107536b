"""Where a send goes and how: the configured custom server, or the platform gateway."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

from mailgw.config.errors import ConfigError
from mailgw.config.idn import NotAsciiName, ascii_host
from mailgw.config.model import Gateway, Security, Settings
from mailgw.config.presets import PlatformGateway, platform_gateway, provider, shown
from mailgw.config.secrets import read_gateway_credentials, read_password
from mailgw.config.validate import errors, has_control_chars, uses_oauth2, validate
from mailgw.delivery.errors import ConfigInvalid
from mailgw.delivery.oauth2 import TokenRequest, token_request
from mailgw.i18n import _


@dataclass(frozen=True)
class Target:
    """Everything the send path needs to know about the server."""

    host: str
    port: int
    security: Security
    timeout: float
    helo_name: str
    trust_all: bool = False
    tls_fingerprint: str = ""
    auth: bool = False
    username: str = ""
    password: str = field(default="", repr=False)
    allow_plaintext_auth: bool = False
    gateway: Gateway = Gateway.CUSTOM
    provider_note: str = ""  # the preset's quirks ("needs an app password"), shown with fixes
    oauth2: TokenRequest | None = None  # AUTH XOAUTH2 with this token instead of a password

    @property
    def verifies_certificates(self) -> bool:
        return not self.trust_all and not self.tls_fingerprint


def helo_name(settings: Settings) -> str:
    """smtp.helo_name, else the host name; never getfqdn(), which can hang on broken DNS."""
    return settings.smtp.helo_name.strip() or socket.gethostname() or "localhost"


def target_for(settings: Settings, gateway: PlatformGateway | None = None) -> Target:
    """The target of `settings`; raises ConfigInvalid with a message a person can act on."""
    problems = errors(validate(settings))
    if problems:
        first = problems[0]
        more = _(" (and {count} more)").format(count=len(problems) - 1) if len(problems) > 1 else ""
        raise ConfigInvalid(f"{first.key}: {first.message}{more}")
    if settings.smtp.gateway == Gateway.PLATFORM:
        return _platform_target(settings, gateway or platform_gateway())
    return _custom_target(settings)


def _custom_target(settings: Settings) -> Target:
    smtp, auth = settings.smtp, settings.smtp.auth
    password, oauth2 = "", None
    if uses_oauth2(settings):
        oauth2 = token_request(settings)
    elif auth.enabled:
        try:
            password = read_password(auth)
        except ConfigError as exc:
            raise ConfigInvalid(str(exc)) from None
    try:
        host = ascii_host(smtp.host.strip())  # DNS, SNI and the certificate speak A-labels
    except NotAsciiName as exc:
        raise ConfigInvalid(str(exc)) from None
    return Target(
        host=host,
        port=smtp.port,
        security=Security(smtp.security),
        timeout=smtp.timeout,
        helo_name=helo_name(settings),
        trust_all=smtp.trust_all,
        tls_fingerprint=smtp.tls_fingerprint,
        auth=auth.enabled,
        username=auth.username,
        password=password,
        allow_plaintext_auth=smtp.allow_plaintext_auth,
        gateway=Gateway.CUSTOM,
        provider_note=_provider_note(smtp.provider),
        oauth2=oauth2,
    )


def _provider_note(name: str) -> str:
    preset = provider(name)
    return f"{shown(preset.label)}: {shown(preset.notes)}" if preset and preset.notes else ""


def _platform_target(settings: Settings, gateway: PlatformGateway) -> Target:
    try:
        username, key = read_gateway_credentials(gateway.secret_file)
    except ConfigError as exc:
        raise ConfigInvalid(str(exc)) from None
    if has_control_chars(username):
        raise ConfigInvalid(
            _("the username in {secret_file} contains control characters").format(
                secret_file=gateway.secret_file
            )
        )
    return Target(
        host=gateway.host,
        port=gateway.port,
        security=gateway.security,
        timeout=settings.smtp.timeout,
        helo_name=helo_name(settings),
        auth=True,
        username=username,
        password=key,
        gateway=Gateway.PLATFORM,
    )
