"""The settings the platform reads: typed, with defaults, one dataclass per TOML table.

Every field carries its documentation in `metadata["doc"]` and the component that reads it in
`metadata["reader"]`; `schema.py` derives the key list, the JSON Schema and `set` typing from it.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1
PLATFORM_DEFAULT_SENDER = "no-reply@x-gpsmail.com"


class Gateway(str, enum.Enum):
    """Which server the platform's mail leaves through."""

    PLATFORM = "platform"
    CUSTOM = "custom"


class Security(str, enum.Enum):
    """How the SMTP connection is protected."""

    NONE = "none"
    SSL = "ssl"  # implicit TLS from the first byte
    STARTTLS = "starttls"


class AuthMethod(str, enum.Enum):
    """How the login proves itself to the SMTP server."""

    PASSWORD = "password"  # AUTH PLAIN / LOGIN with smtp.auth.password(_file)
    OAUTH2 = "oauth2"  # AUTH XOAUTH2 with a token from [smtp.auth.oauth2]


class OAuth2Provider(str, enum.Enum):
    """Whose token endpoint signs the platform in; the endpoint and scope live in presets.toml."""

    MICROSOFT = "microsoft"  # client credentials, app permission SMTP.SendAsApp
    GOOGLE = "google"  # service account, domain-wide delegation (JWT bearer)
    CUSTOM = "custom"  # client credentials against token_url with scope


DEFAULT_PORTS: dict[Security, int] = {Security.NONE: 25, Security.SSL: 465, Security.STARTTLS: 587}
IMAP_PORTS: dict[Security, int] = {Security.NONE: 143, Security.SSL: 993, Security.STARTTLS: 143}


MAX_TIMEOUT_SECONDS = 600  # a conversation that needs longer is broken; a typo must not hang


def _doc(default: Any, doc: str, reader: str = "platform, mailgw", **extra: Any) -> Any:
    """A dataclass field with its documentation attached."""
    meta = {"doc": doc, "reader": reader, **extra}
    shown = not extra.get("secret", False)  # a secret never reaches a repr, log or traceback
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta, repr=shown)
    return field(default=default, metadata=meta, repr=shown)


@dataclass
class OAuth2Settings:
    """`[smtp.auth.oauth2]`: where the token for AUTH XOAUTH2 comes from (method = oauth2)."""

    provider: OAuth2Provider = _doc(
        OAuth2Provider.MICROSOFT,
        "`microsoft` = Microsoft 365 (client credentials, app permission SMTP.SendAsApp); "
        "`google` = Google Workspace (service account with domain-wide delegation); "
        "`custom` = client credentials against `token_url` with `scope`.",
    )
    tenant: str = _doc(
        "", "Microsoft: the directory (tenant) ID, a GUID, or a domain of the tenant."
    )
    client_id: str = _doc("", "Microsoft and custom: the application (client) ID.")
    client_secret_file: str = _doc(
        "",
        "Microsoft and custom: path of a file (mode 0600) whose content is the client secret; "
        "written by `mailgw set-secret`.",
    )
    service_account_file: str = _doc(
        "",
        "Google: path of the service account's JSON key (mode 0600); the token impersonates "
        "`smtp.auth.username`.",
    )
    token_url: str = _doc(
        "",
        "The token endpoint (https); empty = the provider's. May hold `{tenant}`. Overrides "
        "any provider's (sovereign clouds, tests).",
    )
    scope: str = _doc(
        "",
        "Scope asked for; empty = the provider's (`https://outlook.office365.com/.default`, "
        "`https://mail.google.com/`). Required for custom.",
    )


@dataclass
class AuthSettings:
    """`[smtp.auth]`: the login used against a custom SMTP server."""

    enabled: bool = _doc(False, "Log in to the SMTP server before sending.")
    method: AuthMethod = _doc(
        AuthMethod.PASSWORD,
        "`password` = AUTH PLAIN/LOGIN with the password; `oauth2` = AUTH XOAUTH2 with a "
        "token from `[smtp.auth.oauth2]` (Microsoft 365, Google Workspace).",
    )
    username: str = _doc("", "Login name; for SendGrid it is the literal `apikey`.")
    password: str = _doc(
        "",
        "Login password stored inline. Prefer `password_file`; set it with "
        "`mailgw set-password`, never on a command line.",
        secret=True,
    )
    password_file: str = _doc(
        "",
        "Path of a file (mode 0600) whose content is the password (one trailing newline "
        "ignored); wins over `password`. Written by `mailgw set-password --file PATH`.",
    )
    oauth2: OAuth2Settings = field(default_factory=OAuth2Settings)


@dataclass
class SmtpSettings:
    """`[smtp]`: the server the platform's mail leaves through."""

    gateway: Gateway = _doc(
        Gateway.PLATFORM,
        "`platform` = the platform's managed gateway (recommended); "
        "`custom` = your own SMTP server.",
    )
    provider: str = _doc(
        "custom",
        "Name of the provider preset the custom server was filled from, or `custom`.",
        reader="mailgw",
    )
    host: str = _doc("", "Host name or IP address of the custom SMTP server.")
    port: int = _doc(
        587,
        "TCP port; follows `security` (none 25, ssl 465, starttls 587) unless set by hand.",
        minimum=1,
        maximum=65535,
    )
    security: Security = _doc(
        Security.STARTTLS,
        "`none` = no TLS; `ssl` = implicit TLS from the first byte; "
        "`starttls` = STARTTLS required.",
    )
    trust_all: bool = _doc(
        False,
        "Accept any certificate (self-signed servers). Only meaningful with ssl or starttls.",
    )
    tls_fingerprint: str = _doc(
        "",
        "SHA-256 fingerprint of the server certificate to pin (hex, colons allowed); "
        "accepts exactly that certificate even if self-signed.",
    )
    timeout: float = _doc(
        30.0,
        "Seconds allowed for a whole SMTP conversation, not each read.",
        minimum=1,
        maximum=MAX_TIMEOUT_SECONDS,
    )
    helo_name: str = _doc(
        "",
        "Name sent in EHLO (a host name or an address literal such as [192.0.2.1]); empty = "
        "this machine's host name (no DNS lookup).",
    )
    allow_plaintext_auth: bool = _doc(
        False,
        "Opt-in: allow the login over a connection without TLS (security = none) to a host "
        "that is not loopback; without it, mailgw check reports an error.",
    )
    auth: AuthSettings = field(default_factory=AuthSettings)


