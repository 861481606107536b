"""Every failure category, met for real: each against a server on 127.0.0.1 that behaves so."""

from __future__ import annotations

import asyncio
import dataclasses
import email.message

import pytest
from cryptography import x509

from mailgw.config.model import Security
from mailgw.config.presets import platform_gateway
from mailgw.delivery.errors import MessageInvalid
from mailgw.delivery.hosts import dns_resolver
from mailgw.delivery.messages import build_message
from mailgw.delivery.results import Progress
from mailgw.delivery.smtp import probe, send
from mailgw.delivery.tls import fingerprint
from tests.smtp.conftest import RECIPIENT, SENTINEL_PASSWORD, SENTINEL_USER, assert_no_secret
from tests.support.dnsserver import Zone, serving
from tests.support.ports import free_port
from tests.support.smtpserver import (
    SERVER_NAME,
    Behaviour,
    raw_server,
    read_command,
    self_signed,
    server_context,
    smtp_server,
)

LOGIN = Behaviour(username=SENTINEL_USER, password=SENTINEL_PASSWORD)


async def test_starttls_required_but_not_offered_stops_before_auth(make_settings) -> None:
    with smtp_server("plain", behaviour=LOGIN) as server:
        settings = make_settings(server.port, "starttls", auth=True)
        result = await send(settings, build_message(settings, "test", RECIPIENT))
    assert result.category == "starttls_unavailable"
    assert result.stage == "tls"
    assert "AUTH" not in server.recorder.commands and "MAIL" not in server.recorder.commands
    assert "plain text" in result.fix


@pytest.mark.parametrize(
    ("cert_name", "phrase"),
    [
        ("unknown_ca_cert", "unknown certificate authority"),
        ("wrong_host_cert", "not valid for this IP address"),
        ("expired_cert", "expired"),
    ],
)
@pytest.mark.parametrize("security", ["starttls", "ssl"])
async def test_bad_certificates_are_refused_with_a_pin_to_offer(
    request, make_settings, ca_file, cert_name: str, phrase: str, security: str
) -> None:
    cert = request.getfixturevalue(cert_name)
    with smtp_server(security, cert=cert, behaviour=LOGIN) as server:
        settings = make_settings(server.port, security, auth=True)
        result = await send(settings, build_message(settings, "test", RECIPIENT), ca_file=ca_file)
    assert result.category == "certificate"
    assert phrase in result.message
    assert result.tls is not None and not result.tls.verified
    assert result.tls.fingerprint_sha256 in result.fix
    assert "AUTH" not in server.recorder.commands and "MAIL" not in server.recorder.commands


async def test_expired_certificate_details_say_expired(make_settings, ca_file, expired_cert):
    with smtp_server("ssl", cert=expired_cert) as server:
        result = await probe(make_settings(server.port, "ssl"), ca_file=ca_file)
    assert result.tls.expired and result.tls.not_after.startswith("2021-01-01")


def _pem_fingerprint(pem: bytes) -> str:
    return fingerprint(x509.load_pem_x509_certificate(pem).public_bytes(_DER))


from cryptography.hazmat.primitives.serialization import Encoding  # noqa: E402

_DER = Encoding.DER


async def test_pinned_self_signed_certificate_is_accepted(make_settings) -> None:
    pair = self_signed()
    pin = _pem_fingerprint(pair[0]).replace(":", "").lower()
    with smtp_server("ssl", cert=pair, behaviour=LOGIN) as server:
        settings = make_settings(server.port, "ssl", auth=True, tls_fingerprint=pin)
        result = await send(settings, build_message(settings, "test", RECIPIENT))
    assert result.ok, result.as_dict()
    assert result.tls.pinned and result.tls.self_signed and not result.warnings


async def test_pin_mismatch_fails_loudly_before_login(make_settings, good_cert, ca_file) -> None:
    with smtp_server("starttls", cert=good_cert, behaviour=LOGIN) as server:
        settings = make_settings(server.port, "starttls", auth=True, tls_fingerprint="AB" * 32)
        result = await send(settings, build_message(settings, "test", RECIPIENT), ca_file=ca_file)
    assert result.category == "certificate"
    assert "does not match the pinned fingerprint" in result.message
    assert result.tls.fingerprint_sha256 in result.message
    assert "AUTH" not in server.recorder.commands


