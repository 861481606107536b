"""Every way a conversation fails, mapped to a category, a message and a one-sentence fix."""

from __future__ import annotations

import dataclasses
import errno
import re
import ssl
from collections.abc import Callable, Sequence
from typing import Any

import aiosmtplib

from mailgw.config.model import DEFAULT_PORTS, Security
from mailgw.delivery.errors import ConfigInvalid, ResolveError
from mailgw.delivery.results import Category, Failure, StageName, stage_label
from mailgw.delivery.target import Target
from mailgw.delivery.tls import TlsInfo, is_protocol_mismatch, verify_problem
from mailgw.i18n import N_, _

_GMAIL_APP_PASSWORD = re.compile(
    r"application-specific password|username and password not accepted|support\.google\.com|"
    r"5\.7\.9\b",
    re.I,
)
SET_PASSWORD = "mailgw set-password"
_M365_BASIC_AUTH = re.compile(
    r"5\.7\.139|5\.7\.30\b|basic authentication is (disabled|not supported)|"
    r"SmtpClientAuthentication is disabled",
    re.I,
)


def _reply(exc: aiosmtplib.SMTPResponseException) -> str:
    return f"{exc.code} {exc.message}".replace("\n", " ")


def timeout(
    target: Target, stage: str, tried: Sequence[str] = (), connected: bool = False
) -> Failure:
    """The overall deadline passed; `tried` names the addresses a connection was tried to,
    `connected` says one took the connection (then no firewall is to blame)."""
    if stage == StageName.RESOLVE:
        return Failure(
            Category.DNS,
            _("this machine's DNS did not answer for {host} within {timeout:g} s").format(
                host=target.host, timeout=target.timeout
            ),
            _(
                "check /etc/resolv.conf (the name servers it lists must answer), or "
                "use the server's IP address in smtp.host"
            ),
        )
    where = _("{host} port {port}").format(host=target.host, port=target.port)
    if stage == StageName.CONNECT and connected:
        message = _("{where} took the connection but sent no greeting within {timeout:g} s")
    else:
        message = _("no complete answer from {where} within {timeout:g} s (during {stage})")
    message = message.format(where=where, timeout=target.timeout, stage=stage_label(stage))
    if tried and stage == StageName.CONNECT and not connected:
        message += _("; tried {tried}").format(tried=", ".join(tried))
    fix = _timeout_fix(target, stage, connected)
    return with_provider_note(Failure(Category.TIMEOUT, message, fix), target)


def _timeout_fix(target: Target, stage: str, connected: bool) -> str:
    if stage == StageName.CONNECT and target.security != Security.SSL and target.port == 465:
        return _("port 465 expects TLS from the first byte: set smtp.security = ssl")
    if stage == StageName.CONNECT and connected:
        return _(
            "something listens on port {port} but does not greet as a mail server: if it "
            "expects TLS from the first byte, set smtp.security = ssl; else check smtp.port"
        ).format(port=target.port)
    if stage == StageName.CONNECT:
        return _(
            "outbound port {port} is often blocked by hosting providers and "
            "firewalls: ask yours to open it, or try 587 (starttls) or 465 (ssl)"
        ).format(port=target.port)
    return _(
        "the server accepted the connection but answers too slowly: try "
        "again later, or raise smtp.timeout"
    )


def connect_failed(target: Target, failed: Sequence[tuple[str, OSError | None]]) -> Failure:
    """No address of the host took the connection; each failed with an error, or in silence."""
    tried = [address for address, _error in failed]
    errors = [error for _address, error in failed if error is not None]
    if not errors:  # every address stayed silent within its share of the time
        return timeout(target, StageName.CONNECT, tried)
    failure = classify(errors[-1], StageName.CONNECT, target)
    message = _("{message} (tried {tried})").format(message=failure.message, tried=", ".join(tried))
    return dataclasses.replace(failure, message=message)


def cancelled(stage: str) -> Failure:
    return Failure(
        Category.CANCELLED,
        _("cancelled during {stage}").format(stage=stage_label(stage)),
        _("nothing more was sent; run it again"),
    )


def classify(exc: BaseException, stage: str, target: Target) -> Failure:
    """The failure `exc` raised during `stage` means."""
    exc = _root(exc)
    for kind, handler in _HANDLERS:
        if isinstance(exc, kind):
            return with_provider_note(handler(exc, stage, target), target)
    return Failure(
        Category.CONNECTION_LOST,
        _("{name} during {stage}: {exc}").format(
            name=type(exc).__name__, stage=stage_label(stage), exc=exc
        ),
        _("see the transcript for the last exchange with the server"),
    )


