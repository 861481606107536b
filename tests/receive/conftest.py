"""The receiving side's real parts, shared by the command and console tests: a CA, Dovecot on
127.0.0.1, a DNS server serving the signing key, and what the receiving MX adds on top."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import trustme

from tests.dns.keys import rsa_key, sign
from tests.support.dnsserver import Zone, serving
from tests.support.dovecot import (
    USER,
    DovecotMissing,
    Introspection,
    RunningDovecot,
    dovecot_server,
)
from tests.support.oauth_server import Authority, RunningEndpoint, token_endpoint

SENDER = "alerts@example.com"
RECEIVER = "mx.receiver.test"
KEY = rsa_key(1024)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def authority() -> Authority:
    """The identity provider: its app may open the test mailbox over IMAP (XOAUTH2)."""
    return Authority(mailboxes={USER}, imap_mailbox=USER)


@pytest.fixture(scope="module")
def endpoint(ca: trustme.CA, authority: Authority) -> Iterator[RunningEndpoint]:
    with token_endpoint(authority, ca.issue_cert("127.0.0.1")) as running:
        yield running


@pytest.fixture(scope="module")
def dovecot(ca: trustme.CA, endpoint: RunningEndpoint) -> Iterator[RunningDovecot]:
    """Dovecot taking the mailbox password, or a token the endpoint calls active."""
    introspection = Introspection(endpoint.introspection_url, ca.cert_pem.bytes())
    cert = ca.issue_cert("imap.example.test", "127.0.0.1")
    try:
        with dovecot_server(cert, introspection=introspection) as server:
            yield server
    except DovecotMissing as exc:
        pytest.skip(f"no IMAP server for the receipt tests: {exc}")


@pytest.fixture(scope="module")
def nameserver() -> Iterator[str]:
    zone = Zone().add_txt("mte1._domainkey.example.com", KEY.record)
    with serving(zone) as server:
        yield server.nameserver


def received_by_receiver(message: bytes, dkim: str = "pass") -> bytes:
    """What the receiving MX adds on top: its verdicts, then its Received header."""
    top = (
        f"Authentication-Results: {RECEIVER}; dkim={dkim} header.d=example.com; spf=pass "
        f"smtp.mailfrom={SENDER}\r\n"
        f"Received: from relay.example.test (relay.example.test [127.0.0.1]) by {RECEIVER} "
        "with ESMTPS id 1; Tue, 24 Nov 2026 00:00:02 +0000\r\n"
    )
    return top.encode() + message


Relay = Callable[[bytes], bytes]


def signed(message: bytes) -> bytes:
    return received_by_receiver(sign(message, KEY, "example.com", "mte1"))
