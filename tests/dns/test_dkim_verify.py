"""DKIM verification of received messages signed in the test with dkimpy and generated keys."""

from __future__ import annotations

import time

import pytest

from mailgw.delivery.dkim import DkimReport, MessageError, verify_message
from mailgw.delivery.resolver import ResolverConfig
from tests.dns.keys import MESSAGE, SigningKey, ed25519_key, rsa_key, sign
from tests.support.dnsserver import Zone, serving


async def _verify(message: bytes, zone: Zone, timeout: float = 2.0) -> DkimReport:
    with serving(zone) as server:
        return await verify_message(
            message, resolver=ResolverConfig((server.nameserver,), timeout=timeout)
        )


@pytest.mark.parametrize(
    ("key", "bits"),
    [(rsa_key(1024), 1024), (rsa_key(2048), 2048), (ed25519_key(), 256)],
    ids=["rsa1024", "rsa2048", "ed25519"],
)
async def test_a_valid_signature_passes(key: SigningKey, bits: int) -> None:
    zone = Zone().add_txt("mte1._domainkey.example.test", key.record)
    report = await _verify(sign(MESSAGE, key, "example.test", "mte1"), zone)
    (signature,) = report.signatures
    assert signature.result == "pass", signature.why
    assert (signature.domain, signature.selector) == ("example.test", "mte1")
    assert signature.algorithm == key.algorithm.decode()
    assert signature.key_bits == bits
    assert signature.aligned and signature.strictly_aligned and not signature.testing
    assert report.ok


async def test_key_size_is_reported() -> None:
    zone = Zone().add_txt("s._domainkey.example.test", rsa_key(1024).record + "; t=y")
    report = await _verify(sign(MESSAGE, rsa_key(1024), "example.test", "s"), zone)
    assert report.signatures[0].key_bits == 1024 and report.signatures[0].testing


async def test_a_tampered_body_fails() -> None:
    zone = Zone().add_txt("mte1._domainkey.example.test", rsa_key(2048).record)
    signed = sign(MESSAGE, rsa_key(2048), "example.test", "mte1")
    report = await _verify(signed.replace(b"00:00.", b"09:30."), zone)
    assert report.signatures[0].result == "fail"
    assert "body" in report.signatures[0].why and not report.ok


async def test_a_missing_key_is_permerror() -> None:
    report = await _verify(sign(MESSAGE, rsa_key(2048), "example.test", "gone"), Zone())
    assert report.signatures[0].result == "permerror"
    assert "no key" in report.signatures[0].why


async def test_a_revoked_key_is_permerror() -> None:
    zone = Zone().add_txt("mte1._domainkey.example.test", "v=DKIM1; k=rsa; p=")
    report = await _verify(sign(MESSAGE, rsa_key(2048), "example.test", "mte1"), zone)
    assert report.signatures[0].result == "permerror" and "revoked" in report.signatures[0].why


async def test_a_signature_over_a_header_changed_afterwards_fails() -> None:
    zone = Zone().add_txt("mte1._domainkey.example.test", rsa_key(2048).record)
    signed = sign(MESSAGE, rsa_key(2048), "example.test", "mte1")
    report = await _verify(signed.replace(b"left the geofence\r\n", b"is fine\r\n"), zone)
    assert report.signatures[0].result == "fail"
    assert "signed headers" in report.signatures[0].why


@pytest.mark.parametrize(
    ("tags", "why"),
    [
        ({b"t": b"1600000000", b"x": b"1600003600"}, "expired"),
        ({b"bh": None}, "missing bh="),
        ({b"t": str(int(time.time()) + 86400 * 30).encode()}, "t= value is in the future"),
        ({b"i": b"example.test"}, "has no @"),
    ],
    ids=["expired", "no-bh", "signed-in-the-future", "identity-without-at"],
)
async def test_a_signature_that_breaks_rfc_6376_is_permerror_not_fail(
    tags: dict[bytes, bytes | None], why: str
) -> None:
    zone = Zone().add_txt("mte1._domainkey.example.test", rsa_key(2048).record)
    report = await _verify(sign(MESSAGE, rsa_key(2048), "example.test", "mte1", tags=tags), zone)
    assert report.signatures[0].result == "permerror"
    assert why in report.signatures[0].why


async def test_an_expired_signature_is_permerror_even_when_its_key_times_out() -> None:
    zone = Zone().add_txt("mte1._domainkey.example.test", rsa_key(2048).record)
    zone.silent_names.add("mte1._domainkey.example.test.")
    tags: dict[bytes, bytes | None] = {b"t": b"1600000000", b"x": b"1600003600"}
    signed = sign(MESSAGE, rsa_key(2048), "example.test", "mte1", tags=tags)
    report = await _verify(signed, zone, 0.3)
    assert report.signatures[0].result == "permerror" and "expired" in report.signatures[0].why


