"""Field-level problems: an error blocks a save, a warning informs."""

from __future__ import annotations

import enum
import ipaddress
import math
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from mailgw.config.idn import NotAsciiName, ascii_host
from mailgw.config.model import (
    DEFAULT_PORTS,
    SCHEMA_VERSION,
    AuthMethod,
    AuthSettings,
    Gateway,
    OAuth2Provider,
    ReceiveSettings,
    Security,
    Settings,
)
from mailgw.config.schema import KEYS, get_value
from mailgw.config.secrets import (
    OAuth2SecretUnavailable,
    PasswordUnavailable,
    read_client_secret,
    read_mailbox_password,
    read_password,
    read_service_account,
)
from mailgw.config.trust import secret_file_problem, untrusted_reason
from mailgw.i18n import N_, _


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one key."""

    key: str
    severity: Severity
    message: str
    # How to fix it from a shell; the console does it in the field under which it shows.
    command_fix: str = ""

    @property
    def for_command(self) -> str:
        """The message as a command prints it: with the shell fix, when there is one."""
        return f"{self.message}; {self.command_fix}" if self.command_fix else self.message

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "severity": self.severity.value, "message": self.for_command}


HEADER_KEYS = ("email.from_address", "email.from_name", "smtp.helo_name", "smtp.host")
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def validate(
    settings: Settings,
    config_path: Path | None = None,
    *,
    saving: bool = False,
    secrets_to_write: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Every problem in `settings`, errors first.

    `saving`: judge the file as a save leaves it (a save never keeps it world-readable).
    `secrets_to_write`: secret files the save writes once it succeeds (0600, not empty): only
    whether they may be written is judged, not what they hold now.
    """
    problems = [
        *_schema_version(settings),
        *_header_safety(settings),
        *_ranges(settings),
        *_smtp(settings),
        *_auth(settings, config_path, saving, secrets_to_write),
        *_oauth2(settings, secrets_to_write),
        *_email(settings),
        *_sender_domain(settings),
        *_dns(settings),
        *receive_problems(settings),
    ]
    return sorted(problems, key=lambda p: p.severity != Severity.ERROR)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == Severity.ERROR]


def _error(key: str, message: str) -> Problem:
    return Problem(key, Severity.ERROR, message)


def _warning(key: str, message: str) -> Problem:
    return Problem(key, Severity.WARNING, message)


def _schema_version(settings: Settings) -> list[Problem]:
    if settings.schema_version == SCHEMA_VERSION:
        return []
    return [
        _error(
            "schema_version",
            _(
                "this mailgw understands schema_version {supported}, "
                "not {found}; upgrade mailgw or fix the value"
            ).format(supported=SCHEMA_VERSION, found=settings.schema_version),
        )
    ]


def has_control_chars(value: str) -> bool:
    """CR, LF or NUL: what turns a header value into header injection."""
    return any(ch in value for ch in "\r\n\0")


def _header_safety(settings: Settings) -> list[Problem]:
    values = {
        "email.from_address": settings.email.from_address,
        "email.from_name": settings.email.from_name,
        "smtp.helo_name": settings.smtp.helo_name,
        "smtp.host": settings.smtp.host,
        "smtp.auth.username": settings.smtp.auth.username,
        # these go into IMAP commands: a line break would start another command
        "receive.host": settings.receive.host,
        "receive.username": settings.receive.username,
        "receive.folders": "".join(settings.receive.folders),
    }
    out = []
    for key, value in values.items():
        if has_control_chars(value):
            message = _(
                "must not contain line breaks or NUL characters (they would inject headers)"
            )
            out.append(_error(key, message))
        elif _OTHER_CONTROL.search(value):
            message = _(
                "must not contain control characters such as escape codes (they would reach "
                "every receiver's header and terminal); remove them"
            )
            out.append(_error(key, message))
    return out


_INJECTION = N_("must not contain line breaks or NUL characters (they would inject headers)")
_OTHER_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # tab is fine in a header


