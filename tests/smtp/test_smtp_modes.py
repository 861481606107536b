"""Each security mode end to end against aiosmtpd on 127.0.0.1, the message read back."""

from __future__ import annotations

import email
import io
import re
import zipfile
from email.message import EmailMessage
from email.policy import default as default_policy
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from mailgw.delivery.errors import MessageInvalid
from mailgw.delivery.messages import build_message
from mailgw.delivery.results import StageName
from mailgw.delivery.smtp import planned_stages, probe, send
from tests.smtp.conftest import (
    RECIPIENT,
    SENTINEL_PASSWORD,
    SENTINEL_USER,
    assert_no_secret,
)
from tests.support.smtpserver import Behaviour, smtp_server

LOGIN = Behaviour(username=SENTINEL_USER, password=SENTINEL_PASSWORD)


def _read_back(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=default_policy)  # type: ignore[return-value]


def _assert_platform_like(received: EmailMessage, test_id: str) -> None:
    assert received["From"].addresses[0].display_name == "Fleet Alerts"
    assert received["From"].addresses[0].addr_spec == "alerts@example.com"
    assert received["X-Mailgw-Test-Id"] == test_id
    assert received["Message-ID"] and received["Date"]
    text = received.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = received.get_body(("html",)).get_content()
    assert text.rstrip().endswith("-- \nRegards,\nThe fleet team")
    assert "The fleet team" in html
    assert "Bcc" not in received


async def test_plain_send_with_login_on_loopback(make_settings, ca_file) -> None:
    with smtp_server("plain", behaviour=LOGIN) as server:
        settings = make_settings(server.port, "none", auth=True)
        result = await send(settings, build_message(settings, "test", RECIPIENT))
    assert result.ok, result.as_dict()
    assert result.tls is None
    assert [s.name for s in result.stages] == [
        "resolve", "connect", "ehlo", "auth", "mail_from", "rcpt_to", "data", "quit",
    ]  # fmt: skip
    assert "STARTTLS" not in server.recorder.commands
    assert server.recorder.envelopes == [("alerts@example.com", [RECIPIENT])]
    _assert_platform_like(_read_back(server.recorder.messages[0]), result.test_id)
    assert_no_secret(result.as_dict())


async def test_starttls_send_delivers_report_with_valid_attachments(
    make_settings, ca_file, good_cert
) -> None:
    with smtp_server("starttls", cert=good_cert, behaviour=LOGIN, auth_required=True) as server:
        settings = make_settings(server.port, "starttls", auth=True)
        message = build_message(settings, "report", RECIPIENT)
        result = await send(settings, message, ca_file=ca_file)
    assert result.ok, result.as_dict()
    assert [s.name for s in result.stages] == planned_stages(settings)
    assert server.recorder.commands.index("STARTTLS") < server.recorder.commands.index("AUTH")
    assert result.tls is not None and result.tls.verified and result.tls.hostname_match
    assert result.tls.protocol.startswith("TLS")
    received = _read_back(server.recorder.messages[0])
    _assert_platform_like(received, result.test_id)
    files = {part.get_filename(): part.get_content() for part in received.iter_attachments()}
    pdf = next(data for name, data in files.items() if name.endswith(".pdf"))
    xlsx = next(data for name, data in files.items() if name.endswith(".xlsx"))
    assert_valid_pdf(pdf)
    assert_valid_xlsx(xlsx)
    assert_no_secret(result.as_dict())


async def test_implicit_tls_send_of_an_event(make_settings, ca_file, good_cert) -> None:
    with smtp_server("ssl", cert=good_cert, behaviour=LOGIN) as server:
        settings = make_settings(server.port, "ssl", auth=True)
        result = await send(settings, build_message(settings, "event", RECIPIENT), ca_file=ca_file)
    assert result.ok, result.as_dict()
    assert [s.name for s in result.stages] == planned_stages(settings)
    assert [s.name for s in result.stages][:4] == ["resolve", "connect", "tls", "certificate"]
    assert "STARTTLS" not in server.recorder.commands
    received = _read_back(server.recorder.messages[0])
    assert "Geofence" in received["Subject"]
    _assert_platform_like(received, result.test_id)


async def test_billing_message_sends_over_starttls(make_settings, ca_file, good_cert) -> None:
    with smtp_server("starttls", cert=good_cert) as server:
        settings = make_settings(server.port, "starttls")
        message = build_message(settings, "billing", RECIPIENT)
        result = await send(settings, message, ca_file=ca_file)
    assert result.ok
    assert "balance" in _read_back(server.recorder.messages[0])["Subject"].lower()


async def test_security_none_never_upgrades_even_when_offered(make_settings, good_cert) -> None:
    with smtp_server("starttls", cert=good_cert) as server:
        settings = make_settings(server.port, "none")
        result = await send(settings, build_message(settings, "test", RECIPIENT))
    assert result.ok, result.as_dict()
    assert result.server is not None and result.server.starttls
    assert "STARTTLS" not in server.recorder.commands
    assert result.tls is None