async def test_a_malformed_signature_tag_list_is_permerror_without_a_lookup() -> None:
    signed = sign(MESSAGE, rsa_key(2048), "example.test", "mte1")
    broken = signed.replace(b"DKIM-Signature: v=1;", b"DKIM-Signature: v=1; s=a; s=b;", 1)
    with serving(Zone()) as server:
        config = ResolverConfig((server.nameserver,), timeout=0.5)
        report = await verify_message(broken, resolver=config)
        asked = [q for q in server.queries if q[2] == "TXT"]
    assert report.signatures[0].result == "permerror"
    assert "appears twice" in report.signatures[0].why and asked == []


async def test_a_selector_that_is_not_a_dns_name_is_permerror() -> None:
    report = await _verify(sign(MESSAGE, rsa_key(2048), "example.test", "s" * 64), Zone())
    assert report.signatures[0].result == "permerror"
    assert "valid DNS name" in report.signatures[0].why


async def test_a_key_only_for_tls_reports_is_permerror_not_a_mismatch() -> None:
    record = rsa_key(2048).record.replace("k=rsa;", "k=rsa; s=tlsrpt;")  # RFC 8460 only
    zone = Zone().add_txt("mte1._domainkey.example.test", record)
    report = await _verify(sign(MESSAGE, rsa_key(2048), "example.test", "mte1"), zone)
    assert report.signatures[0].result == "permerror"
    assert "tlsrpt" in report.signatures[0].why


async def test_a_dns_timeout_is_temperror_not_fail() -> None:
    zone = Zone().add_txt("mte1._domainkey.example.test", rsa_key(2048).record)
    zone.silent_names.add("mte1._domainkey.example.test.")
    report = await _verify(sign(MESSAGE, rsa_key(2048), "example.test", "mte1"), zone, 0.3)
    assert report.signatures[0].result == "temperror"
    assert "timeout" in report.signatures[0].why


async def test_every_signature_is_verified_separately() -> None:
    zone = Zone()
    zone.add_txt("mte1._domainkey.example.test", rsa_key(2048).record)
    zone.add_txt("gw._domainkey.gateway.test", "v=DKIM1; k=ed25519; p=")
    once = sign(MESSAGE, rsa_key(2048), "example.test", "mte1")
    twice = sign(once, ed25519_key(), "gateway.test", "gw")
    report = await _verify(twice, zone)
    results = {(s.domain, s.result) for s in report.signatures}
    assert results == {("gateway.test", "permerror"), ("example.test", "pass")}
    gateway = next(s for s in report.signatures if s.domain == "gateway.test")
    assert not gateway.aligned and not report.ok


async def test_two_signatures_checked_cryptographically_get_their_own_verdicts() -> None:
    zone = Zone()
    zone.add_txt("mte1._domainkey.example.test", rsa_key(2048).record)
    zone.add_txt("gw._domainkey.gateway.test", ed25519_key().record)
    with_subject = sign(MESSAGE, rsa_key(2048), "example.test", "mte1")
    both = sign(with_subject, ed25519_key(), "gateway.test", "gw", headers=("from", "date"))
    changed = both.replace(b"Subject: Vehicle 12", b"Subject: [EXTERNAL] Vehicle 12")
    report = await _verify(changed, zone)
    verdicts = {s.domain: (s.result, s.key_bits) for s in report.signatures}
    assert verdicts == {"gateway.test": ("pass", 256), "example.test": ("fail", 2048)}
    assert not report.ok


async def test_pasted_show_original_text_with_junk_and_lf_endings_verifies() -> None:
    zone = Zone().add_txt("mte1._domainkey.example.test", rsa_key(2048).record)
    signed = sign(MESSAGE, rsa_key(2048), "example.test", "mte1")
    results = (
        b"Authentication-Results: mx.customer.test;\r\n"
        b"       dkim=pass header.i=@example.test header.s=mte1;\r\n"
        b"       spf=pass smtp.mailfrom=bounce@mandrillapp.com;\r\n"
        b"       dmarc=pass (p=NONE) header.from=example.test\r\n"
    )
    pasted = b"Original Message\nMessage ID\t<1@example.test>\nCreated at:\tTue\n\n"
    pasted += (results + signed).replace(b"\r\n", b"\n")
    report = await _verify(pasted, zone)
    assert report.signatures[0].result == "pass", report.signatures[0].why
    verdicts = {(a.method, a.result) for a in report.authentication_results}
    assert verdicts == {("dkim", "pass"), ("spf", "pass"), ("dmarc", "pass")}
    assert report.authentication_results[0].authserv_id == "mx.customer.test"


async def test_text_without_headers_is_refused() -> None:
    with pytest.raises(MessageError):
        await _verify(b"just some words\nnothing else\n", Zone())


async def test_unsigned_message_is_not_ok() -> None:
    report = await _verify(MESSAGE, Zone())
    assert report.signatures == [] and not report.ok
