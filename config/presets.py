"""The platform gateway profile and provider presets, read from presets.toml."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources

from mailgw.config.model import Security
from mailgw.i18n import _


@dataclass(frozen=True)
class DkimRecord:
    """A DKIM selector a provider signs with, and where its key lives."""

    selector: str
    type: str  # "cname" (delegated to the provider) or "txt" (key published by the admin)
    target: str  # CNAME target, may hold {domain}; "" when account-specific

    def target_for(self, domain: str) -> str:
        return self.target.replace("{domain}", domain)


@dataclass(frozen=True)
class Preset:
    """One way to send: the platform gateway or a provider."""

    name: str
    label: str
    host: str
    port: int
    security: Security
    spf_include: str = ""
    dkim: tuple[DkimRecord, ...] = ()
    username_hint: str = ""
    notes: str = ""
    oauth2: str = ""  # the [oauth2.NAME] sign-in this provider offers, "" when none
    oauth2_only: bool = False  # the provider takes no password login at all


@dataclass(frozen=True)
class OAuth2Endpoint:
    """A provider's token endpoint for AUTH XOAUTH2: where, for what scope, with which grant."""

    name: str  # microsoft | google | custom, as smtp.auth.oauth2.provider names it
    label: str
    token_url: str  # may hold {tenant}
    scope: str
    grant: str  # client_credentials | jwt_bearer


@dataclass(frozen=True)
class PlatformGateway(Preset):
    """The managed relay, with what an admin needs to send from their own domain."""

    default_sender: str = ""
    secret_file: str = ""
    verification_txt_prefix: str = ""
    dmarc_default: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def shown(text: str) -> str:
    """A label or note of presets.toml in the current language (their msgids are in config.po)."""
    if not text:
        return ""  # gettext("") is the catalog's header, not an empty note
    return _(text)  # data, not a literal: tests/test_translations.py checks each one


def _preset(name: str, data: dict, cls: type[Preset] = Preset, **extra: object) -> Preset:
    return cls(
        name=name,
        label=data["label"],
        host=data["host"],
        port=int(data["port"]),
        security=Security(data["security"]),
        spf_include=data.get("spf_include", ""),
        dkim=tuple(DkimRecord(**record) for record in data.get("dkim", [])),
        username_hint=data.get("username_hint", ""),
        notes=data.get("notes", ""),
        oauth2=data.get("oauth2", ""),
        oauth2_only=bool(data.get("oauth2_only", False)),
        **extra,
    )


@functools.cache
def _data() -> dict:
    text = resources.files("mailgw.config").joinpath("presets.toml").read_text("utf-8")
    try:
        import tomllib  # a reader is enough for data never written back: ~7x tomlkit's speed
    except ImportError:  # Python 3.10
        import tomlkit

        return tomlkit.parse(text).unwrap()
    return tomllib.loads(text)


@functools.cache
def platform_gateway() -> PlatformGateway:
    """The platform's managed gateway."""
    data = _data()["platform"]
    return _preset(  # type: ignore[return-value]
        "platform",
        data,
        PlatformGateway,
        default_sender=data["default_sender"],
        secret_file=data["secret_file"],
        verification_txt_prefix=data["verification_txt_prefix"],
        dmarc_default=data["dmarc_default"],
    )


@functools.cache
def providers() -> dict[str, Preset]:
    """Provider presets by name, in file order."""
    return {name: _preset(name, data) for name, data in _data()["providers"].items()}


def provider(name: str) -> Preset | None:
    """A provider preset by name, or None (e.g. for "custom")."""
    if name in ("", "custom"):  # no preset: the file (~14 ms to parse) is not read for it
        return None
    return providers().get(name)


@functools.cache
def oauth2_endpoints() -> dict[str, OAuth2Endpoint]:
    """The OAuth 2.0 sign-ins by provider name (microsoft, google, custom)."""
    return {name: OAuth2Endpoint(name=name, **data) for name, data in _data()["oauth2"].items()}


def oauth2_endpoint(name: str) -> OAuth2Endpoint:
    """The endpoint facts of smtp.auth.oauth2.provider `name` (one of the enum's values)."""
    return oauth2_endpoints()[name]
