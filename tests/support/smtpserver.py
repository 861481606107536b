"""Real SMTP servers on 127.0.0.1 for tests and benchmarks: aiosmtpd, plus raw misbehaving ones.

`smtp_server(...)` runs aiosmtpd in its own thread on a free port, in plain, STARTTLS or implicit
TLS mode, optionally requiring AUTH PLAIN/LOGIN, and records every command it receives and every
message it accepts. `raw_server(handler)` runs an asyncio handler for the cases aiosmtpd cannot
play: STARTTLS response injection, a slow drip, a dropped connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SERVER_NAME = "mail.example.test"


@dataclass
class Recorder:
    """What the server saw: commands (verb only, so no secret lands here) and messages."""

    commands: list[str] = field(default_factory=list)
    messages: list[bytes] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


@dataclass
class Behaviour:
    """How the server treats the client."""

    username: str = ""
    password: str = ""
    auth_fail_reply: str = "535 5.7.8 Authentication credentials invalid"
    reject_senders: set[str] = field(default_factory=set)
    reject_recipients: set[str] = field(default_factory=set)
    sender_reply: str = "553 5.7.1 Sender address rejected: not owned by user"
    recipient_reply: str = "550 5.1.1 Recipient address rejected: user unknown"
    on_message: Callable[[bytes], None] | None = None  # called with each accepted message


class _Handler:
    def __init__(self, recorder: Recorder, behaviour: Behaviour) -> None:
        self.recorder = recorder
        self.behaviour = behaviour

    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:  # noqa: N802
        if address in self.behaviour.reject_senders:
            return self.behaviour.sender_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        if address in self.behaviour.reject_recipients:
            return self.behaviour.recipient_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        self.recorder.messages.append(envelope.original_content or envelope.content)
        self.recorder.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if self.behaviour.on_message is not None:  # relay it on (a test's receiving mailbox)
            self.behaviour.on_message(envelope.original_content or envelope.content)
        return "250 2.0.0 Ok: queued as TEST1"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.recorder.logins.append(mechanism)
        good = (
            auth_data.login.decode() == self.behaviour.username
            and auth_data.password.decode() == self.behaviour.password
        )
        if good:
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False, message=self.behaviour.auth_fail_reply)


class _RecordingSMTP(SMTP):
    def __init__(self, *args: Any, recorder: Recorder, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for verb, method in list(self._smtp_methods.items()):
            self._smtp_methods[verb] = self._recording(verb, method, recorder)

    @staticmethod
    def _recording(verb: str, method: Any, recorder: Recorder) -> Any:
        async def run(arg: str) -> Any:
            recorder.commands.append(verb)
            return await method(arg)

        return run


class _Controller(Controller):
    def __init__(self, handler: _Handler, recorder: Recorder, **kwargs: Any) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=0, **kwargs)
        self.recorder = recorder

    def factory(self) -> SMTP:
        return _RecordingSMTP(self.handler, recorder=self.recorder, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]  # port 0 was asked: learn the real one
        super()._trigger_server()


@dataclass
class RunningServer:
    port: int
    recorder: Recorder
    behaviour: Behaviour


@contextlib.contextmanager
def smtp_server(
    mode: str = "plain",
    *,
    cert: trustme.LeafCert | tuple[bytes, bytes] | None = None,
    behaviour: Behaviour | None = None,
    auth_required: bool = False,
    exclude_auth: tuple[str, ...] = (),
    oauth: Any = None,
    smtputf8: bool = False,
) -> Iterator[RunningServer]:
    """aiosmtpd on 127.0.0.1: mode plain (no STARTTLS), starttls, or ssl (implicit TLS).

    `oauth`: an oauth_server.Authority whose tokens AUTH XOAUTH2 takes (offered then too).
    `smtputf8` offers SMTPUTF8 (RFC 6531).
    """
    behaviour = behaviour or Behaviour()
    recorder = Recorder()
    handler = _Handler(recorder, behaviour)
    if oauth is not None:
        from tests.support.oauth_server import xoauth2_mechanism

        handler.auth_XOAUTH2 = xoauth2_mechanism(oauth, recorder.logins)  # type: ignore[attr-defined]
    kwargs: dict[str, Any] = {
        "server_hostname": SERVER_NAME,
        "authenticator": handler.authenticate if behaviour.username else None,
        "auth_required": auth_required,
        "auth_exclude_mechanism": exclude_auth,
        "auth_require_tls": mode == "starttls",  # aiosmtpd cannot see implicit TLS
        "ready_timeout": 10.0,
        "enable_SMTPUTF8": smtputf8,
    }
    if mode == "starttls":
        kwargs["tls_context"] = server_context(cert)
    elif mode == "ssl":
        kwargs["ssl_context"] = server_context(cert)
    controller = _Controller(handler, recorder, **kwargs)
    controller.start()
    try:
        yield RunningServer(controller.port, recorder, behaviour)
    finally:
        controller.stop()


def server_context(cert: trustme.LeafCert | tuple[bytes, bytes] | None) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    if isinstance(cert, trustme.LeafCert):
        cert.configure_cert(context)
    elif cert is not None:
        _load_pem_pair(context, *cert)
    return context


def _load_pem_pair(context: ssl.SSLContext, cert_pem: bytes, key_pem: bytes) -> None:
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "pair.pem")
        with open(path, "wb") as handle:
            handle.write(key_pem + cert_pem)
        context.load_cert_chain(path)


def self_signed(name: str = SERVER_NAME, *, expired: bool = False) -> tuple[bytes, bytes]:
    """A self-signed certificate (PEM) and its key, valid for `name` and 127.0.0.1 (for the
    next 30 days, or, `expired`, until yesterday)."""
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    sans = [x509.DNSName(name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=60 if expired else 1))
        .not_valid_after(now + dt.timedelta(days=-1 if expired else 30))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


# ---------------------------------------------------------------- raw servers

RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class RawServer:
    port: int
    lines: list[bytes] = field(default_factory=list)  # what the client sent, as received


@contextlib.contextmanager
def raw_server(handler: Callable[[RawServer], RawHandler]) -> Iterator[RawServer]:
    """An asyncio server on 127.0.0.1 in its own thread, running `handler(state)` per client."""
    state = RawServer(0)
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        stop = asyncio.Event()
        holder["stop"], holder["loop"] = stop, asyncio.get_running_loop()
        tasks: set[asyncio.Task[None]] = set()

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            tasks.add(task)
            try:
                await handler(state)(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
                pass
            except asyncio.CancelledError:  # shutting down: end quietly, not as a failed task
                pass
            finally:
                writer.close()
                tasks.discard(task)

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        state.port = server.sockets[0].getsockname()[1]
        ready.set()
        await stop.wait()
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("raw server did not start")
    try:
        yield state
    finally:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(10)


async def read_command(reader: asyncio.StreamReader, state: RawServer) -> bytes:
    line = await reader.readline()
    if not line:
        raise ConnectionError("client went away")
    state.lines.append(line)
    return line.strip().upper()