def is_valid_host(host: str) -> bool:
    """A DNS host name (one trailing dot at most) or an IP address, IPv6 maybe in brackets."""
    literal = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if "[" in literal or "]" in literal:
        return False  # `[::1` or `a]`: brackets only around a whole IPv6 address
    address, _percent, scope = literal.partition("%")
    if scope and not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", scope):
        return False  # `fe80::1%a b c`: a zone is an interface name
    try:
        parsed = ipaddress.ip_address(address if scope else literal)
        return literal == host or parsed.version == 6
    except ValueError:
        pass
    if literal != host or host.endswith(".."):
        return False
    try:
        name = ascii_host(host).rstrip(".")  # an IDN name is judged as it is sent: A-labels
    except NotAsciiName:
        return False
    if not name or len(name) > 253:
        return False
    return all(_HOST_LABEL.match(label) for label in name.split("."))


def is_loopback(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _mail_in_clear(settings: Settings) -> list[Problem]:
    """`none` to a host beyond this machine: anyone on the path reads every mail (a login over
    it is judged, more strictly, by the authentication rule)."""
    smtp = settings.smtp
    if smtp.gateway != Gateway.CUSTOM or smtp.security != Security.NONE or smtp.auth.enabled:
        return []
    if not smtp.host.strip() or is_loopback(smtp.host):
        return []
    message = _(
        "mail to {host} crosses the network unencrypted (smtp.security = none): anyone on the "
        "path can read it; choose ssl or starttls if the server offers it"
    )
    return [_warning("smtp.security", message.format(host=smtp.host))]


def _helo_name(name: str) -> list[Problem]:
    """EHLO takes a host name or an address literal ([192.0.2.1], [IPv6:2001:db8::1])."""
    if not name or has_control_chars(name):
        return []
    literal = name[1:-1].removeprefix("IPv6:") if name.startswith("[") else ""
    if len(name) <= 255 and (is_valid_host(name) if not literal else is_ip_address(literal)):
        return []
    message = _(
        "{name} is not a host name or an address literal such as [192.0.2.1]; EHLO sends it "
        "as this machine's name"
    )
    return [_error("smtp.helo_name", message.format(name=repr(name[:80])))]


def is_ip_address(text: str) -> bool:
    """An IPv4 or IPv6 address, as text."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _smtp(settings: Settings) -> list[Problem]:
    smtp = settings.smtp
    out: list[Problem] = []
    if smtp.gateway == Gateway.CUSTOM:
        if not smtp.host.strip():
            out.append(_error("smtp.host", _("a custom SMTP server needs a host name")))
        elif not has_control_chars(smtp.host) and not is_valid_host(smtp.host):
            message = _("{host} is not a valid host name or IP address")
            out.append(_error("smtp.host", message.format(host=repr(smtp.host))))
    out.extend(_helo_name(smtp.helo_name))
    if (smtp.security, smtp.port) in {(Security.STARTTLS, 465), (Security.SSL, 587)}:
        right = DEFAULT_PORTS[smtp.security]
        out.append(
            _warning(
                "smtp.port",
                _(
                    "port {port} usually does not speak {security}; the usual port is {right}"
                ).format(port=smtp.port, security=smtp.security.value.upper(), right=right),
            )
        )
    if smtp.provider != "custom" and not _is_preset(smtp.provider):
        from mailgw.config.presets import providers

        known = ", ".join(["custom", *providers()])
        message = _("unknown preset {name}; known: {known}")
        out.append(_warning("smtp.provider", message.format(name=repr(smtp.provider), known=known)))
    out.extend(_mail_in_clear(settings))
    if smtp.trust_all and smtp.security == Security.NONE:
        out.append(
            _warning("smtp.trust_all", _("has no effect without TLS (smtp.security = none)"))
        )
    elif smtp.trust_all:
        out.append(
            _warning(
                "smtp.trust_all",
                _(
                    "any certificate is accepted, so a machine in the middle can read the mail "
                    "and the password; pin the certificate with smtp.tls_fingerprint instead"
                ),
            )
        )
    if smtp.tls_fingerprint and not re.fullmatch(
        r"[0-9A-Fa-f]{64}", smtp.tls_fingerprint.replace(":", "")
    ):
        out.append(
            _error("smtp.tls_fingerprint", _("must be a SHA-256 fingerprint: 64 hex digits"))
        )
    return out


def _is_preset(name: str) -> bool:
    from mailgw.config import presets  # reads a data file: only when a preset is named

    return presets.provider(name) is not None


def _ranges(settings: Settings) -> list[Problem]:
    """Each number against the bounds its key declares in the model (written there only)."""
    out = []
    for spec in KEYS.values():
        if spec.type not in (int, float) or (spec.minimum is None and spec.maximum is None):
            continue
        value = get_value(settings, spec.key)
        low = spec.minimum if spec.minimum is not None else -math.inf
        high = spec.maximum if spec.maximum is not None else math.inf
        if math.isfinite(value) and low <= value <= high:
            continue
        if spec.maximum is None:
            message = _("{value} is too small; use at least {minimum:g}")
        else:
            message = _("{value} is out of range; use {minimum:g} to {maximum:g}")
        shown = message.format(value=value, minimum=low, maximum=high)
        out.append(_error(spec.key, shown))
    return out


def _auth(
    settings: Settings, config_path: Path | None, saving: bool, to_write: frozenset[str]
) -> list[Problem]:
    smtp, auth = settings.smtp, settings.smtp.auth
    pending = auth.password_file in to_write
    out = _pending_secret_file(auth) if pending else _password_exposure(auth, config_path, saving)
    if auth.password_file and not os.path.isabs(auth.password_file):
        message = _(
            "{path} is a relative path: it would be read from wherever mailgw or the platform "
            "happens to start; give the full path"
        )
        out.append(_error("smtp.auth.password_file", message.format(path=auth.password_file)))
    if smtp.gateway != Gateway.CUSTOM or not auth.enabled:
        return out
    if not auth.username:
        out.append(
            _error("smtp.auth.username", _("authentication is on but the username is empty"))
        )
    if auth.method == AuthMethod.OAUTH2:
        return out  # no password: _oauth2 judges the sign-in
    if not auth.password and not auth.password_file:
        out.append(
            Problem(
                "smtp.auth.password",
                Severity.ERROR,
                _("authentication is on but no password is set"),
                _("use `mailgw set-password`"),
            )
        )
    if not pending:
        out.extend(_password_file_problems(auth))
    if smtp.security == Security.NONE and not is_loopback(smtp.host):
        if smtp.allow_plaintext_auth:
            out.append(
                _warning(
                    "smtp.security",
                    _(
                        "the login crosses the network unencrypted (allowed by "
                        "smtp.allow_plaintext_auth); choose ssl or starttls if the server offers it"
                    ),
                )
            )
        else:
            out.append(
                _error(
                    "smtp.security",
                    _(
                        "the login would cross the network unencrypted; choose ssl or starttls "
                        "(or set smtp.allow_plaintext_auth = true if you accept the risk)"
                    ),
                )
            )
    return out


def _pending_secret_file(auth: AuthSettings) -> list[Problem]:
    """A password file the save is about to write (0600): only whether it may be written."""
    problem = secret_file_problem(Path(auth.password_file))
    return [_error("smtp.auth.password_file", problem)] if problem else []


_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
OAUTH2 = "smtp.auth.oauth2."
# what each provider needs besides the username, and the key that holds the secret
OAUTH2_NEEDS: dict[OAuth2Provider, tuple[str, ...]] = {
    OAuth2Provider.MICROSOFT: ("tenant", "client_id", "client_secret_file"),
    OAuth2Provider.GOOGLE: ("service_account_file",),
    OAuth2Provider.CUSTOM: ("token_url", "client_id", "client_secret_file", "scope"),
}
_MISSING = {
    "tenant": N_("Microsoft 365 needs the directory (tenant) ID or a domain of the tenant"),
    "client_id": N_("the sign-in needs the application (client) ID"),
    "client_secret_file": N_("the sign-in needs a client secret file"),
    "service_account_file": N_("Google Workspace needs the service account's JSON key file"),
    "token_url": N_("a custom provider needs its token endpoint (https://...)"),
    "scope": N_("a custom provider needs the scope to ask for"),
}


def uses_oauth2(settings: Settings) -> bool:
    """The custom server's login is AUTH XOAUTH2 with a token from [smtp.auth.oauth2]."""
    smtp = settings.smtp
    return (
        smtp.gateway == Gateway.CUSTOM
        and smtp.auth.enabled
        and (smtp.auth.method == AuthMethod.OAUTH2)
    )


def _oauth2(settings: Settings, to_write: frozenset[str] = frozenset()) -> list[Problem]:
    """Every key of the OAuth 2.0 sign-in, judged as the password ones are."""
    if not uses_oauth2(settings):
        return []
    out: list[Problem] = []
    if settings.smtp.security == Security.NONE:
        out.append(_error("smtp.security", _token_in_clear()))
    return out + _oauth2_app(settings, to_write)


def _token_in_clear() -> str:
    return _("an OAuth 2.0 token must never cross the network unencrypted; choose ssl or starttls")


def _oauth2_app(settings: Settings, to_write: frozenset[str] = frozenset()) -> list[Problem]:
    """The app of [smtp.auth.oauth2], whichever login (SMTP, the receiving mailbox) uses it."""
    oauth2 = settings.smtp.auth.oauth2
    out: list[Problem] = []
    for name in OAUTH2_NEEDS[oauth2.provider]:
        if not getattr(oauth2, name).strip():
            out.append(_oauth2_missing(name))
    out += _tenant_problems(oauth2.tenant, oauth2.provider)
    out += _client_id_problems(oauth2.client_id, oauth2.provider)
    out += _token_url_problems(oauth2.token_url)
    out += _secret_file_problems(
        oauth2.provider, oauth2.client_secret_file, oauth2.service_account_file, to_write
    )
    return out


def _oauth2_missing(name: str) -> Problem:
    command = "mailgw set-secret" if name == "client_secret_file" else ""
    fix = _("use `{command}`").format(command=command) if command else ""
    return Problem(OAUTH2 + name, Severity.ERROR, _(_MISSING[name]), fix)


def is_tenant(value: str) -> bool:
    """A Microsoft tenant: a GUID, or a domain of the tenant (contoso.onmicrosoft.com)."""
    value = value.strip()
    return bool(_GUID.fullmatch(value)) or (
        "." in value and is_valid_host(value) and not is_ip_address(value)
    )


def _tenant_problems(tenant: str, provider: OAuth2Provider) -> list[Problem]:
    if provider != OAuth2Provider.MICROSOFT or not tenant.strip() or is_tenant(tenant):
        return []
    message = _(
        "{tenant} is neither a tenant ID (a GUID) nor a domain of the tenant; find the "
        "directory (tenant) ID in the Entra admin centre, on the app's Overview page"
    )
    return [_error(OAUTH2 + "tenant", message.format(tenant=repr(tenant)))]


def _client_id_problems(client_id: str, provider: OAuth2Provider) -> list[Problem]:
    if provider != OAuth2Provider.MICROSOFT or not client_id.strip():
        return []
    if _GUID.fullmatch(client_id.strip()):
        return []
    message = _(
        "{client_id} is not an application (client) ID: Microsoft's are GUIDs, shown on the "
        "app's Overview page in the Entra admin centre"
    )
    return [_error(OAUTH2 + "client_id", message.format(client_id=repr(client_id)))]


def _token_url_problems(url: str) -> list[Problem]:
    """A token endpoint is https: the client secret and the token cross it."""
    from urllib.parse import urlsplit

    if not url.strip():
        return []
    parts = urlsplit(url.strip())
    if parts.scheme == "https" and parts.hostname and not has_control_chars(url):
        return []
    message = _(
        "{url} is not an https:// address; the client secret must not cross the network unencrypted"
    )
    return [_error(OAUTH2 + "token_url", message.format(url=repr(url)))]


def _secret_file_problems(
    provider: OAuth2Provider,
    client_secret_file: str,
    service_account_file: str,
    to_write: frozenset[str] = frozenset(),
) -> list[Problem]:
    """The secret the provider signs in with: present, readable, of the right shape, private."""
    if provider == OAuth2Provider.GOOGLE:
        key, path, read = (
            OAUTH2 + "service_account_file",
            service_account_file,
            read_service_account,
        )
    else:
        key, path, read = OAUTH2 + "client_secret_file", client_secret_file, read_client_secret
    if not path.strip():
        return []
    if path in to_write:  # written once the save succeeds (set-secret): may it be written?
        problem = secret_file_problem(Path(path))
        return [_error(key, problem)] if problem else []
    try:
        read(path)
    except OAuth2SecretUnavailable as exc:
        return [_error(key, str(exc))]
    return _readable_by_others(key, Path(path), noun=_SECRET_NOUN)


def _password_exposure(
    auth: AuthSettings, config_path: Path | None, saving: bool = False
) -> list[Problem]:
    """Wherever a password is stored, a file others can read is a problem.

    A save never leaves the config readable by every user (it keeps at most 0660), so when
    judging a save only what stays after it counts.
    """
    out: list[Problem] = []
    if auth.password and config_path is not None:
        untrusted = untrusted_reason(config_path)
        if untrusted:  # root would write the password where another user can read or move it
            out.append(_error("smtp.auth.password", untrusted))
        out.extend(_readable_by_others("smtp.auth.password", config_path, saving))
    if auth.password_file:
        out.extend(_readable_by_others("smtp.auth.password_file", Path(auth.password_file)))
    return out


def _password_file_problems(auth: AuthSettings) -> list[Problem]:
    """A password file that is missing, unreadable or empty fails every send: say so now."""
    if not auth.password_file:
        return []
    try:
        password = read_password(auth)
    except PasswordUnavailable as exc:
        return [_error("smtp.auth.password_file", str(exc))]
    if not password:
        return [
            Problem(
                "smtp.auth.password_file",
                Severity.ERROR,
                _("the password file {path} is empty").format(path=auth.password_file),
                _("fill it with `mailgw set-password --file {path}`").format(
                    path=auth.password_file
                ),
            )
        ]
    return []


_PASSWORD_NOUN = (
    N_("the password in {path} is readable by every user; {fix}"),
    N_("the password in {path} is readable by its group; {fix}"),
)
_SECRET_NOUN = (
    N_("the secret in {path} is readable by every user; {fix}"),
    N_("the secret in {path} is readable by its group; {fix}"),
)


def _readable_by_others(
    key: str, path: Path, saving: bool = False, noun: tuple[str, str] = _PASSWORD_NOUN
) -> list[Problem]:
    """A secret readable by group or others: warning, or error when world-readable."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return []
    if saving:
        mode &= ~stat.S_IROTH
    fix = _("run: chmod 600 {path}").format(path=path)
    every_user, its_group = noun
    if mode & stat.S_IROTH:
        return [_error(key, _(every_user).format(path=path, fix=fix))]
    if mode & stat.S_IRGRP:
        return [_warning(key, _(its_group).format(path=path, fix=fix))]
    return []


def _email(settings: Settings) -> list[Problem]:
    address = settings.email.from_address
    if has_control_chars(address):
        return []
    if not address:
        return [_error("email.from_address", _("the sender address is empty"))]
    return address_problems("email.from_address", address)


# Special-use (RFC 6761, 8375) and customary internal names: an on-premise platform may send as
# alerts@corp.local inside a company network, so these are a warning, not an error.
INTERNAL_SUFFIXES = ("test", "local", "localhost", "localdomain", "internal", "lan", "home.arpa")


def internal_suffix(domain: str) -> str:
    """The special-use or internal suffix `domain` ends in ("" when it is a public name)."""
    domain = domain.lower().rstrip(".")
    return next((s for s in INTERNAL_SUFFIXES if domain == s or domain.endswith("." + s)), "")


def address_problems(key: str, address: str) -> list[Problem]:
    """The one judgement of an email address for every front: malformed is an error; a
    special-use or internal domain is a warning."""
    # imported here: it costs a third of `mailgw show`'s start-up, and only checks need it
    from email_validator import EmailNotValidError, validate_email

    local, _at, domain = address.rpartition("@")
    suffix = internal_suffix(domain)
    # email_validator refuses special-use names outright: judge their syntax on a public stand-in
    judged = f"{local}@{domain[: len(domain) - len(suffix)]}example" if suffix else address
    try:
        validate_email(judged, check_deliverability=False, globally_deliverable=not suffix)
    except EmailNotValidError as exc:
        message = _("{address} is not a valid email address: {reason}")
        return [_error(key, message.format(address=repr(address), reason=exc))]
    if suffix:
        message = _(
            "{domain} is a special-use or internal domain (.{suffix}): mail from or to it "
            "only reaches recipients inside that network"
        )
        return [_warning(key, message.format(domain=domain, suffix=suffix))]
    return []


def _sender_domain(settings: Settings) -> list[Problem]:
    out: list[Problem] = []
    domain = settings.sender_domain.domain
    if domain and not is_valid_host(domain):
        message = _("{domain} is not a valid domain name").format(domain=repr(domain))
        out.append(_error("sender_domain.domain", message))
    login = settings.smtp.auth.username
    if settings.smtp.gateway == Gateway.CUSTOM and settings.smtp.auth.enabled and "@" in login:
        login_domain = login.rpartition("@")[2].lower()
        sender = settings.sender_domain_name()
        if sender and login_domain and sender != login_domain:
            out.append(
                _warning(
                    "email.from_address",
                    _(
                        "the sender domain {sender} differs from the login's domain {login}; "
                        "many providers refuse or rewrite such a From"
                    ).format(sender=sender, login=login_domain),
                )
            )
    key = settings.sender_domain.verification_key
    if key and not re.fullmatch(r"[!-~]+", key):
        out.append(
            _error(
                "sender_domain.verification_key",
                _("{key} is not a verification key: it has spaces or control characters").format(
                    key=repr(key)
                ),
            )
        )
    for selector in settings.sender_domain.dkim_selectors:
        if not _HOST_LABEL.match(selector.replace(".", "-") or "-"):
            out.append(
                _error(
                    "sender_domain.dkim_selectors",
                    _("{selector} is not a valid selector").format(selector=repr(selector)),
                )
            )
    return out


def _dns(settings: Settings) -> list[Problem]:
    from mailgw.config.nameservers import NameserverError, split_nameserver

    out = []
    for server in settings.dns.nameservers:
        try:
            split_nameserver(server)
        except NameserverError as exc:
            out.append(_error("dns.nameservers", str(exc)))
    return out


def receive_problems(settings: Settings) -> list[Problem]:
    """The receiving mailbox: judged only once a host names one (also before a receipt check,
    so a mailbox that cannot be read is refused before the test mail goes)."""
    receive = settings.receive
    if not receive.host.strip():
        return []
    out: list[Problem] = []
    if not has_control_chars(receive.host) and not is_valid_host(receive.host):
        message = _("{host} is not a valid host name or IP address")
        out.append(_error("receive.host", message.format(host=repr(receive.host))))
    by_password = receive.auth.method == AuthMethod.PASSWORD
    if by_password and receive.security == Security.NONE and not is_loopback(receive.host):
        message = _(
            "the mailbox password would cross the network unencrypted; choose ssl or starttls"
        )
        out.append(_error("receive.security", message))
    if not receive.username:
        out.append(_error("receive.username", _("a mailbox to read needs its login name")))
    if not by_password:
        return out + _mailbox_oauth2_problems(settings)
    out.extend(_mailbox_password_problems(receive))
    return out


def _mailbox_oauth2_problems(settings: Settings) -> list[Problem]:
    """The mailbox signs in with [smtp.auth.oauth2]'s app: judged here unless the SMTP login
    already judges it (one problem per key, not two)."""
    out: list[Problem] = []
    if settings.receive.security == Security.NONE:
        out.append(_error("receive.security", _token_in_clear()))
    if not uses_oauth2(settings):
        out += _oauth2_app(settings)
    return out


def _mailbox_password_problems(receive: ReceiveSettings) -> list[Problem]:
    """As the SMTP password file: present, readable, not empty, private."""
    key, path = "receive.password_file", receive.password_file
    if not path:
        fix = _("use `mailgw set-password --receive --file PATH`")
        return [Problem(key, Severity.ERROR, _("the mailbox needs a password file"), fix)]
    try:
        password = read_mailbox_password(receive)
    except PasswordUnavailable as exc:
        return [_error(key, str(exc))]
    if not password:
        fix = _("fill it with `mailgw set-password --receive --file {path}`").format(path=path)
        message = _("the password file {path} is empty").format(path=path)
        return [Problem(key, Severity.ERROR, message, fix)]
    return _readable_by_others(key, Path(path))


def file_is_private(path: str | os.PathLike[str]) -> bool:
    """True when neither group nor others can read the file."""
    return not Path(path).stat().st_mode & (stat.S_IRGRP | stat.S_IROTH)
