"""Auto-detect through the API: ports probed at once, offers reported, the best recommended."""

from __future__ import annotations

import asyncio

import pytest

from mailgw.config import editing
from mailgw.config.model import Gateway, Security, Settings
from mailgw.delivery.detect import (
    Candidate,
    CertificateNotTrusted,
    PortReport,
    detect,
    recommended_values,
)
from tests.smtp.conftest import SENTINEL_PASSWORD, SENTINEL_USER
from tests.support.ports import free_port
from tests.support.smtpserver import Behaviour, raw_server, server_context, smtp_server
from tests.support.tls import sample_tls

LOGIN = Behaviour(username=SENTINEL_USER, password=SENTINEL_PASSWORD)


async def test_valid_starttls_beats_implicit_tls_with_a_bad_certificate(
    ca_file, good_cert, unknown_ca_cert
) -> None:
    seen = []
    with (
        smtp_server("ssl", cert=unknown_ca_cert, behaviour=LOGIN) as implicit,
        smtp_server("starttls", cert=good_cert, behaviour=LOGIN) as starttls,
    ):
        report = await detect(
            "127.0.0.1",
            candidates=[
                Candidate(implicit.port, Security.SSL),
                Candidate(starttls.port, Security.STARTTLS),
            ],
            timeout=5,
            helo_name="client.example.test",
            ca_file=ca_file,
            on_result=seen.append,
        )
    assert sorted(r.port for r in seen) == sorted([implicit.port, starttls.port])
    ports = {r.port: r for r in report.ports}
    bad = ports[implicit.port]
    assert bad.security == "ssl" and bad.certificate_valid is False
    assert "unknown certificate authority" in bad.certificate_problem
    assert bad.server is not None and "PLAIN" in bad.server.auth_mechanisms
    assert bad.tls is not None and bad.tls.fingerprint_sha256
    good = ports[starttls.port]
    assert good.certificate_valid is True and good.server.size == 33554432
    assert report.recommended is good
    assert report.as_dict()["recommended"] == {"port": starttls.port, "security": "starttls"}


async def test_nothing_listening_recommends_nothing() -> None:
    port = free_port()
    report = await detect("127.0.0.1", candidates=[Candidate(port, Security.SSL)], timeout=2)
    assert report.recommended is None
    assert report.ports[0].category == "connect_refused" and not report.ports[0].reachable


async def test_cancelling_detect_raises_and_reports_every_port_cancelled() -> None:
    from mailgw.delivery.detect import DetectReport

    connected: list[int] = []

    def silent(state):
        async def handle(reader, writer) -> None:
            connected.append(state.port)
            await asyncio.sleep(30)

        return handle

    with raw_server(silent) as first, raw_server(silent) as second:
        candidates = [Candidate(first.port, Security.SSL), Candidate(second.port, Security.NONE)]
        progress = DetectReport("127.0.0.1")
        task = asyncio.create_task(
            detect("127.0.0.1", candidates=candidates, timeout=20, progress=progress)
        )
        while len(connected) < 2:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert [p.category for p in progress.ports] == ["cancelled", "cancelled"]
    assert sorted(p.port for p in progress.ports) == sorted([first.port, second.port])
    assert progress.recommended is None


@pytest.mark.skipif(
    not hasattr(asyncio.StreamWriter, "start_tls"), reason="the raw server needs Python 3.11+"
)
async def test_the_unverified_retry_stays_within_the_ports_budget(unknown_ca_cert) -> None:
    """The first probe spends the whole budget (its certificate fetch hangs): no retry follows."""
    connections: list[int] = []

    def factory(state):
        async def handle(reader, writer) -> None:
            connections.append(len(connections) + 1)
            if len(connections) == 1:  # the probe: TLS with a certificate nobody trusts
                await writer.start_tls(server_context(unknown_ca_cert))
            await asyncio.sleep(30)  # the certificate fetch, and any later one: silence

        return handle

    with raw_server(factory) as server:
        report = await detect(
            "127.0.0.1", candidates=[Candidate(server.port, Security.SSL)], timeout=1.0
        )
    port = report.ports[0]
    assert port.category == "certificate" and port.certificate_valid is False
    assert connections == [1, 2]  # probe and certificate fetch; no third, unbudgeted probe


