"""One SMTP session, stage by stage: what smtp.send and smtp.probe run under their deadline."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable
from email.message import EmailMessage

import aiosmtplib

from mailgw.config.idn import needs_smtputf8
from mailgw.config.model import Security
from mailgw.delivery import failures
from mailgw.delivery.errors import ConfigInvalid
from mailgw.delivery.hosts import Resolver, resolve_host
from mailgw.delivery.messages import wire_addresses
from mailgw.delivery.oauth2 import TokenFailed, fetch_token
from mailgw.delivery.results import (
    Category,
    Failure,
    Progress,
    SendResult,
    ServerInfo,
    Stage,
    StageName,
)
from mailgw.delivery.target import Target
from mailgw.delivery.tls import TlsInfo, client_context_off_loop, inspect, same_fingerprint
from mailgw.delivery.transcript import MASK, Redactor, Transcript, secret_forms, xoauth2_forms
from mailgw.i18n import N_, _

OnStage = Callable[[Stage], None]

TRUST_ALL_WARNING = N_(
    "the server's certificate was NOT verified (smtp.trust_all = true): "
    "anyone between this machine and the server could read the mail and "
    "the password; pin the certificate instead"
)
_AUTH_PREFERENCE = ("plain", "login", "cram-md5")


class Abort(Exception):
    """A classified failure, raised inside the conversation to end it."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


