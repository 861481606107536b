"""A real OAuth 2.0 token endpoint on 127.0.0.1 over HTTPS, and an SMTP side that checks tokens.

`token_endpoint(authority, cert)` serves, in its own thread:
- `POST /{tenant}/oauth2/v2.0/token`: Microsoft's client-credentials grant, answering Entra
  ID's errors (AADSTS codes) for an unknown tenant, app, secret or scope;
- `POST /token`: Google's JWT-bearer grant, verifying the service account's RS256 assertion;
- `POST /introspect`: RFC 7662 introspection, which Dovecot's oauth2 passdb asks about a token.
`Authority` holds the one valid client, the tokens issued, and what to get wrong on purpose.
`xoauth2_handler_method(authority)` is the `auth_XOAUTH2` mechanism aiosmtpd calls: it takes
only a token this endpoint issued, unexpired, for this mailbox and Exchange's or Gmail's scope.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import json
import secrets
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import trustme
from aiosmtpd.smtp import SMTP, AuthResult
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

MICROSOFT_SCOPE = "https://outlook.office365.com/.default"
GOOGLE_SCOPE = "https://mail.google.com/"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_SENTINEL_PREFIX = "tok-Sentinel-"  # every issued token starts so: easy to search for
CLIENT_SECRET = "Client-Secret-Sentinel-9q~Zx.42"


@dataclass
class Issued:
    token: str
    scope: str
    subject: str  # the mailbox (Google) or "" for an app token (Microsoft: any mailbox granted)
    expires_at: float
    roles: tuple[str, ...] = ()


@dataclass
class Authority:
    """The identity provider the tests play: one tenant, one app, one service account."""

    tenant: str = "11111111-2222-3333-4444-555555555555"
    tenant_domain: str = "fleetco.onmicrosoft.com"
    client_id: str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    client_secret: str = CLIENT_SECRET
    consented: bool = True  # the app has SMTP.SendAsApp with admin consent
    imap_consented: bool = True  # ... and IMAP.AccessAsApp (the receiving mailbox's login)
    imap_mailbox: str = ""  # the mailbox an app token opens over IMAP (Exchange's permission)
    mailboxes: set[str] = field(default_factory=lambda: {"fleet@fleetco.example"})
    service_account_email: str = "mailgw@fleetco-project.iam.gserviceaccount.com"
    delegated: bool = True  # domain-wide delegation granted for Gmail's scope
    issue_expired: bool = False  # hand out tokens that have already expired
    clock_offset: float = 0.0  # seconds the endpoint's Date header is off from real time
    force_error: tuple[int, dict[str, Any]] | None = None  # answer this whatever is asked
    hold: threading.Event | None = None  # when set up, every request waits for it (slow)
    issued: dict[str, Issued] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)  # grant types asked, in order
    bodies: list[str] = field(default_factory=list)  # raw request bodies (they hold secrets)
    key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))

    def service_account_json(self, token_uri: str) -> str:
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return json.dumps(
            {
                "type": "service_account",
                "project_id": "fleetco-project",
                "private_key_id": "0123456789abcdef",
                "private_key": pem,
                "client_email": self.service_account_email,
                "client_id": "104217000000000000001",
                "token_uri": token_uri,
            }
        )

    def accepts(self, token: str, user: str) -> tuple[bool, str]:
        """Whether SMTP AUTH with `token` as `user` succeeds, and Gmail's scope for the error."""
        issued = self.issued.get(token)
        if issued is None or issued.expires_at <= time.time():
            return False, issued.scope if issued else GOOGLE_SCOPE
        if issued.scope == GOOGLE_SCOPE:
            return issued.subject == user, issued.scope
        good = issued.scope == MICROSOFT_SCOPE and "SMTP.SendAsApp" in issued.roles
        return good and user in self.mailboxes, issued.scope

    def introspect(self, token: str) -> dict[str, Any]:
        """RFC 7662's answer for the IMAP server (Dovecot's oauth2 passdb asks it)."""
        issued = self.issued.get(token)
        if issued is None or issued.expires_at <= time.time():
            return {"active": False}
        if issued.scope == GOOGLE_SCOPE:
            return {"active": True, "username": issued.subject}
        if issued.scope == MICROSOFT_SCOPE and "IMAP.AccessAsApp" in issued.roles:
            return {"active": True, "username": self.imap_mailbox}
        return {"active": False}

    def issue(self, scope: str, subject: str = "", roles: tuple[str, ...] = ()) -> dict[str, Any]:
        token = TOKEN_SENTINEL_PREFIX + secrets.token_urlsafe(24)
        lifetime = -60 if self.issue_expired else 3599
        self.issued[token] = Issued(token, scope, subject, time.time() + lifetime, roles)
        return {"token_type": "Bearer", "expires_in": 3599, "access_token": token}


def _aadsts(code: int, error: str, text: str) -> dict[str, Any]:
    return {
        "error": error,
        "error_description": f"AADSTS{code}: {text} Trace ID: {uuid.uuid4()}",
        "error_codes": [code],
    }