async def test_trust_all_accepts_unknown_ca_with_a_warning(make_settings, unknown_ca_cert):
    with smtp_server("starttls", cert=unknown_ca_cert, behaviour=LOGIN) as server:
        settings = make_settings(server.port, "starttls", auth=True, trust_all=True)
        result = await send(settings, build_message(settings, "test", RECIPIENT))
    assert result.ok, result.as_dict()
    assert not result.tls.verified
    assert any("NOT verified" in warning for warning in result.warnings)


async def test_ssl_against_a_plain_server_is_a_protocol_mismatch(make_settings) -> None:
    with smtp_server("plain") as server:
        result = await probe(make_settings(server.port, "ssl"))
    assert result.category == "tls_protocol"
    assert "starttls" in result.fix


async def test_connection_refused(make_settings) -> None:
    port = free_port()
    result = await probe(make_settings(port, "none"))
    assert result.category == "connect_refused" and str(port) in result.message


@pytest.mark.parametrize(
    ("reply", "fix_phrase"),
    [
        ("535 5.7.8 Authentication credentials invalid", "check smtp.auth.username"),
        ("534 5.7.9 Application-specific password required", "app password"),
        ("535 5.7.8 Username and Password not accepted. Learn more", "app password"),
        ("535 5.7.139 Authentication unsuccessful, basic authentication is disabled", "365"),
        ("535 5.7.30 Basic authentication is not supported for Client Submission", "365"),
    ],
)
async def test_auth_failures_are_recognised(make_settings, reply: str, fix_phrase: str) -> None:
    behaviour = Behaviour(username=SENTINEL_USER, password="something else", auth_fail_reply=reply)
    with smtp_server("plain", behaviour=behaviour) as server:
        settings = make_settings(server.port, "none", auth=True)
        result = await send(settings, build_message(settings, "test", RECIPIENT))
    assert result.category == "auth_failed" and result.stage == "auth"
    assert fix_phrase in result.fix
    assert "MAIL" not in server.recorder.commands


@pytest.mark.parametrize(
    "reply",
    [
        "535 5.7.139 Authentication unsuccessful, basic authentication is disabled",
        "535 5.7.30 Basic authentication is not supported for Client Submission",
    ],
)
async def test_basic_auth_switched_off_leads_to_oauth2(make_settings, reply: str) -> None:
    behaviour = Behaviour(username=SENTINEL_USER, password="something else", auth_fail_reply=reply)
    with smtp_server("plain", behaviour=behaviour) as server:
        settings = make_settings(server.port, "none", auth=True)
        result = await send(settings, build_message(settings, "test", RECIPIENT))
    assert "OAuth 2.0" in result.fix and "README" in result.fix
    assert result.command.startswith("mailgw set smtp.auth.method=oauth2")
    assert "mailgw set-secret" in result.command


async def test_server_echoing_the_password_is_masked(make_settings) -> None:
    reply = f"535 5.7.8 password {SENTINEL_PASSWORD} is wrong"
    behaviour = Behaviour(username=SENTINEL_USER, password="x", auth_fail_reply=reply)
    with smtp_server("plain", behaviour=behaviour) as server:
        settings = make_settings(server.port, "none", auth=True)
        result = await send(settings, build_message(settings, "test", RECIPIENT))
    assert result.category == "auth_failed"
    assert "********" in result.message
    assert_no_secret(result.as_dict(), result.message, [str(line) for line in result.transcript])


async def test_sender_and_recipient_rejections(make_settings) -> None:
    behaviour = Behaviour(reject_senders={"alerts@example.com"})
    with smtp_server("plain", behaviour=behaviour) as server:
        settings = make_settings(server.port, "none")
        sender = await send(settings, build_message(settings, "test", RECIPIENT))
        server.behaviour.reject_senders.clear()
        server.behaviour.reject_recipients.add(RECIPIENT)
        recipient = await send(settings, build_message(settings, "test", RECIPIENT))
    assert (sender.category, sender.stage) == ("sender_rejected", "mail_from")
    assert "553" in sender.message
    assert (recipient.category, recipient.stage) == ("recipient_rejected", "rcpt_to")
    assert server.recorder.messages == []