class Conversation:
    """One SMTP session against a target: stages, transcript, TLS details, failure."""

    def __init__(
        self,
        target: Target,
        *,
        on_stage: OnStage | None = None,
        resolver: Resolver | None = None,
        ca_file: str | None = None,
        progress: Progress | None = None,
    ) -> None:
        progress = progress or Progress()
        self.progress = progress
        self.target = target
        self.on_stage = on_stage
        self.resolver = resolver
        self.ca_file = ca_file
        self.redact = Redactor(secret_forms(target.username, target.password))
        self.redact.add(target.oauth2.secrets() if target.oauth2 else ())
        self.token = ""  # the OAuth 2.0 access token, once fetched
        self.transcript = Transcript(self.redact)
        self.transcript.lines = progress.transcript  # shared: the caller sees it grow
        self.stages: list[Stage] = progress.stages
        self.current = (StageName.TOKEN if target.oauth2 else StageName.RESOLVE).value
        self.tls: TlsInfo | None = None
        self.server: ServerInfo | None = None
        self.warnings: list[str] = []
        self.failure: Failure | None = None
        self.addresses: list[str] = []
        self.tried: list[str] = []  # addresses a connection was attempted to, in order
        self.connected: list[str] = []  # addresses a connection was made to
        self.deadline = 0.0  # loop time the whole conversation must end by
        self.smtp: aiosmtplib.SMTP | None = None
        self._sockets: list[socket.socket] = []
        self._transports: list[asyncio.Transport] = []

    # ------------------------------------------------------------ bookkeeping

    @contextlib.asynccontextmanager
    async def stage(self, name: StageName) -> AsyncIterator[None]:
        """Time a stage; turn whatever it raises into a classified failure."""
        self.current = name.value
        started = time.perf_counter()
        try:
            yield
        except Abort:
            self._finish(name, False, started)
            raise
        except Exception as exc:
            self._finish(name, False, started)
            if isinstance(exc, aiosmtplib.SMTPResponseException):
                self.transcript.server(exc.code, exc.message)
            raise Abort(failures.classify(exc, name.value, self.target)) from None
        except BaseException:  # cancelled, or the deadline passed: the stage did not finish
            self._finish(name, False, started)
            raise
        self._finish(name, True, started)

    def _finish(self, name: StageName, ok: bool, started: float) -> None:
        stage = Stage(name.value, ok, (time.perf_counter() - started) * 1000)
        self.stages.append(stage)
        if self.on_stage is not None:
            self.on_stage(stage)

    def result(self) -> SendResult:
        failure = self.failure
        t = self.target
        return SendResult(
            ok=failure is None,
            stage=self.current,
            category=failure.category if failure else None,
            message=self.redact(failure.message) if failure else self._success_message(),
            fix=self.redact(failure.fix) if failure else "",
            command=self.redact(failure.command) if failure else "",
            connected=bool(self.connected),
            stages=list(self.stages),
            tls=self.tls,
            transcript=list(self.transcript.lines),
            warnings=[self.redact(w) for w in self.warnings],
            server=self.server,
            host=t.host,
            port=t.port,
            security=t.security.value,
        )

    def _success_message(self) -> str:
        done = {s.name for s in self.stages if s.ok}
        if done == {StageName.TOKEN.value} and self.target.oauth2 is not None:
            return _("{host} issued a token; the SMTP server was not contacted").format(
                host=self.target.oauth2.endpoint_host
            )
        if StageName.DATA.value in done:
            return _("the server {host} accepted the message").format(host=self.target.host)
        return _("{host} port {port} works; nothing was sent").format(
            host=self.target.host, port=self.target.port
        )

    def close(self) -> None:
        """Release the connection at once: every reply that mattered has been read."""
        if self.smtp is not None:
            self.smtp.close()
        for transport in self._transports:  # abort: no waiting for a TLS close_notify
            transport.abort()
        for sock in self._sockets:
            if not self._transports:
                with contextlib.suppress(OSError):
                    sock.close()

    # ------------------------------------------------------------ the dialogue

    async def run(self, message: EmailMessage | None) -> None:
        self.deadline = asyncio.get_running_loop().time() + self.target.timeout
        try:
            await self._dialogue(message)
        except Abort as abort:
            if abort.failure.category == Category.CERTIFICATE and self.tls is None:
                raise Abort(await self._with_certificate_details(abort.failure)) from None
            raise

    async def _dialogue(self, message: EmailMessage | None) -> None:
        t = self.target
        if t.oauth2 is not None:
            await self._token()
        async with self.stage(StageName.RESOLVE):
            self.addresses = await resolve_host(t.host, self.resolver)
            self.transcript.note(
                _("{host} is {addresses}").format(host=t.host, addresses=", ".join(self.addresses))
            )
        context = await self._context()  # local work (trust store): not in the connect timing
        async with self.stage(StageName.CONNECT):
            self.smtp = await self._open(self.addresses, context)
            if t.security != Security.SSL:
                await self._greeting(self.smtp)
        if t.security == Security.SSL:
            async with self.stage(StageName.TLS):
                self.transcript.note(_("TLS handshake (implicit TLS)"))
                await self._greeting(self.smtp)
            await self._check_certificate()
        await self._ehlo()
        if t.security == Security.STARTTLS:
            await self._starttls()
        if t.auth:
            await self._login()
        if message is not None:
            await self._transfer(message)
        await self._quit()

    async def _token(self) -> None:
        """The access token first: a refused sign-in needs no SMTP connection to show."""
        request = self.target.oauth2
        assert request is not None
        async with self.stage(StageName.TOKEN):
            self.transcript.note(
                f"token: POST {request.token_url} ({request.grant}, scope {request.scope})"
            )
            try:
                token = await fetch_token(request, ca_file=self.ca_file)
            except TokenFailed as exc:
                self.transcript.note(f"token: refused: {exc.failure.message}")
                raise Abort(exc.failure) from None
            self.token = token.access_token
            self.redact.add(xoauth2_forms(self.target.username, token.access_token))
            lifetime = f", valid for {token.expires_in} s" if token.expires_in else ""
            self.transcript.note(f"token: got a {token.token_type} token{lifetime}")

    async def run_token_only(self) -> None:
        """Only the token stage: the "Get a token" check."""
        self.deadline = asyncio.get_running_loop().time() + self.target.timeout
        await self._token()

    async def _context(self) -> ssl.SSLContext | None:
        if self.target.security == Security.NONE:
            return None
        verify = self.target.verifies_certificates
        try:
            return await client_context_off_loop(verify=verify, ca_file=self.ca_file)
        except ConfigInvalid as exc:
            raise Abort(failures.classify(exc, self.current, self.target)) from None

    async def _open(self, addresses: list[str], context: ssl.SSLContext | None) -> aiosmtplib.SMTP:
        """A TCP connection to the first address that answers, handed to aiosmtplib."""
        sock = await self._tcp_connect(addresses)
        t = self.target
        return aiosmtplib.SMTP(
            hostname=t.host.strip("[]"),
            sock=sock,
            use_tls=t.security == Security.SSL,
            start_tls=False,  # never upgrade on our behalf: `none` means none
            tls_context=context,
            local_hostname=t.helo_name,
            timeout=t.timeout,
        )

    async def _tcp_connect(self, addresses: list[str]) -> socket.socket:
        """Each address in turn, with an equal share of the time left: one silent address
        (often IPv6) cannot use up the whole deadline."""
        loop = asyncio.get_running_loop()
        port = self.target.port
        failed: list[tuple[str, OSError | None]] = []
        for index, address in enumerate(addresses):
            share = (self.deadline - loop.time()) / (len(addresses) - index)
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            self._sockets.append(sock)
            sock.setblocking(False)
            self.tried.append(address)
            try:
                await asyncio.wait_for(loop.sock_connect(sock, (address, port)), max(share, 0))
            except (OSError, asyncio.TimeoutError) as exc:
                sock.close()
                error = None if isinstance(exc, asyncio.TimeoutError) else exc
                failed.append((address, error))
                reason = (
                    _("no answer within {seconds:.1f} s").format(seconds=share)
                    if error is None
                    else failures.socket_error_reason(error)
                )
                self.transcript.note(
                    _("{address} port {port}: {reason}").format(
                        address=address, port=port, reason=reason
                    )
                )
                continue
            self.transcript.note(
                _("connected to {address} port {port}").format(address=address, port=port)
            )
            self.connected.append(address)
            return sock
        raise Abort(failures.connect_failed(self.target, failed))

    async def _greeting(self, smtp: aiosmtplib.SMTP) -> None:
        response = await smtp.connect()
        self._keep_transport(smtp)
        self.transcript.server(response.code, response.message)
        self.server = ServerInfo(banner=response.message)

    def _keep_transport(self, smtp: aiosmtplib.SMTP) -> None:
        if smtp.transport is not None:
            self._transports.append(smtp.transport)  # type: ignore[arg-type]

    async def _check_certificate(self) -> None:
        t = self.target
        async with self.stage(StageName.CERTIFICATE):
            assert self.smtp is not None
            ssl_object = self.smtp.get_transport_info("ssl_object")
            info = inspect(ssl_object, t.host, verified=t.verifies_certificates)
            self.tls = info
            self.transcript.note(
                _("{protocol} {cipher}; certificate {subject}, SHA-256 {fingerprint}").format(
                    protocol=info.protocol,
                    cipher=info.cipher,
                    subject=info.subject,
                    fingerprint=info.fingerprint_sha256,
                )
            )
            if t.tls_fingerprint:
                if not same_fingerprint(info.fingerprint_sha256, t.tls_fingerprint):
                    raise Abort(failures.pin_mismatch(info, t.tls_fingerprint))
                self.tls = dataclasses.replace(info, pinned=True)
                if info.expired:  # the pin still holds, but the server's admin must renew it
                    self.warnings.append(
                        _(
                            "the pinned certificate expired on {date}: it is still accepted "
                            "because it is pinned; renew it on the server, then pin the new one"
                        ).format(date=info.not_after)
                    )
            elif t.trust_all:
                self.warnings.append(_(TRUST_ALL_WARNING))

    async def _ehlo(self) -> None:
        assert self.smtp is not None
        smtp, name = self.smtp, self.target.helo_name
        async with self.stage(StageName.EHLO):
            self.transcript.client(f"EHLO {name}")
            try:
                response = await smtp.ehlo()
            except aiosmtplib.SMTPHeloError as exc:
                self.transcript.server(exc.code, exc.message)
                self.transcript.client(f"HELO {name}")
                response = await smtp.helo()
            self.transcript.server(response.code, response.message)
        size = smtp.esmtp_extensions.get("size", "")
        self.server = ServerInfo(
            banner=self.server.banner if self.server else "",
            extensions=dict(smtp.esmtp_extensions),
            auth_mechanisms=tuple(m.upper() for m in smtp.server_auth_methods),
            size=int(size) if size.isdigit() else None,
            starttls=smtp.supports_extension("starttls"),
        )

    async def _starttls(self) -> None:
        assert self.smtp is not None
        async with self.stage(StageName.TLS):
            if not self.smtp.supports_extension("starttls"):
                raise Abort(failures.starttls_unavailable())
            self.transcript.client("STARTTLS")
            response = await self.smtp.starttls(server_hostname=self.target.host.strip("[]"))
            self._keep_transport(self.smtp)
            self.transcript.server(response.code, response.message)
            self.transcript.note(_("TLS handshake (STARTTLS)"))
        await self._check_certificate()
        await self._ehlo()

    async def _login(self) -> None:
        assert self.smtp is not None
        smtp, t = self.smtp, self.target
        async with self.stage(StageName.AUTH):
            if t.oauth2 is not None:
                await self._login_xoauth2()
                return
            if self.tls is None and not (t.allow_plaintext_auth or self._only_loopback()):
                raise Abort(failures.plaintext_login())
            mechanism = next((m for m in _AUTH_PREFERENCE if m in smtp.server_auth_methods), "")
            if not mechanism:
                offered, over_tls = smtp.server_auth_methods, self.tls is not None
                raise Abort(failures.auth_unavailable(offered, over_tls))
            self.transcript.client(f"AUTH {mechanism.upper()} {MASK}")
            login = getattr(smtp, "auth_" + mechanism.replace("-", ""))
            response = await login(t.username, t.password)
            self.transcript.server(response.code, response.message)

    async def _login_xoauth2(self) -> None:
        assert self.smtp is not None
        smtp = self.smtp
        if self.tls is None:  # validation refuses oauth2 without TLS; never send a token clear
            raise Abort(failures.plaintext_login())
        if "xoauth2" not in smtp.server_auth_methods:
            raise Abort(failures.xoauth2_unavailable(smtp.server_auth_methods))
        self.transcript.client(f"AUTH XOAUTH2 {MASK}")
        response = await smtp.auth_xoauth2(self.target.username, self.token)
        self.transcript.server(response.code, response.message)

    def _only_loopback(self) -> bool:
        """Every address connected to is a loopback address: a plain-text login stays local.

        Decided from the addresses dialled, not the host name: "localhost" may resolve anywhere.
        """
        return bool(self.connected) and all(_is_loopback(a) for a in self.connected)

    async def _transfer(self, message: EmailMessage) -> None:
        assert self.smtp is not None
        smtp = self.smtp
        async with self.stage(StageName.MAIL_FROM):
            sender, recipients = wire_addresses(message)
            utf8 = self._smtputf8([sender, *recipients])
            if not utf8:
                self._refuse_without_smtputf8(sender, Category.SENDER_REJECTED)
            options = ["SMTPUTF8"] if utf8 else []
            self.transcript.client(f"MAIL FROM:<{sender}>" + "".join(f" {o}" for o in options))
            encoding = "utf-8" if utf8 else "ascii"
            response = await smtp.mail(sender, options=options, encoding=encoding)
            self.transcript.server(response.code, response.message)
        async with self.stage(StageName.RCPT_TO):
            for recipient in recipients:
                if not utf8:
                    self._refuse_without_smtputf8(recipient, Category.RECIPIENT_REJECTED)
                self.transcript.client(f"RCPT TO:<{recipient}>")
                response = await smtp.rcpt(recipient, encoding="utf-8" if utf8 else "ascii")
                self.transcript.server(response.code, response.message)
        content = _wire_bytes(message, utf8=utf8)
        async with self.stage(StageName.DATA):
            self.transcript.client("DATA")
            subject = message.get("Subject", "")
            self.transcript.client(
                _("(message: {size} bytes, Subject: {subject})").format(
                    size=len(content), subject=subject
                )
            )
            response = await smtp.data(content)
            self.transcript.server(response.code, response.message)

    def _smtputf8(self, addresses: list[str]) -> bool:
        """SMTPUTF8 is used when an address needs it and the server offers it."""
        assert self.smtp is not None
        needed = any(needs_smtputf8(address) for address in addresses)
        return needed and self.smtp.supports_extension("smtputf8")

    def _refuse_without_smtputf8(self, address: str, category: Category) -> None:
        """An address that needs SMTPUTF8 on a server without it: said plainly, not sent."""
        if not needs_smtputf8(address):
            return
        message = _(
            "{address} has a non-ASCII part before the @, which needs SMTPUTF8, and {host} does "
            "not offer it"
        ).format(address=address, host=self.target.host)
        fix = _("use an address that is ASCII before the @, or a server that offers SMTPUTF8")
        raise Abort(Failure(category, message, fix))

    async def _quit(self) -> None:
        assert self.smtp is not None
        try:
            async with self.stage(StageName.QUIT):
                self.transcript.client("QUIT")
                response = await self.smtp.quit()
                self.transcript.server(response.code, response.message)
        except Abort as abort:  # everything that mattered is done; say so, do not fail
            self.warnings.append(
                _("QUIT did not complete cleanly: {message}").format(message=abort.failure.message)
            )

    # ------------------------------------------------------------ certificate details

    async def _with_certificate_details(self, failure: Failure) -> Failure:
        """Fetch the refused certificate over a second connection, to show and pin it."""
        self.failure = failure  # stands even if the deadline passes during the fetch
        self.close()
        try:
            info = await self._fetch_certificate()
        except Exception as exc:  # details are a courtesy; the failure stands either way
            self.transcript.note(
                _("could not fetch the certificate for display: {exc}").format(exc=exc)
            )
            return failure
        self.tls = dataclasses.replace(info, verified=False, problem=failure.message)
        names = ", ".join(info.sans) or info.subject
        message = _("{message} (it names {names}; issued by {issuer})").format(
            message=failure.message, names=names, issuer=info.issuer
        )
        return failures.certificate_refused(message, info.fingerprint_sha256)

    async def _fetch_certificate(self) -> TlsInfo:
        self.transcript.note(
            _("fetching the certificate over a new connection (no login, no mail)")
        )
        context = await client_context_off_loop(verify=False, ca_file=self.ca_file)
        self._sockets, self._transports = [], []
        smtp = self.smtp = await self._open(self.addresses, context)
        await smtp.connect()
        self._keep_transport(smtp)
        if self.target.security == Security.STARTTLS:
            await smtp.ehlo()
            await smtp.starttls(server_hostname=self.target.host.strip("[]"))
            self._keep_transport(smtp)
        return inspect(smtp.get_transport_info("ssl_object"), self.target.host, verified=False)


def _is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _wire_bytes(message: EmailMessage, *, utf8: bool = False) -> bytes:
    """The message as sent: CRLF lines; UTF-8 headers only over SMTPUTF8 (RFC 6532)."""
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n", utf8=utf8))