def _microsoft(authority: Authority, tenant: str, form: dict[str, str]) -> tuple[int, dict]:
    if tenant not in {authority.tenant, authority.tenant_domain}:
        return 400, _aadsts(90002, "invalid_request", f"Tenant '{tenant}' not found.")
    if form.get("grant_type") != "client_credentials":
        return 400, _aadsts(70003, "unsupported_grant_type", "The grant type is not supported.")
    if form.get("client_id") != authority.client_id:
        text = f"Application with identifier '{form.get('client_id')}' was not found."
        return 400, _aadsts(700016, "unauthorized_client", text)
    if form.get("client_secret") != authority.client_secret:
        text = "Invalid client secret provided. Ensure the secret being sent is the value."
        return 401, _aadsts(7000215, "invalid_client", text)
    scope = form.get("scope", "")
    if not scope.endswith("/.default"):  # client credentials take a resource's .default only
        text = f"The provided value for scope {scope} is not valid."
        return 400, _aadsts(1002012, "invalid_scope", text)
    roles = ("SMTP.SendAsApp",) if authority.consented else ()
    roles += ("IMAP.AccessAsApp",) if authority.imap_consented else ()
    return 200, authority.issue(scope, roles=roles)  # e.g. a Graph token: Exchange refuses it


def _google(authority: Authority, audience: str, form: dict[str, str]) -> tuple[int, dict]:
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import RSAKey

    if form.get("grant_type") != JWT_BEARER:
        return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}
    public = RSAKey.import_key(
        authority.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    try:
        claims = jwt.decode(form.get("assertion", ""), public, algorithms=["RS256"]).claims
    except (JoseError, ValueError):
        return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
    now = time.time()
    if not (claims.get("iat", 0) - 300 <= now <= claims.get("exp", 0) + 300):
        text = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."  # noqa: E501
        return 400, {"error": "invalid_grant", "error_description": text}
    if claims.get("iss") != authority.service_account_email or claims.get("aud") != audience:
        return 400, {"error": "invalid_grant", "error_description": "Invalid JWT audience."}
    subject = claims.get("sub", "")
    if subject not in authority.mailboxes:
        return 400, {"error": "invalid_grant", "error_description": "Invalid email or User ID"}
    if not authority.delegated or GOOGLE_SCOPE not in str(claims.get("scope", "")).split():
        text = "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."  # noqa: E501
        return 401, {"error": "unauthorized_client", "error_description": text}
    return 200, authority.issue(GOOGLE_SCOPE, subject=subject)


def _handler(authority: Authority, base: list[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # quiet: the test asserts on what it needs

        def date_time_string(self, timestamp: float | None = None) -> str:
            moment = (timestamp or time.time()) + authority.clock_offset
            return email.utils.formatdate(moment, usegmt=True)

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode()
            authority.bodies.append(body)
            if authority.hold is not None:
                authority.hold.wait(30)  # bounded: the test releases it on the way out
            form = {key: values[0] for key, values in parse_qs(body).items()}
            authority.requests.append(form.get("grant_type", ""))
            status, answer = self._answer(form)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _answer(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
            if authority.force_error is not None:
                return authority.force_error
            parts = self.path.strip("/").split("/")
            if parts == ["introspect"]:
                return 200, authority.introspect(form.get("token", ""))
            if parts == ["token"]:
                return _google(authority, base[0] + "/token", form)
            if len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
                return _microsoft(authority, parts[0], form)
            return 404, {"error": "not_found", "error_description": self.path}

    return Handler


@dataclass
class RunningEndpoint:
    base: str  # https://127.0.0.1:PORT
    authority: Authority

    @property
    def microsoft_url(self) -> str:
        return self.base + "/{tenant}/oauth2/v2.0/token"

    @property
    def google_url(self) -> str:
        return self.base + "/token"

    @property
    def introspection_url(self) -> str:
        return self.base + "/introspect"


@contextlib.contextmanager
def token_endpoint(authority: Authority, cert: trustme.LeafCert) -> Iterator[RunningEndpoint]:
    """The endpoint on a free port of 127.0.0.1, TLS with `cert` (a trustme leaf)."""
    base: list[str] = [""]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(authority, base))
    server.daemon_threads = True
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    base[0] = f"https://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield RunningEndpoint(base[0], authority)
    finally:
        if authority.hold is not None:
            authority.hold.set()
        server.shutdown()
        server.server_close()
        thread.join(10)


def xoauth2_mechanism(authority: Authority, seen: list[str]) -> Any:
    """aiosmtpd's `auth_XOAUTH2(server, args)`: Gmail's and Exchange's behaviour on a bad token
    (a 334 challenge with a base64 JSON error, then 535 after the client's empty line)."""

    async def auth_XOAUTH2(server: SMTP, args: list[str]) -> AuthResult:  # noqa: N802
        blob = args[1] if len(args) > 1 else (await server.challenge_auth("")).decode()
        try:
            text = base64.b64decode(blob).decode()
            fields = dict(part.split("=", 1) for part in text.split("\x01") if "=" in part)
            user, token = fields["user"], fields["auth"].removeprefix("Bearer ")
        except (ValueError, KeyError):
            return AuthResult(success=False, handled=False, message="501 5.5.2 Cannot decode")
        good, scope = authority.accepts(token, user)
        seen.append(f"{user}:{'ok' if good else 'refused'}")
        if good:
            return AuthResult(success=True)
        error = json.dumps({"status": "401", "schemes": "bearer", "scope": scope})
        await server.challenge_auth(error)
        return AuthResult(
            success=False, handled=False, message="535 5.7.3 Authentication unsuccessful"
        )

    return auth_XOAUTH2