@dataclass
class EmailSettings:
    """`[email]`: what every mail the platform sends looks like."""

    from_address: str = _doc(
        PLATFORM_DEFAULT_SENDER,
        "Sender (From) address; the platform gateway's default sender unless your domain is "
        "authorised.",
    )
    from_name: str = _doc("", "Display name shown next to the sender address.")
    signature: str = _doc("", "Text appended to the end of every mail (may span lines).")


@dataclass
class SenderDomainSettings:
    """`[sender_domain]`: the admin's own domain, authorised to send through the gateway."""

    domain: str = _doc(
        "", "Domain to authorise; empty = the domain of `email.from_address`.", reader="mailgw"
    )
    verification_key: str = _doc(
        "",
        "Key of the `mandrill_verify.KEY` TXT record, as given by support.",
        reader="mailgw",
    )
    dkim_selectors: list[str] = _doc(
        [],
        "DKIM selectors to check; empty = those of the gateway or provider preset.",
        reader="mailgw",
    )


@dataclass
class DnsSettings:
    """`[dns]`: how mailgw's DNS checks look things up (the platform does not read it)."""

    nameservers: list[str] = _doc(
        [],
        "Resolvers mailgw's DNS checks ask (`IP` or `IP:PORT`); empty = the system's. "
        "`$MAILGW_NAMESERVERS` overrides it, and a command's `--nameserver` overrides both.",
        reader="mailgw",
    )


@dataclass
class ReceiveAuthSettings:
    """`[receive.auth]`: how mailgw logs in to the receiving mailbox."""

    method: AuthMethod = _doc(
        AuthMethod.PASSWORD,
        "`password` = LOGIN with `receive.password_file`; `oauth2` = AUTHENTICATE XOAUTH2 with "
        "a token from `[smtp.auth.oauth2]`'s app for `receive.username` (Microsoft 365: the "
        "app also needs IMAP.AccessAsApp; Google: the same delegated scope).",
        "mailgw",
    )


@dataclass
class ReceiveSettings:
    """`[receive]`: a mailbox mailgw reads to prove a test send arrived (never the platform)."""

    host: str = _doc(
        "", "IMAP server of a mailbox the test sends go to; empty = no receipt check.", "mailgw"
    )
    port: int = _doc(
        993,
        "TCP port; follows `security` (ssl 993, starttls 143) unless set by hand.",
        "mailgw",
        minimum=1,
        maximum=65535,
    )
    security: Security = _doc(
        Security.SSL,
        "`ssl` = implicit TLS (IMAPS); `starttls` = STARTTLS required; `none` only to a "
        "loopback host.",
        "mailgw",
    )
    username: str = _doc("", "Login name of the mailbox.", "mailgw")
    password_file: str = _doc(
        "",
        "Path of a file (mode 0600) whose first line is the mailbox password; written by "
        "`mailgw set-password --receive --file PATH`.",
        "mailgw",
    )
    folders: list[str] = _doc(
        [],
        "Folders searched for the copy; empty = INBOX and the server's `\\Junk` folder (RFC 6154).",
        "mailgw",
    )
    wait: float = _doc(
        120.0,
        "Seconds a send-and-verify waits for the copy, login included; `test-send --wait` "
        "overrides it.",
        "mailgw",
        minimum=1,
        maximum=3600,
    )
    auth: ReceiveAuthSettings = field(default_factory=ReceiveAuthSettings)


@dataclass
class Settings:
    """The whole contract, `schema_version = 1`."""

    schema_version: int = _doc(SCHEMA_VERSION, "Version of this file's layout.", minimum=1)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    email: EmailSettings = field(default_factory=EmailSettings)
    sender_domain: SenderDomainSettings = field(default_factory=SenderDomainSettings)
    dns: DnsSettings = field(default_factory=DnsSettings)
    receive: ReceiveSettings = field(default_factory=ReceiveSettings)

    def sender_domain_name(self) -> str:
        """The domain to authorise: the configured one, else the From address's."""
        if self.sender_domain.domain:
            return self.sender_domain.domain.strip().lower().rstrip(".")
        domain = self.email.from_address.rpartition("@")[2]
        return domain.strip().lower().rstrip(".")

    def copy(self) -> Settings:
        """A deep copy, so that an edited copy can be compared with the original."""
        return dataclasses.replace(
            self,
            smtp=dataclasses.replace(
                self.smtp,
                auth=dataclasses.replace(
                    self.smtp.auth, oauth2=dataclasses.replace(self.smtp.auth.oauth2)
                ),
            ),
            email=dataclasses.replace(self.email),
            sender_domain=dataclasses.replace(
                self.sender_domain, dkim_selectors=list(self.sender_domain.dkim_selectors)
            ),
            dns=dataclasses.replace(self.dns, nameservers=list(self.dns.nameservers)),
            receive=dataclasses.replace(
                self.receive,
                folders=list(self.receive.folders),
                auth=dataclasses.replace(self.receive.auth),
            ),
        )