def _report(port: int, security: str, *, valid: bool | None, fingerprint: str = "") -> PortReport:
    tls = None
    if fingerprint:
        tls = sample_tls(fingerprint_sha256=fingerprint, verified=bool(valid))
    return PortReport(
        port=port,
        tried=Security(security),
        security=security,
        reachable=True,
        tls=tls,
        certificate_valid=valid,
        certificate_problem="" if valid is not False else "unknown CA",
    )


def apply_recommendation(
    settings: Settings, host: str, best: PortReport, *, pin: bool = False
) -> None:
    """A detect result applied as every front applies it: through the editing layer."""
    editing.apply(settings, recommended_values(host, best, pin=pin))


def test_applying_another_host_drops_the_old_certificate_trust() -> None:
    settings = Settings()
    settings.smtp.host, settings.smtp.tls_fingerprint, settings.smtp.trust_all = "old", "AB", True
    apply_recommendation(settings, "new.example.com", _report(465, "ssl", valid=True))
    smtp = settings.smtp
    assert (smtp.gateway, smtp.host, smtp.port, smtp.security) == (
        Gateway.CUSTOM,
        "new.example.com",
        465,
        Security.SSL,
    )
    assert (smtp.tls_fingerprint, smtp.trust_all) == ("", False)


def test_applying_the_same_host_keeps_its_pin() -> None:
    settings = Settings()
    settings.smtp.host, settings.smtp.tls_fingerprint = "mail.example.com", "CD"
    apply_recommendation(settings, "mail.example.com", _report(587, "starttls", valid=True))
    assert settings.smtp.tls_fingerprint == "CD"


def test_a_certificate_that_is_not_valid_is_only_applied_pinned() -> None:
    settings = Settings()
    report = _report(465, "ssl", valid=False, fingerprint="EF" * 32)
    with pytest.raises(CertificateNotTrusted) as refused:
        apply_recommendation(settings, "mail.example.com", report)
    assert (refused.value.port, refused.value.fingerprint) == (465, "EF" * 32)
    assert settings == Settings()  # nothing changed by a refusal
    apply_recommendation(settings, "mail.example.com", report, pin=True)
    assert (settings.smtp.tls_fingerprint, settings.smtp.trust_all) == ("EF" * 32, False)


async def test_no_working_port_blames_the_firewall_only_when_nothing_connected() -> None:
    def greets_garbage(state):
        async def handle(reader, writer) -> None:
            writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")  # a web server, not SMTP
            await writer.drain()
            await asyncio.sleep(30)

        return handle

    refused = free_port()
    with raw_server(greets_garbage) as web:
        candidates = [Candidate(web.port, Security.STARTTLS), Candidate(refused, Security.SSL)]
        report = await detect("127.0.0.1", candidates=candidates, timeout=2)
    ports = {r.port: r for r in report.ports}
    assert report.recommended is None
    assert ports[web.port].reachable and not ports[refused].reachable
    verdict = report.nothing_works()
    assert f"port {web.port} took a connection" in verdict and "firewall" not in verdict


async def test_no_connection_at_all_names_the_firewall() -> None:
    report = await detect("127.0.0.1", candidates=[Candidate(free_port(), Security.SSL)], timeout=2)
    assert "outbound firewall" in report.nothing_works()


def test_the_typed_port_is_probed_first_then_the_others_once() -> None:
    from mailgw.delivery.detect import DEFAULT_CANDIDATES, typed_first

    assert typed_first(DEFAULT_CANDIDATES, 2525, Security.NONE) == [
        Candidate(2525, Security.STARTTLS),  # starttls also notices a plain server
        *DEFAULT_CANDIDATES,
    ]
    assert typed_first(DEFAULT_CANDIDATES, 587, Security.SSL) == [
        Candidate(587, Security.SSL),
        Candidate(465, Security.SSL),
        Candidate(25, Security.STARTTLS),
    ]
    assert typed_first(DEFAULT_CANDIDATES, 0, Security.SSL) == list(DEFAULT_CANDIDATES)