def _scripted(replies: dict[bytes, bytes], *, drop_on: bytes = b"", drip: float = 0.0):
    """A raw server answering by verb; it may hang up on one verb or drip every byte."""

    def factory(state):
        async def handle(reader, writer) -> None:
            async def say(data: bytes) -> None:
                if not drip:
                    writer.write(data)
                    return await writer.drain()
                for byte in data:
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(drip)

            await say(b"220 mail.example.test ESMTP\r\n")
            while True:
                command = await read_command(reader, state)
                verb = command.split(b" ")[0].split(b":")[0]
                if verb == drop_on:
                    writer.transport.abort()
                    return
                await say(replies.get(verb, b"250 OK\r\n"))
                if verb == b"QUIT":
                    return

        return handle

    return factory


async def test_dropped_connection_is_connection_lost(make_settings) -> None:
    with raw_server(_scripted({b"EHLO": b"250 mail.example.test\r\n"}, drop_on=b"MAIL")) as srv:
        settings = make_settings(srv.port, "none")
        result = await send(settings, build_message(settings, "test", RECIPIENT))
    assert (result.category, result.stage) == ("connection_lost", "mail_from")


async def test_slow_drip_cannot_outlast_the_overall_deadline(make_settings) -> None:
    # Each reply arrives within the per-read limit; the whole conversation cannot.
    with raw_server(_scripted({b"EHLO": b"250 mail.example.test\r\n"}, drip=0.03)) as srv:
        settings = make_settings(srv.port, "none", timeout=1.5)
        result = await send(settings, build_message(settings, "test", RECIPIENT))
    assert result.category == "timeout"
    assert result.stage not in ("resolve", "connect")
    assert "within 1.5 s" in result.message
    assert result.stages[-1].ok is False
    assert srv.lines and not any(line.startswith(b"DATA") for line in srv.lines)


async def test_cancelling_the_task_raises_and_keeps_the_partial_record(make_settings) -> None:
    with raw_server(_scripted({}, drip=0.05)) as srv:
        settings = make_settings(srv.port, "none")
        progress = Progress()
        seen: list[str] = []
        task = asyncio.create_task(
            send(
                settings,
                build_message(settings, "test", RECIPIENT),
                progress=progress,
                on_stage=lambda stage: seen.append(stage.name),
            )
        )
        while not srv.lines:  # the server has read EHLO: the send is under way
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert progress.result is not None and progress.result.category == "cancelled"
    assert progress.result.stage == "ehlo" and seen == ["resolve", "connect", "ehlo"]
    assert [s.name for s in progress.stages] == seen and progress.stages[-1].ok is False
    assert any(line.text.startswith("EHLO") for line in progress.transcript)


async def test_an_outer_timeout_is_not_swallowed(make_settings) -> None:
    with raw_server(_scripted({}, drip=0.05)) as srv:
        settings = make_settings(srv.port, "none")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(probe(settings), 0.3)


def _injecting(context):
    """STARTTLS answered with 220 plus pipelined plain-text lines a MITM would inject."""

    def factory(state):
        async def handle(reader, writer) -> None:
            writer.write(b"220 mail.example.test ESMTP\r\n")
            tls = False
            while True:
                command = await read_command(reader, state)
                if command.startswith(b"EHLO"):
                    offer = b"250 AUTH PLAIN\r\n" if tls else b"250 STARTTLS\r\n"
                    writer.write(b"250-mail.example.test\r\n" + offer)
                elif command == b"STARTTLS":
                    writer.write(b"220 2.0.0 Ready\r\n250-INJECTED\r\n250 AUTH INJECTED\r\n")
                    await writer.drain()
                    await writer.start_tls(context)
                    tls = True
                    continue
                elif command == b"QUIT":
                    writer.write(b"221 bye\r\n")
                    await writer.drain()
                    return
                else:
                    writer.write(b"250 OK\r\n")
                await writer.drain()

        return handle

    return factory