_NOTED = {
    Category.AUTH_FAILED,
    Category.SENDER_REJECTED,
    Category.CONNECT_REFUSED,
    Category.TIMEOUT,
}


def with_provider_note(failure: Failure, target: Target) -> Failure:
    """Add the provider preset's quirks to the fix where they are the likely cause."""
    if failure.category not in _NOTED or not target.provider_note:
        return failure
    return dataclasses.replace(failure, fix=f"{failure.fix} ({target.provider_note})")


def _root(exc: BaseException) -> BaseException:
    """aiosmtplib wraps TLS and socket errors; the cause says more."""
    cause = exc.__cause__
    if isinstance(exc, aiosmtplib.SMTPConnectError) and isinstance(cause, (ssl.SSLError, OSError)):
        return _root(cause)
    return exc


def _certificate(exc: ssl.SSLCertVerificationError, stage: str, target: Target) -> Failure:
    message = _("the server's certificate was refused: {exc}").format(exc=verify_problem(exc))
    return certificate_refused(message, "")


def certificate_refused(message: str, fingerprint: str) -> Failure:
    """A certificate that does not verify; with its fingerprint known, the fix pins it."""
    if fingerprint:
        pin = _("pin it (smtp.tls_fingerprint = {fingerprint})").format(fingerprint=fingerprint)
        command = f'mailgw set smtp.tls_fingerprint="{fingerprint}"'
    else:
        pin = _("pin it with smtp.tls_fingerprint (a probe shows the fingerprint)")
        command = "mailgw probe"
    fix = _(
        "if you trust this server's certificate, {pin}; smtp.trust_all = "
        "true also works but accepts any certificate"
    ).format(pin=pin)
    return Failure(Category.CERTIFICATE, message, fix, command)


def _ssl(exc: ssl.SSLError, stage: str, target: Target) -> Failure:
    if is_protocol_mismatch(exc):
        usual = DEFAULT_PORTS[Security.STARTTLS]
        if target.security == Security.SSL:
            fix = _(
                "port {port} does not speak TLS from the first byte: set smtp.security "
                "= starttls (usually port {usual})"
            ).format(port=target.port, usual=usual)
        else:
            fix = _(
                "the server's TLS is broken or it expects implicit TLS: try smtp.security = ssl"
            )
        return Failure(
            Category.TLS_PROTOCOL,
            _("TLS handshake failed: {value}").format(value=exc.reason or exc),
            fix,
        )
    return Failure(
        Category.TLS_PROTOCOL,
        _("TLS handshake failed: {value}").format(value=exc.reason or exc),
        _(
            "the server and this machine share no TLS version or cipher; ask the "
            "server's admin to enable TLS 1.2 or newer"
        ),
    )


# Our words for the usual socket errors: asyncio's own text ("Connect call failed ('…', 465)")
# is English whatever the language, and reads as noise glued onto a translated sentence.
SOCKET_ERRORS = {
    errno.ECONNREFUSED: N_("connection refused"),
    errno.ETIMEDOUT: N_("timed out"),
    errno.EHOSTUNREACH: N_("host unreachable"),
    errno.ENETUNREACH: N_("network unreachable"),
    errno.ECONNRESET: N_("connection reset by the server"),
}


def socket_error_reason(exc: OSError) -> str:
    """Why a socket call failed, in the current language where we know the error."""
    known = SOCKET_ERRORS.get(exc.errno) if exc.errno is not None else None
    return _(known) if known else exc.strerror or str(exc)


def _refused(exc: OSError, stage: str, target: Target) -> Failure:
    reason = socket_error_reason(exc)
    return Failure(
        Category.CONNECT_REFUSED,
        _("cannot connect to {host} port {port}: {reason}").format(
            host=target.host, port=target.port, reason=reason
        ),
        _(
            "check smtp.host and smtp.port (usual ports: ssl 465, starttls 587, "
            "none 25) and that this machine may reach port {port}"
        ).format(port=target.port),
    )


def _disconnected(exc: BaseException, stage: str, target: Target) -> Failure:
    return Failure(
        Category.CONNECTION_LOST,
        _("the server closed the connection during {stage}").format(stage=stage_label(stage)),
        _(
            "servers drop clients they distrust (address on a blocklist, too "
            "many connections, wrong port for the security chosen); see the "
            "transcript"
        ),
    )


