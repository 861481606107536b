"""The receiving mailbox ([receive]) over IMAP: log in, find the copy of a test send, wait for it.

imapclient, not aioimaplib: it has STARTTLS (aioimaplib 2.0 has none, and `security = starttls`
must never fall back), the RFC 6154 special-use lookup and IDLE. Its calls block, so every
socket read is bounded by the time left of the one deadline; the CLI runs it in the main
thread (Ctrl-C interrupts it), a TUI would run it in a thread worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mailgw.config.model import AuthMethod, OAuth2Provider, Security, Settings
from mailgw.config.secrets import PasswordUnavailable, read_mailbox_password
from mailgw.config.validate import errors, receive_problems
from mailgw.delivery.errors import ConfigInvalid
from mailgw.delivery.messages import TEST_ID_HEADER
from mailgw.delivery.oauth2 import (
    TokenFailed,
    TokenRequest,
    fetch_token,
    mailbox_token_request,
    token_timeout,
)
from mailgw.delivery.results import Failure, Stage
from mailgw.delivery.tls import client_context, verify_problem
from mailgw.i18n import _

POLL_SECONDS = 2.0  # without IDLE; and how often the folders besides the first are looked at
JUNK = b"\\Junk"


class MailboxFailed(Exception):
    """The mailbox could not be read: a category, a message and the fix."""

    def __init__(self, category: str, message: str, fix: str) -> None:
        super().__init__(message)
        self.category, self.message, self.fix = category, message, fix


class MailboxCancelled(Exception):
    """The wait was stopped from outside (the console's Esc) before the copy came."""


@dataclass
class Copy:
    """The received copy of a test send."""

    folder: str
    uid: int
    raw: bytes = field(repr=False)


@dataclass
class Session:
    """A logged-in mailbox and the stages it took."""

    client: Any
    stages: list[Stage]
    folders: list[str]
    idle: bool


def _stage(stages: list[Stage], name: str, started: float) -> None:
    stages.append(Stage(name, True, (time.monotonic() - started) * 1000))


def open_mailbox(settings: Settings, deadline: float, ca_file: str | None = None) -> Session:
    """Connect, TLS, log in and list the folders to search, before `deadline` (monotonic)."""
    from imapclient import IMAPClient
    from imapclient.exceptions import LoginError

    receive = settings.receive
    problem = unusable(settings)
    if problem is not None:
        raise problem
    by_token = receive.auth.method == AuthMethod.OAUTH2
    try:
        context = client_context(verify=True, ca_file=ca_file)
        request = mailbox_token_request(settings) if by_token else None
        password = "" if by_token else read_mailbox_password(receive)
    except (PasswordUnavailable, ConfigInvalid) as exc:
        raise MailboxFailed("config_invalid", str(exc), _("run: mailgw check")) from None
    stages: list[Stage] = []
    token = _token(request, deadline, stages, ca_file) if request else ""
    started = time.monotonic()
    try:
        client = IMAPClient(
            receive.host,
            port=receive.port,
            ssl=receive.security == Security.SSL,
            ssl_context=context,
            timeout=_left(deadline),
        )
        _stage(stages, "connect", started)
        if receive.security == Security.STARTTLS:
            _starttls(client, context, deadline)
            _stage(stages, "tls", started)
        started = time.monotonic()
        _bound(client, deadline)
        if request is not None:
            client.oauth2_login(receive.username, token)
        else:
            client.login(receive.username, password)
        _stage(stages, "login", started)
    except LoginError:
        raise _login_refused(settings, request) from None
    except (OSError, ssl.SSLError) as exc:
        raise _network_failure(exc, settings) from None
    finally:
        del password, token
    folders = _folders(client, receive.folders)
    return Session(client, stages, folders, b"IDLE" in client.capabilities())


def unusable(settings: Settings) -> MailboxFailed | None:
    """No mailbox named, or one validation refuses (a password or token that would cross in
    clear, a missing password file, an incomplete app): said before anything is sent."""
    if not settings.receive.host.strip():
        return MailboxFailed(
            "config_invalid",
            _("no receiving mailbox is configured"),
            _(
                "run: mailgw set receive.host=HOST receive.username=USER, then "
                "mailgw set-password --receive"
            ),
        )
    refused = errors(receive_problems(settings))
    if not refused:
        return None
    first = refused[0]
    message = f"{first.key}: {first.message}"
    return MailboxFailed("config_invalid", message, first.command_fix or _("run: mailgw check"))


def _token(request: TokenRequest, deadline: float, stages: list[Stage], ca_file: str | None) -> str:
    """The access token for the mailbox's app, within the one deadline (its own stage)."""
    started = time.monotonic()
    timeout = _left(deadline)
    try:
        token = asyncio.run(asyncio.wait_for(fetch_token(request, ca_file=ca_file), timeout))
    except TokenFailed as exc:
        raise _from_failure(exc.failure) from None
    except TimeoutError:
        raise _from_failure(token_timeout(request, timeout)) from None
    _stage(stages, "token", started)
    return token.access_token


def _from_failure(failure: Failure) -> MailboxFailed:
    command = f" (`{failure.command}`)" if failure.command else ""
    return MailboxFailed(failure.category.value, failure.message, failure.fix + command)


def _login_refused(settings: Settings, request: TokenRequest | None) -> MailboxFailed:
    user = settings.receive.username
    if request is None:
        return MailboxFailed(
            "auth_failed",
            _("the mailbox refused the login of {user}").format(user=user),
            _(
                "check receive.username, then store the password again: "
                "mailgw set-password --receive"
            ),
        )
    return MailboxFailed(
        "auth_failed",
        _("the mailbox refused the OAuth 2.0 token for {user}").format(user=user),
        _mailbox_grant_fix(request.provider, user),
    )


def _mailbox_grant_fix(provider: OAuth2Provider, user: str) -> str:
    """What the app needs before the mailbox takes its token (the SMTP grant is not enough)."""
    if provider == OAuth2Provider.MICROSOFT:
        return _(
            "give the app the IMAP permission too: API permissions > Office 365 Exchange Online "
            "> Application permissions > IMAP.AccessAsApp, then Grant admin consent; and let "
            "its service principal open {user} (Add-MailboxPermission -Identity {user} -User "
            "<service principal ID> -AccessRights FullAccess)"
        ).format(user=user)
    if provider == OAuth2Provider.GOOGLE:
        return _(
            "the domain-wide delegation must include https://mail.google.com/ and {user} must be "
            "a mailbox of the Workspace domain with IMAP on (Admin console > Apps > Gmail > "
            "End User Access)"
        ).format(user=user)
    return _("check that the token's scope lets {user} be read over IMAP").format(user=user)


def _starttls(client: Any, context: ssl.SSLContext, deadline: float) -> None:
    if b"STARTTLS" not in client.capabilities():
        raise MailboxFailed(
            "starttls_unavailable",
            _("the IMAP server does not offer STARTTLS; nothing was sent unencrypted"),
            _("use its IMAPS port: mailgw set receive.security=ssl"),
        )
    _bound(client, deadline)
    client.starttls(context)


def _network_failure(exc: BaseException, settings: Settings) -> MailboxFailed:
    where = f"{settings.receive.host}:{settings.receive.port}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return MailboxFailed(
            "certificate",
            _("the certificate of {where} is not trusted: {problem}").format(
                where=where, problem=verify_problem(exc)
            ),
            _("add its CA to $MAILGW_CA_FILE, or fix the server's certificate"),
        )
    if isinstance(exc, ssl.SSLError):
        return MailboxFailed(
            "tls_protocol",
            _("TLS with {where} failed: {reason}").format(where=where, reason=exc.reason or exc),
            _("check receive.security and receive.port (IMAPS is 993, STARTTLS 143)"),
        )
    if isinstance(exc, socket.timeout | TimeoutError):
        return MailboxFailed(
            "timeout", _("{where} did not answer in time").format(where=where), _("try again")
        )
    if isinstance(exc, ConnectionRefusedError):
        return MailboxFailed(
            "connect_refused",
            _("{where} refused the connection").format(where=where),
            _("check receive.host and receive.port"),
        )
    return MailboxFailed(
        "connection_lost",
        _("the connection to {where} failed: {reason}").format(where=where, reason=exc),
        _("check receive.host and receive.port"),
    )