@pytest.mark.skipif(
    not hasattr(asyncio.StreamWriter, "start_tls"), reason="the raw server needs Python 3.11+"
)
async def test_starttls_response_injection_is_ignored(make_settings, ca_file, good_cert) -> None:
    with raw_server(_injecting(server_context(good_cert))) as srv:
        result = await probe(make_settings(srv.port, "starttls"), ca_file=ca_file)
    assert result.ok, result.as_dict()
    assert result.server.auth_mechanisms == ("PLAIN",)
    assert not any("INJECTED" in line.text for line in result.transcript)


async def test_host_names_resolve_through_the_injected_resolver(
    make_settings, ca_file, good_cert
) -> None:
    zone = Zone().add(SERVER_NAME, "A", "127.0.0.1")
    with serving(zone) as dns_server, smtp_server("starttls", cert=good_cert) as server:
        resolver = dns_resolver(dns_server.host, dns_server.port, lifetime=2.0)
        found = await probe(
            make_settings(server.port, "starttls", host=SERVER_NAME),
            resolver=resolver,
            ca_file=ca_file,
        )
        missing = await probe(
            make_settings(server.port, "starttls", host="nowhere.example.test"),
            resolver=resolver,
        )
    assert found.ok and found.tls.hostname_match and found.tls.verified
    assert (missing.category, missing.stage) == ("dns", "resolve")
    assert "nowhere.example.test" in missing.message


async def test_login_never_crosses_the_network_unencrypted(make_settings) -> None:
    zone = Zone().add(SERVER_NAME, "A", "127.0.0.1")
    with serving(zone) as dns_server, smtp_server("plain", behaviour=LOGIN) as server:
        resolver = dns_resolver(dns_server.host, dns_server.port, lifetime=2.0)
        settings = make_settings(server.port, "none", auth=True, host=SERVER_NAME)
        refused = await probe(settings, resolver=resolver)
        settings.smtp.allow_plaintext_auth = True
        allowed = await probe(settings, resolver=resolver)
    assert refused.category == "config_invalid" and "unencrypted" in refused.message
    assert allowed.ok and server.recorder.commands.count("AUTH") == 1


async def test_platform_gateway_uses_the_vendor_secret_file(make_settings, tmp_path, good_cert):
    secret = tmp_path / "platform-gateway.secret"
    secret.write_text(f"{SENTINEL_USER}\n{SENTINEL_PASSWORD}\n")
    with smtp_server("starttls", cert=good_cert, behaviour=LOGIN) as server:
        gateway = dataclasses.replace(
            platform_gateway(),
            host="127.0.0.1",
            port=server.port,
            security=Security.STARTTLS,
            secret_file=str(secret),
        )
        settings = make_settings(1, "none")
        settings.smtp.gateway = "platform"
        result = await probe(settings, gateway=gateway, ca_file=None)
    # the gateway verifies against the system store only: the test CA is unknown to it
    assert result.category == "certificate"
    assert "AUTH" not in server.recorder.commands


async def test_platform_gateway_sends_with_its_credentials(
    make_settings, tmp_path, good_cert, ca_file
) -> None:
    secret = tmp_path / "platform-gateway.secret"
    secret.write_text(f"{SENTINEL_USER}\n{SENTINEL_PASSWORD}\n")
    with smtp_server("starttls", cert=good_cert, behaviour=LOGIN) as server:
        gateway = dataclasses.replace(
            platform_gateway(), host="127.0.0.1", port=server.port, secret_file=str(secret)
        )
        settings = make_settings(1, "none")
        settings.smtp.gateway = "platform"
        result = await send(
            settings, build_message(settings, "test", RECIPIENT), gateway=gateway, ca_file=ca_file
        )
    assert result.ok, result.as_dict()
    assert server.recorder.logins == ["PLAIN"]
    assert_no_secret(result.as_dict())


async def test_missing_gateway_secret_says_which_file(make_settings, tmp_path) -> None:
    missing = tmp_path / "nope.secret"
    gateway = dataclasses.replace(platform_gateway(), secret_file=str(missing))
    settings = make_settings(1, "none")
    settings.smtp.gateway = "platform"
    result = await probe(settings, gateway=gateway)
    assert result.category == "config_invalid"
    assert str(missing) in result.message and "custom SMTP" in result.message
    assert result.stages == []


