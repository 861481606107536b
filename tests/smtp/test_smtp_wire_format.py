"""On the wire: IDN hosts and domains as A-labels; a non-ASCII local part over SMTPUTF8 when the
server offers it, refused plainly when it does not; no line over RFC 5322's 998 octets."""

from __future__ import annotations

import pytest

from mailgw.config.idn import ascii_host
from mailgw.config.model import Gateway, Security, Settings
from mailgw.delivery import smtp
from mailgw.delivery.messages import build_message
from mailgw.delivery.results import Category
from mailgw.delivery.target import target_for
from tests.support.smtpserver import smtp_server


def _settings(port: int, sender: str) -> Settings:
    settings = Settings()
    settings.smtp.gateway, settings.smtp.host = Gateway.CUSTOM, "127.0.0.1"
    settings.smtp.port, settings.smtp.security, settings.smtp.timeout = port, Security.NONE, 10
    settings.smtp.helo_name = "client.example.test"
    settings.email.from_address, settings.email.from_name = sender, "Fleet"
    return settings


async def test_an_idn_sender_and_recipient_are_sent_as_a_labels() -> None:
    with smtp_server("plain") as server:
        settings = _settings(server.port, "alerts@bücher.example")
        message = build_message(settings, "test", "ops@bücher.example")
        result = await smtp.send(settings, message)
    assert result.ok, result.message
    assert server.recorder.envelopes == [
        ("alerts@xn--bcher-kva.example", ["ops@xn--bcher-kva.example"])
    ]
    assert b"From: Fleet <alerts@xn--bcher-kva.example>" in server.recorder.messages[0]


def test_an_idn_host_is_dialled_as_a_labels() -> None:
    settings = _settings(25, "alerts@example.com")
    settings.smtp.host = "smtp.bücher.example"
    assert target_for(settings).host == "smtp.xn--bcher-kva.example"
    assert ascii_host("mail.example.com.") == "mail.example.com."


async def test_a_non_ascii_local_part_goes_over_smtputf8_when_offered() -> None:
    with smtp_server("plain", smtputf8=True) as server:
        settings = _settings(server.port, "jörg@example.com")
        result = await smtp.send(settings, build_message(settings, "test", "ops@example.com"))
    assert result.ok, result.message
    assert server.recorder.envelopes[0][0] == "jörg@example.com"
    assert "From: Fleet <jörg@example.com>".encode() in server.recorder.messages[0]
    assert any("SMTPUTF8" in str(line) for line in result.transcript)


@pytest.mark.parametrize("which", ["sender", "recipient"])
async def test_without_smtputf8_a_non_ascii_local_part_is_refused_plainly(which: str) -> None:
    with smtp_server("plain") as server:
        sender = "jörg@example.com" if which == "sender" else "alerts@example.com"
        recipient = "ops@example.com" if which == "sender" else "jörg@example.com"
        settings = _settings(server.port, sender)
        result = await smtp.send(settings, build_message(settings, "test", recipient))
    assert not result.ok and server.recorder.messages == []
    expected = Category.SENDER_REJECTED if which == "sender" else Category.RECIPIENT_REJECTED
    assert result.category == expected
    assert "needs SMTPUTF8" in result.message and "does not offer it" in result.message


async def test_a_long_signature_line_is_encoded_within_998_octets() -> None:
    with smtp_server("plain") as server:
        settings = _settings(server.port, "alerts@example.com")
        settings.email.signature = "Fleet team " + "x" * 1500  # one ASCII line, too long for 7bit
        result = await smtp.send(settings, build_message(settings, "test", "ops@example.com"))
    assert result.ok, result.message
    wire = server.recorder.messages[0]
    assert max(len(line) for line in wire.split(b"\r\n")) <= 998
    from email import message_from_bytes, policy

    parsed = message_from_bytes(wire, policy=policy.default)
    plain = parsed.get_body(preferencelist=("plain",))
    assert plain is not None and "x" * 1500 in plain.get_content()


async def test_an_expired_pinned_certificate_is_accepted_with_a_warning() -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    from tests.support.smtpserver import self_signed

    cert_pem, key_pem = self_signed(expired=True)
    pin = x509.load_pem_x509_certificate(cert_pem).fingerprint(hashes.SHA256()).hex()
    with smtp_server("ssl", cert=(cert_pem, key_pem)) as server:
        settings = _settings(server.port, "alerts@example.com")
        settings.smtp.security, settings.smtp.tls_fingerprint = Security.SSL, pin
        result = await smtp.probe(settings)
    assert result.ok, result.message
    assert any("pinned certificate expired" in warning for warning in result.warnings)