def _left(deadline: float) -> float:
    return max(0.05, deadline - time.monotonic())


def _bound(client: Any, deadline: float) -> None:
    """The next read may wait only for what is left of the one deadline."""
    client.socket().settimeout(_left(deadline))


def _folders(client: Any, configured: list[str]) -> list[str]:
    """The configured folders, else INBOX and the server's \\Junk folder (RFC 6154)."""
    if configured:
        return list(configured)
    junk = client.find_special_folder(JUNK)
    return ["INBOX", *([junk] if junk and junk != "INBOX" else [])]


@dataclass(frozen=True)
class Location:
    """Where the copy of a test send is: a folder and its UID there."""

    folder: str
    uid: int


def locate_copy(session: Session, test_id: str, deadline: float) -> Location | None:
    """The newest message carrying `X-Mailgw-Test-Id: test_id` in any folder searched."""
    client = session.client
    for folder in session.folders:
        _bound(client, deadline)
        client.select_folder(folder, readonly=True)
        uids = client.search(["HEADER", TEST_ID_HEADER, test_id])
        if uids:
            return Location(folder, max(uids))
    return None


def fetch_copy(session: Session, where: Location, deadline: float) -> Copy:
    """The copy's bytes as the receiver stored them (PEEK: it stays unread)."""
    client = session.client
    _bound(client, deadline)
    client.select_folder(where.folder, readonly=True)
    data = client.fetch([where.uid], ["BODY.PEEK[]"])
    return Copy(where.folder, where.uid, data[where.uid][b"BODY[]"])


