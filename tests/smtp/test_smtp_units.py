"""The pure parts of the send path: masking, transcript lines, certificate name matching."""

from __future__ import annotations

import base64
import datetime as dt

import trustme
from cryptography import x509
from hypothesis import given
from hypothesis import strategies as st

from mailgw.delivery.tls import hostname_matches, same_fingerprint
from mailgw.delivery.transcript import MASK, Redactor, Transcript, secret_forms

_SECRET = st.text(st.characters(blacklist_characters="*", blacklist_categories=("Cs",)), min_size=1)


@given(username=st.text(max_size=20), password=_SECRET, before=st.text(), after=st.text())
def test_every_travelling_form_of_the_password_is_masked(
    username: str, password: str, before: str, after: str
) -> None:
    redact = Redactor(secret_forms(username, password))
    plain = base64.b64encode(f"\0{username}\0{password}".encode()).decode()
    login = base64.b64encode(password.encode()).decode()
    for form in (password, plain, plain.rstrip("="), login, login.rstrip("=")):
        shown = redact(f"{before}{form}{after}")
        assert password not in shown and plain not in shown and login not in shown


def test_transcript_lines_keep_the_wire_shape_and_mask_secrets() -> None:
    transcript = Transcript(Redactor(secret_forms("u", "hunter2")))
    transcript.client("AUTH PLAIN " + base64.b64encode(b"\0u\0hunter2").decode())
    transcript.server(250, "mail.example.test\nSIZE 1000\nAUTH PLAIN")
    texts = [line.text for line in transcript.lines]
    wire = ["250-mail.example.test", "250-SIZE 1000", "250 AUTH PLAIN"]
    assert texts == [f"AUTH PLAIN {MASK}", *wire]
    assert [line.who for line in transcript.lines] == ["C", "S", "S", "S"]
    assert all(b.t >= a.t for a, b in zip(transcript.lines, transcript.lines[1:], strict=False))


def test_fingerprints_compare_without_colons_or_case() -> None:
    assert same_fingerprint("AB:CD:" + "00" * 30, "abcd" + "00" * 30)
    assert not same_fingerprint("AB" * 32, "AC" * 32)
    assert not same_fingerprint("", "")


def test_host_name_matching_follows_rfc_6125() -> None:
    leaf = trustme.CA().issue_cert("*.example.test", "mail.example.org", "10.0.0.1")
    cert_pem = leaf.cert_chain_pems[0]
    cert = x509.load_pem_x509_certificate(cert_pem.bytes())
    assert hostname_matches(cert, "smtp.example.test")
    assert hostname_matches(cert, "MAIL.example.org.")
    assert hostname_matches(cert, "10.0.0.1")
    assert not hostname_matches(cert, "a.b.example.test")  # a wildcard covers one label
    assert not hostname_matches(cert, "example.test")
    assert not hostname_matches(cert, "10.0.0.2")
    assert cert.not_valid_after_utc > dt.datetime.now(dt.timezone.utc)


def test_the_target_never_shows_its_password(make_settings) -> None:
    from mailgw.delivery.target import target_for
    from tests.smtp.conftest import SENTINEL_PASSWORD, assert_no_secret

    target = target_for(make_settings(25, "starttls", auth=True))
    assert target.password == SENTINEL_PASSWORD
    assert_no_secret(repr(target), str(target))


async def test_the_trust_store_loads_off_the_event_loop(
    make_settings, good_cert, ca_file, monkeypatch
) -> None:
    import ssl
    import threading

    from mailgw.delivery import tls
    from mailgw.delivery.smtp import probe
    from tests.support.smtpserver import smtp_server

    tls._context.cache_clear()
    monkeypatch.setattr(tls, "_built", set())
    loaders: list[threading.Thread] = []
    real = ssl.create_default_context

    def recording(purpose=ssl.Purpose.SERVER_AUTH, **kwargs):
        if purpose == ssl.Purpose.SERVER_AUTH:  # the client's context, not the test server's
            loaders.append(threading.current_thread())
        return real(purpose, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", recording)
    with smtp_server("starttls", cert=good_cert) as server:
        first = await probe(make_settings(server.port, "starttls"), ca_file=ca_file)
        second = await probe(make_settings(server.port, "starttls"), ca_file=ca_file)
    assert first.ok and second.ok
    assert len(loaders) == 1 and loaders[0] is not threading.current_thread()  # built once