def _auth(exc: aiosmtplib.SMTPResponseException, stage: str, target: Target) -> Failure:
    reply = _reply(exc)
    if target.oauth2 is not None:
        return _token_refused(reply, target)
    command = SET_PASSWORD
    if _M365_BASIC_AUTH.search(reply):
        command = SWITCH_TO_OAUTH2_MICROSOFT
        fix = _(
            "Microsoft 365 no longer takes a password (basic authentication) for SMTP here: "
            "sign in with OAuth 2.0 instead (smtp.auth.method = oauth2, provider microsoft, "
            "with the app's tenant, client ID and client secret; README: Microsoft 365)"
        )
    elif exc.code in (534, 535) and _GMAIL_APP_PASSWORD.search(reply):
        fix = _(
            "Gmail refuses the account's normal password here: on Google Workspace, sign in "
            "with OAuth 2.0 (smtp.provider = google_workspace, a service account key; README: "
            "Google Workspace); on a personal account, turn on 2-Step Verification, create an "
            "app password and store it as the password"
        )
    else:
        fix = _("check smtp.auth.username and the password")
    message = _("the server refused the login: {reply}").format(reply=reply)
    return Failure(Category.AUTH_FAILED, message, fix, command)


SWITCH_TO_OAUTH2_MICROSOFT = (
    "mailgw set smtp.auth.method=oauth2 smtp.auth.oauth2.provider=microsoft "
    "smtp.auth.oauth2.tenant=TENANT smtp.auth.oauth2.client_id=CLIENT_ID && mailgw set-secret"
)


def _token_refused(reply: str, target: Target) -> Failure:
    """The SMTP server refused a token the endpoint issued: what the app lacks."""
    from mailgw.config.model import OAuth2Provider
    from mailgw.delivery.oauth2 import consent_fix

    message = _("the server refused the OAuth 2.0 token: {reply}").format(reply=reply)
    assert target.oauth2 is not None
    if target.oauth2.provider == OAuth2Provider.MICROSOFT:
        fix = consent_fix() + _("; and the mailbox must have Authenticated SMTP enabled")
    elif target.oauth2.provider == OAuth2Provider.GOOGLE:
        fix = _(
            "the token does not act for {user} with the scope https://mail.google.com/: check "
            "smtp.auth.username and the service account's domain-wide delegation"
        ).format(user=target.username)
    else:
        fix = _(
            "the token is not good for this server: check smtp.auth.oauth2.scope, the token "
            "endpoint and smtp.auth.username"
        )
    return Failure(Category.AUTH_FAILED, message, fix)


def _response(exc: aiosmtplib.SMTPResponseException, stage: str, target: Target) -> Failure:
    reply = _reply(exc)
    if stage in (StageName.MAIL_FROM, StageName.RCPT_TO) and _wants_login(exc, target):
        return Failure(
            Category.SENDER_REJECTED,
            _("the server wants a login before it accepts mail: {reply}").format(reply=reply),
            _("turn on smtp.auth.enabled with the username, and store the password"),
            SET_PASSWORD,
        )
    if stage == StageName.MAIL_FROM:
        return Failure(
            Category.SENDER_REJECTED,
            _("the server refused the sender: {reply}").format(reply=reply),
            _(
                "this server does not let this login send as email.from_address: use "
                "an address of the login's own domain, or authorise the sender "
                "domain at the provider"
            ),
        )
    if stage == StageName.RCPT_TO:
        return Failure(
            Category.RECIPIENT_REJECTED,
            _("the server refused the recipient: {reply}").format(reply=reply),
            _(
                "check the address; a relay refuses outside recipients unless you "
                'log in ("relaying denied")'
            ),
        )
    if stage == StageName.DATA:
        return Failure(
            Category.MESSAGE_REJECTED,
            _("the server refused the message: {reply}").format(reply=reply),
            _("the reply says why (size limit, content or DMARC policy); fix that and retry"),
        )
    if stage == StageName.AUTH:
        return _auth(exc, stage, target)
    if stage == StageName.TLS and not isinstance(exc, aiosmtplib.SMTPConnectResponseError):
        return Failure(
            Category.STARTTLS_UNAVAILABLE,
            _("the server refused STARTTLS: {reply}").format(reply=reply),
            _(
                "nothing was sent unencrypted; ask the server's admin to fix TLS, or "
                "try smtp.security = ssl on port 465"
            ),
        )
    if exc.code == 421 or (exc.code >= 500 and stage in (StageName.CONNECT, StageName.TLS)):
        return Failure(
            Category.CONNECTION_LOST,
            _("the server refused the session during {stage}: {reply}").format(
                stage=stage_label(stage), reply=reply
            ),
            _("the server does not accept this client now; see its reply"),
        )
    return Failure(
        Category.CONNECTION_LOST,
        _("unexpected reply during {stage}: {reply}").format(stage=stage_label(stage), reply=reply),
        _("see the transcript for the server's reply"),
    )