async def test_probe_logs_in_and_quits_without_mail(make_settings, ca_file, good_cert) -> None:
    stages = []
    with smtp_server("starttls", cert=good_cert, behaviour=LOGIN) as server:
        settings = make_settings(server.port, "starttls", auth=True)
        result = await probe(settings, ca_file=ca_file, on_stage=stages.append)
    assert result.ok, result.as_dict()
    assert "MAIL" not in server.recorder.commands and server.recorder.messages == []
    assert server.recorder.commands[-1] == "QUIT"
    assert [s.name for s in stages] == [s.name for s in result.stages]
    assert [s.name for s in stages] == planned_stages(settings, sending=False)
    assert StageName.AUTH.value in [s.name for s in stages]
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", result.tls.fingerprint_sha256)
    assert "PLAIN" in result.server.auth_mechanisms
    auth_lines = [line.text for line in result.transcript if line.text.startswith("AUTH")]
    assert auth_lines == ["AUTH PLAIN ********"]


def assert_valid_pdf(data: bytes) -> None:
    """Header, trailer, and every xref offset pointing at its object."""
    assert data.startswith(b"%PDF-1.") and data.rstrip().endswith(b"%%EOF")
    startxref = int(data.rsplit(b"startxref", 1)[1].split()[0])
    assert data[startxref:].startswith(b"xref")
    table = data[startxref:].split(b"trailer")[0].split(b"\n")[1:]
    first, count = (int(x) for x in table[0].split())
    entries = [line for line in table[1:] if line.strip()]
    assert first == 0 and len(entries) == count
    for number, entry in enumerate(entries[1:], start=1):
        offset = int(entry.split()[0])
        assert data[offset:].startswith(b"%d 0 obj" % number)
    assert b"/Type /Catalog" in data and b"/Count 1" in data


def assert_valid_xlsx(data: bytes) -> None:
    """A zip with the required OOXML parts, each well-formed XML, the sheet holding the rows."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        required = {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"}
        assert required | {"xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml"} <= names
        for name in names:
            ElementTree.fromstring(archive.read(name))
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "Truck 12" in sheet and "<v>184.2</v>" in sheet


@pytest.mark.parametrize("kind", ["test", "event", "report", "billing"])
def test_every_kind_has_both_parts_and_a_unique_id(make_settings, kind: str) -> None:
    settings = make_settings(25)
    first = build_message(settings, kind, RECIPIENT)
    second = build_message(settings, kind, RECIPIENT)
    assert first["X-Mailgw-Test-Id"] != second["X-Mailgw-Test-Id"]
    assert first.get_body(("plain",)) is not None and first.get_body(("html",)) is not None


async def test_ehlo_name_defaults_to_the_host_name_without_dns(make_settings, monkeypatch) -> None:
    import socket

    def no_fqdn(*args: object) -> str:
        raise AssertionError("getfqdn() can hang on broken DNS and must not be called")

    monkeypatch.setattr(socket, "getfqdn", no_fqdn)
    with smtp_server("plain") as server:
        settings = make_settings(server.port, "none", helo_name="")
        result = await send(settings, build_message(settings, "test", RECIPIENT))
    assert result.ok, result.as_dict()
    assert f"EHLO {socket.gethostname()}" in [line.text for line in result.transcript]
    findings = result.findings()
    assert findings[-1].status.value == "ok" and findings[0].check == "smtp:resolve"


@hypothesis_settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.text(max_size=40))
def test_display_names_round_trip_or_are_refused(make_settings, name: str) -> None:
    config = make_settings(25)
    config.email.from_name = name
    if any(ch in name for ch in "\r\n\0"):
        with pytest.raises(MessageInvalid):
            build_message(config, "test", RECIPIENT)
        return
    message = build_message(config, "test", RECIPIENT)
    received = _read_back(bytes(message))
    assert received["From"].addresses[0].addr_spec == "alerts@example.com"
    assert set(received.keys()) == set(message.keys())


async def test_a_send_adds_no_round_trip_to_the_smtp_dialogue(
    make_settings, ca_file, good_cert
) -> None:
    """What a bare client needs and no more: the greeting, each command once, then the content
    (7 round trips in the clear, 10 with STARTTLS and a login)."""
    with smtp_server("plain") as server:
        settings = make_settings(server.port, "none")
        assert (await send(settings, build_message(settings, "test", RECIPIENT))).ok
    assert server.recorder.commands == ["EHLO", "MAIL", "RCPT", "DATA", "QUIT"]
    with smtp_server("starttls", cert=good_cert, behaviour=LOGIN, auth_required=True) as server:
        settings = make_settings(server.port, "starttls", auth=True)
        message = build_message(settings, "test", RECIPIENT)
        assert (await send(settings, message, ca_file=ca_file)).ok
    assert server.recorder.commands == [
        "EHLO", "STARTTLS", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT",
    ]  # fmt: skip
