"""DKIM by RFC 6376 (6.1.1, 3.6.1), RFC 8301 and RFC 8463, in `dkim-verify` and in the `dns`
key check alike; RFC 5322's obsolete header syntax; RFC 8601 Appendix B's examples."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailgw.delivery.dkim import DkimReport, verify_message
from mailgw.delivery.dkim_keys import parse_key
from mailgw.delivery.domain import check_domain
from mailgw.delivery.findings import Status
from mailgw.delivery.resolver import ResolverConfig
from tests.dns.keys import MESSAGE, SigningKey, ed25519_key, rsa_key, sign
from tests.dns.zones import good_zone, set_txt, settings
from tests.support.dnsserver import Zone, serving

NAME = "s._domainkey.example.test"


async def _verify(message: bytes, zone: Zone) -> DkimReport:
    with serving(zone) as server:
        return await verify_message(message, resolver=ResolverConfig((server.nameserver,)))


def _zone(record: str) -> Zone:
    return Zone().add_txt(NAME, record)


async def test_a_signature_whose_h_lacks_from_is_permerror_never_pass() -> None:
    signed = sign(MESSAGE, rsa_key(2048), "example.test", "s", covers=("to", "subject"))
    report = await _verify(signed, _zone(rsa_key(2048).record))
    (signature,) = report.signatures
    assert signature.result == "permerror" and "From" in signature.why
    assert not report.ok


@pytest.mark.parametrize(
    ("key", "record"),
    [
        (ed25519_key(), ed25519_key().record.replace("k=ed25519", "k=rsa")),
        (rsa_key(2048), rsa_key(2048).record.replace("k=rsa", "k=ed25519")),
        (ed25519_key(), rsa_key(2048).record),
        (rsa_key(2048), ed25519_key().record),
    ],
    ids=["ed25519-sig-k-rsa", "rsa-sig-k-ed25519", "ed25519-sig-rsa-key", "rsa-sig-ed25519-key"],
)
async def test_a_key_type_that_does_not_match_the_algorithm_is_permerror_for_that_signature(
    key: SigningKey, record: str
) -> None:
    zone = _zone(record).add_txt("good._domainkey.example.test", rsa_key(1024).record)
    mismatched = sign(MESSAGE, key, "example.test", "s")
    both = sign(mismatched, rsa_key(1024), "example.test", "good")
    report = await _verify(both, zone)
    verdicts = {s.selector: s for s in report.signatures}
    assert verdicts["s"].result == "permerror" and "k=" in verdicts["s"].why
    assert verdicts["good"].result == "pass"  # the other signature is still judged


async def test_rsa_sha1_does_not_pass() -> None:
    sha1 = SigningKey(b"rsa-sha1", rsa_key(2048).private, rsa_key(2048).public_b64)
    report = await _verify(sign(MESSAGE, sha1, "example.test", "s"), _zone(sha1.record))
    assert report.signatures[0].result == "permerror"
    assert "8301" in report.signatures[0].why


KEY_TAGS = {
    "h=sha1": "sha256",
    "s=tlsrpt": "email",
    "s=TLSRPT": "email",
}


@pytest.mark.parametrize(("tag", "why"), KEY_TAGS.items())
async def test_key_tags_refused_by_dkim_verify_are_wrong_in_dns(tag: str, why: str) -> None:
    record = f"{rsa_key(2048).record}; {tag}"
    report = await _verify(sign(MESSAGE, rsa_key(2048), "example.test", "s"), _zone(record))
    assert report.signatures[0].result == "permerror" and why in report.signatures[0].why
    zone = set_txt(good_zone(), "dkim1.mandrillapp.com", record)
    with serving(zone) as server:
        resolver = ResolverConfig((server.nameserver,), check_authoritative=False)
        found = await check_domain(settings(), resolver_config=resolver)
    dkim = next(f for f in found.findings if f.check == "dkim:mte1")
    assert dkim.status is Status.WRONG and why in dkim.title


@pytest.mark.parametrize("tag", ["s=*", "s=email", "s=email:tlsrpt", "h=sha1:sha256", "t=s"])
async def test_key_tags_that_allow_mail_pass(tag: str) -> None:
    record = f"{rsa_key(2048).record}; {tag}"
    report = await _verify(sign(MESSAGE, rsa_key(2048), "example.test", "s"), _zone(record))
    assert report.signatures[0].result == "pass", report.signatures[0].why
    assert parse_key(record).email_problem() is None


async def test_t_s_refuses_a_subdomain_in_i() -> None:
    record = f"{rsa_key(2048).record}; t=s"
    tags: dict[bytes, bytes | None] = {b"i": b"@mail.example.test"}
    signed = sign(MESSAGE, rsa_key(2048), "example.test", "s", tags=tags)
    report = await _verify(signed, _zone(record))
    assert report.signatures[0].result == "permerror" and "t=s" in report.signatures[0].why
    without = await _verify(signed, _zone(rsa_key(2048).record))
    assert without.signatures[0].result == "pass"


@given(st.sampled_from([" :", ":", "  :", "\t:"]))
def test_obsolete_header_syntax_is_read_as_receivers_read_it(colon: str) -> None:
    from mailgw.delivery.message_text import header_values, normalise_message

    message = MESSAGE.replace(b"From:", b"From" + colon.encode())
    normalised = normalise_message(b"pasted junk\n\n" + message)
    assert normalised.startswith(b"From")
    assert b"alerts@example.test" in header_values(normalised, "From")[0]


async def test_a_signed_message_with_from_space_colon_verifies() -> None:
    message = MESSAGE.replace(b"From:", b"From :")
    signed = sign(message, rsa_key(2048), "example.test", "s")
    report = await _verify(b"Original message\n\n" + signed, _zone(rsa_key(2048).record))
    assert report.from_domain == "example.test"
    assert report.signatures[0].result == "pass", report.signatures[0].why


# RFC 8601 Appendix B, verbatim (B.1 is a message without the field)
RFC8601_B = {
    "B.2": (b"Authentication-Results: example.org 1; none\r\n", set()),
    "B.3": (
        b"Authentication-Results: example.com;\r\n          spf=pass smtp.mailfrom=example.net\r\n",
        {("example.com", "spf", "pass")},
    ),
    "B.4": (
        b"Authentication-Results: example.com;\r\n"
        b"          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
        b"          spf=pass smtp.mailfrom=example.net\r\n"
        b"Authentication-Results: example.com; iprev=pass\r\n"
        b"          policy.iprev=192.0.2.200\r\n",
        {("example.com", "auth", "pass"), ("example.com", "spf", "pass")}
        | {("example.com", "iprev", "pass")},
    ),
    "B.5": (
        b"Authentication-Results: example.com;\r\n"
        b"          dkim=pass (good signature) header.d=example.com\r\n"
        b"Authentication-Results: example.com;\r\n"
        b"          auth=pass (cram-md5) smtp.auth=sender@example.com;\r\n"
        b"          spf=fail smtp.mailfrom=example.com\r\n",
        {("example.com", "dkim", "pass"), ("example.com", "auth", "pass")}
        | {("example.com", "spf", "fail")},
    ),
    "B.6": (
        b"Authentication-Results: example.com;\r\n"
        b'    dkim=pass reason="good signature"\r\n'
        b"      header.i=@mail-router.example.net;\r\n"
        b'    dkim=fail reason="bad signature"\r\n'
        b"      header.i=@newyork.example.com\r\n"
        b"Authentication-Results: example.net;\r\n"
        b"    dkim=pass (good signature) header.i=@newyork.example.com\r\n",
        {("example.com", "dkim", "pass"), ("example.com", "dkim", "fail")}
        | {("example.net", "dkim", "pass")},
    ),
    "B.7": (
        b"Authentication-Results: foo.example.net (foobar) 1 (baz);\r\n"
        b"    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\r\n"
        b"      policy (A dot can go here) . (like that) expired\r\n"
        b"      (this surprised me) = (as I wasn't expecting it) 1362471462\r\n",
        {("foo.example.net", "dkim", "fail")},
    ),
}


@pytest.mark.parametrize(("header", "verdicts"), RFC8601_B.values(), ids=list(RFC8601_B))
async def test_rfc_8601_appendix_b_examples_parse(
    header: bytes, verdicts: set[tuple[str, str, str]]
) -> None:
    message = header + b"From: sender@example.net\r\nSubject: hi\r\n\r\nbody\r\n"
    report = await _verify(message, Zone())
    found = {(a.authserv_id, a.method, a.result) for a in report.authentication_results}
    assert found == verdicts and not report.problems


async def test_the_comment_heavy_example_keeps_its_property() -> None:
    message = RFC8601_B["B.7"][0] + b"From: sender@example.net\r\n\r\nbody\r\n"
    (result,) = (await _verify(message, Zone())).authentication_results
    assert result.properties == {"policy.expired": "1362471462"}