async def test_injected_header_is_refused_before_connecting(make_settings) -> None:
    with smtp_server("plain") as server:
        settings = make_settings(server.port, "none")
        message = email.message.Message()
        message["From"] = "alerts@example.com"
        message["To"] = RECIPIENT
        message["Subject"] = "hello\r\nBcc: victim@example.net"
        result = await send(settings, message)  # type: ignore[arg-type]
    assert result.category == "config_invalid"
    assert server.recorder.commands == []
    with pytest.raises(MessageInvalid):
        settings.email.from_name = "Ops\r\nBcc: victim@example.net"
        build_message(settings, "test", RECIPIENT)


async def test_provider_preset_quirks_join_the_fix(make_settings) -> None:
    behaviour = Behaviour(username=SENTINEL_USER, password="other")
    with smtp_server("plain", behaviour=behaviour) as server:
        settings = make_settings(server.port, "none", auth=True, provider="gmail")
        result = await probe(settings)
    assert result.category == "auth_failed"
    assert "Gmail: Needs an app password" in result.fix


async def test_missing_ca_file_is_config_invalid(make_settings, tmp_path, good_cert) -> None:
    with smtp_server("starttls", cert=good_cert) as server:
        settings = make_settings(server.port, "starttls")
        result = await probe(settings, ca_file=str(tmp_path / "missing-ca.pem"))
    assert result.category == "config_invalid" and "missing-ca.pem" in result.message


async def test_a_server_silent_after_connecting_is_not_blamed_on_a_firewall(
    make_settings,
) -> None:
    def silent(state):
        async def handle(reader, writer) -> None:
            await asyncio.sleep(30)

        return handle

    with raw_server(silent) as srv:
        result = await probe(make_settings(srv.port, "starttls", timeout=1.0))
    assert (result.category, result.stage) == ("timeout", "connect") and result.connected
    assert "took the connection but sent no greeting" in result.message
    assert f"port {srv.port}" in result.fix and "smtp.security = ssl" in result.fix
    assert "blocked" not in result.fix and "firewall" not in result.fix


async def test_auth_login_when_plain_is_not_offered(make_settings, ca_file, good_cert) -> None:
    with smtp_server("ssl", cert=good_cert, behaviour=LOGIN, exclude_auth=("PLAIN",)) as server:
        settings = make_settings(server.port, "ssl", auth=True)
        result = await send(settings, build_message(settings, "test", RECIPIENT), ca_file=ca_file)
    assert result.ok, result.as_dict()
    assert server.recorder.logins == ["LOGIN"]
    assert "AUTH LOGIN ********" in [line.text for line in result.transcript]
    assert_no_secret(result.as_dict())


async def test_server_requiring_login_says_to_turn_auth_on(make_settings, ca_file, good_cert):
    with smtp_server("starttls", cert=good_cert, behaviour=LOGIN, auth_required=True) as server:
        settings = make_settings(server.port, "starttls")
        result = await send(settings, build_message(settings, "test", RECIPIENT), ca_file=ca_file)
    assert (result.category, result.stage) == ("sender_rejected", "mail_from")
    assert "smtp.auth.enabled" in result.fix


async def test_non_ascii_recipient_is_refused_with_a_reason(make_settings) -> None:
    with smtp_server("plain") as server:
        settings = make_settings(server.port, "none")
        message = build_message(settings, "test", RECIPIENT)
        del message["To"]
        message["To"] = "zoë@example.net"
        result = await send(settings, message)
    assert (result.category, result.stage) == ("recipient_rejected", "rcpt_to")
    assert "non-ASCII" in result.message and server.recorder.messages == []


async def test_a_refused_certificate_names_the_fix_without_a_shell_command(
    make_settings, unknown_ca_cert
) -> None:
    from mailgw.delivery.pinning import refused_certificate

    with smtp_server("ssl", cert=unknown_ca_cert) as server:
        result = await probe(make_settings(server.port, "ssl"))
    tls = refused_certificate(result)
    assert tls is not None and tls.fingerprint_sha256 in result.fix
    assert "`" not in result.fix and "mailgw " not in result.fix  # the TUI shows it too
    assert result.command == f'mailgw set smtp.tls_fingerprint="{tls.fingerprint_sha256}"'
    assert result.shell_fix().endswith(f"(`{result.command}`)")