def _config(exc: ConfigInvalid, stage: str, target: Target) -> Failure:
    return Failure(Category.CONFIG_INVALID, str(exc), _("fix the file or setting named above"))


def _dns(exc: ResolveError, stage: str, target: Target) -> Failure:
    return Failure(
        Category.DNS,
        _("the host name {host} does not resolve: {reason}").format(
            host=exc.host, reason=exc.reason
        ),
        _(
            "check smtp.host for typos; if it is right, this machine's DNS "
            "(/etc/resolv.conf) cannot see it"
        ),
    )


def pin_mismatch(info: TlsInfo, pinned: str) -> Failure:
    return Failure(
        Category.CERTIFICATE,
        _(
            "the server's certificate does not match the pinned fingerprint: it "
            "presents {fingerprint_sha256}, smtp.tls_fingerprint is {pinned}"
        ).format(fingerprint_sha256=info.fingerprint_sha256, pinned=pinned),
        _(
            "if the server's certificate was renewed on purpose, confirm the new "
            "fingerprint with its admin and update smtp.tls_fingerprint; "
            "otherwise do not send: the connection may be intercepted"
        ),
    )


def auth_unavailable(offered: list[str], over_tls: bool) -> Failure:
    if offered:
        what = _("offers only {offered}, which mailgw does not speak").format(
            offered=", ".join(m.upper() for m in offered)
        )
    else:
        what = _("does not offer AUTH on this connection")
    hint = "" if over_tls else _("some servers offer it only over TLS (choose ssl or starttls); ")
    return Failure(
        Category.AUTH_UNAVAILABLE,
        _("the server {what}").format(what=what),
        _(
            "{hint}if the server relays for this machine's address without a "
            "login, set smtp.auth.enabled = false"
        ).format(hint=hint),
    )


def xoauth2_unavailable(offered: list[str]) -> Failure:
    shown = ", ".join(m.upper() for m in offered) or _("nothing")
    return Failure(
        Category.AUTH_UNAVAILABLE,
        _("the server does not offer AUTH XOAUTH2 (it offers {offered})").format(offered=shown),
        _(
            "this server takes no OAuth 2.0 token: check smtp.host (Microsoft 365: "
            "smtp.office365.com; Google: smtp.gmail.com), or set smtp.auth.method = password"
        ),
        "mailgw set smtp.auth.method=password",
    )


def starttls_unavailable() -> Failure:
    return Failure(
        Category.STARTTLS_UNAVAILABLE,
        _(
            "the server does not offer STARTTLS, which smtp.security = starttls "
            "requires; stopped before logging in or sending anything"
        ),
        _(
            "choose smtp.security = ssl (port 465) if the server offers it, or "
            "ask its admin to enable STARTTLS; mailgw never falls back to plain "
            "text"
        ),
    )


def plaintext_login() -> Failure:
    return Failure(
        Category.CONFIG_INVALID,
        _("the login would cross the network unencrypted; not sent"),
        _(
            "choose smtp.security = ssl or starttls (or set "
            "smtp.allow_plaintext_auth = true if you accept the risk)"
        ),
    )


def _wants_login(exc: aiosmtplib.SMTPResponseException, target: Target) -> bool:
    text = exc.message.lower()
    return not target.auth and (exc.code == 530 or "authentication required" in text)


def _unicode(exc: UnicodeError, stage: str, target: Target) -> Failure:
    to_recipient = stage == StageName.RCPT_TO
    return Failure(
        Category.RECIPIENT_REJECTED if to_recipient else Category.SENDER_REJECTED,
        _("an address holds non-ASCII characters (during {stage}), which need SMTPUTF8").format(
            stage=stage_label(stage)
        ),
        _("use an ASCII address (an internationalised domain in its xn-- form)"),
    )


def _timeout(exc: BaseException, stage: str, target: Target) -> Failure:
    return timeout(target, stage)


_HANDLERS: list[tuple[type[BaseException], Callable[[Any, str, Target], Failure]]] = [
    (ResolveError, _dns),
    (ConfigInvalid, _config),
    (UnicodeError, _unicode),
    (ssl.SSLCertVerificationError, _certificate),
    (ssl.SSLError, _ssl),
    (aiosmtplib.SMTPAuthenticationError, _auth),
    (aiosmtplib.SMTPResponseException, _response),
    (aiosmtplib.SMTPTimeoutError, _timeout),
    (TimeoutError, _timeout),
    (ConnectionRefusedError, _refused),
    (aiosmtplib.SMTPServerDisconnected, _disconnected),
    (ConnectionError, _disconnected),
    (OSError, _refused),
]