def wait_for_copy(
    session: Session,
    test_id: str,
    deadline: float,
    on_wait: Callable[[float], None] | None = None,
    stopped: Callable[[], bool] = lambda: False,
) -> Location | None:
    """Look until the copy is there or the deadline passes: IDLE on the first folder where
    offered (the others are looked at between), polling otherwise. `stopped` is asked
    between looks (a console's Esc); it ends the wait with MailboxCancelled."""
    started = time.monotonic()
    while True:
        found = locate_copy(session, test_id, deadline)
        if found is not None or time.monotonic() >= deadline:
            return found
        if on_wait is not None:
            on_wait(time.monotonic() - started)
        _pause(session, deadline)
        if stopped():
            raise MailboxCancelled()


def _pause(session: Session, deadline: float) -> None:
    pause = min(POLL_SECONDS, _left(deadline))
    if not session.idle:
        time.sleep(pause)
        return
    client = session.client
    client.select_folder(session.folders[0], readonly=True)
    _bound(client, deadline + 5)
    client.idle()
    try:
        client.idle_check(timeout=pause)
    finally:
        client.idle_done()


def delete_copy(session: Session, copy: Copy) -> None:
    """Opt-in (`--delete`): flag the copy deleted and expunge it."""
    client = session.client
    client.select_folder(copy.folder)
    client.delete_messages([copy.uid])
    client.uid_expunge([copy.uid]) if client.has_capability("UIDPLUS") else client.expunge()


def close(session: Session) -> None:
    """Log out; a connection already gone is not a new problem (the copy is already read)."""
    from imapclient.exceptions import IMAPClientError

    with contextlib.suppress(OSError, IMAPClientError):
        session.client.socket().settimeout(2)
        session.client.logout()
