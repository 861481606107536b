"""What the configured gateway expects of the sender domain, read from settings and presets."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from mailgw.config.model import Gateway, Settings
from mailgw.config.presets import DkimRecord, Preset, platform_gateway, provider, shown
from mailgw.delivery.dmarc import organizational_domain
from mailgw.i18n import _


class SenderDomainError(ValueError):
    """The settings do not name a domain mailgw can check (with what to set instead)."""


@dataclass(frozen=True)
class SenderSetup:
    """The domain to authorise and what the gateway needs published there."""

    domain: str
    from_domain: str  # the From address's domain (DMARC alignment is judged against it)
    gateway_label: str
    verification: str | None  # expected verification TXT value; None when not needed
    verification_prefix: str  # "mandrill_verify." for the platform gateway, else ""
    spf_include: str  # "" when the gateway is authorised by address (own server)
    server_host: str  # own server: host whose address SPF must authorise
    dkim: tuple[DkimRecord, ...]
    dmarc_default: str
    platform: bool

    @property
    def needs_verification_key(self) -> bool:
        return self.platform and self.verification is None

    def spf_mechanism(self) -> str:
        """The SPF term that authorises this gateway."""
        if self.spf_include:
            return f"include:{self.spf_include}"
        try:
            address = ipaddress.ip_address(self.server_host)
        except ValueError:
            return f"a:{self.server_host}" if self.server_host else ""
        return f"ip{address.version}:{address}"


def _names(settings: Settings, domain: str | None) -> tuple[str, str]:
    """(the domain to check, the From address's domain as written)."""
    name = (domain or settings.sender_domain_name()).strip().lower().rstrip(".")
    return name, settings.email.from_address.rpartition("@")[2].strip().lower() or name


def compares_organisations(settings: Settings, domain: str | None = None) -> bool:
    """Whether sender_setup needs the public suffix list (the From is of another name)."""
    name, from_domain = _names(settings, domain)
    return from_domain not in (name, platform_gateway().default_sender.rpartition("@")[2])


def sender_setup(settings: Settings, domain: str | None = None) -> SenderSetup:
    """Expectations for `domain` (default: the configured sender domain)."""
    name, from_domain = _names(settings, domain)
    gateway = platform_gateway()
    if not name:
        raise SenderDomainError(
            _("no sender domain: set email.from_address or sender_domain.domain (or pass --domain)")
        )
    if not domain and name == gateway.default_sender.rpartition("@")[2]:
        raise SenderDomainError(
            _(
                "the sender is the platform's default address ({default_sender}): "
                "set email.from_address to an address of your domain, or "
                "sender_domain.domain"
            ).format(default_sender=gateway.default_sender)
        )
    if from_domain == gateway.default_sender.rpartition("@")[2] or (
        from_domain != name  # equal names need no public suffix list to compare
        and organizational_domain(from_domain) != organizational_domain(name)
    ):
        # the From is not of this domain: judge the domain on its own, whether it was named
        # by --domain or by sender_domain.domain (both check DMARC at the same name)
        from_domain = name
    if settings.smtp.gateway is Gateway.PLATFORM:
        return _platform_setup(settings, name, from_domain)
    return _custom_setup(settings, name, from_domain, provider(settings.smtp.provider))


def _platform_setup(settings: Settings, domain: str, from_domain: str) -> SenderSetup:
    gateway = platform_gateway()
    key = settings.sender_domain.verification_key.strip()
    return SenderSetup(
        domain=domain,
        from_domain=from_domain,
        gateway_label=shown(gateway.label),
        verification=f"{gateway.verification_txt_prefix}{key}" if key else None,
        verification_prefix=gateway.verification_txt_prefix,
        spf_include=gateway.spf_include,
        server_host="",
        dkim=_selectors(settings, gateway),
        dmarc_default=gateway.dmarc_default,
        platform=True,
    )


def _custom_setup(
    settings: Settings, domain: str, from_domain: str, preset: Preset | None
) -> SenderSetup:
    include = preset.spf_include if preset else ""
    return SenderSetup(
        domain=domain,
        from_domain=from_domain,
        gateway_label=shown(preset.label)
        if preset
        else _("your SMTP server {host}").format(host=settings.smtp.host),
        verification=None,
        verification_prefix="",
        spf_include=include,
        server_host="" if include else settings.smtp.host.strip(),
        dkim=_selectors(settings, preset),
        dmarc_default=platform_gateway().dmarc_default,
        platform=False,
    )


def _selectors(settings: Settings, preset: Preset | None) -> tuple[DkimRecord, ...]:
    """Configured selectors win; a configured selector known to the preset keeps its CNAME."""
    known = {record.selector: record for record in (preset.dkim if preset else ())}
    configured = [s.strip() for s in settings.sender_domain.dkim_selectors if s.strip()]
    if not configured:
        return tuple(known.values())
    return tuple(known.get(s, DkimRecord(selector=s, type="txt", target="")) for s in configured)
