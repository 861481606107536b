"""DKIM verification at size: one limit, said before a file is read; a message parsed and its
body canonicalised once for all its signatures, with the verdicts dkimpy gives each alone."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from mailgw.cli import run
from mailgw.delivery import dkim as dkim_engine
from mailgw.delivery.dkim import MAX_MESSAGE_BYTES, MessageError, read_message, verify_message
from mailgw.delivery.resolver import ResolverConfig
from tests.dns.keys import MESSAGE, SigningKey, ed25519_key, rsa_key
from tests.support.dnsserver import Zone, serving

BODY = b"Vehicle  12 left  the geofence.  \r\n" * 50


def _over_the_limit(tmp_path: Path) -> Path:
    path = tmp_path / "big.eml"
    with path.open("wb") as handle:
        handle.truncate(MAX_MESSAGE_BYTES + 1)
    return path


class _Unreadable(io.FileIO):
    def read(self, size: int = -1) -> bytes:
        raise AssertionError("read although it is over the limit")


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    with _Unreadable(_over_the_limit(tmp_path)) as source, pytest.raises(MessageError) as info:
        read_message(source)
    assert str(info.value) == (
        f"the message is {MAX_MESSAGE_BYTES + 1} bytes; "
        f"mailgw verifies messages of at most {MAX_MESSAGE_BYTES}"
    )


def test_a_stream_without_a_size_is_read_up_to_one_byte_over() -> None:
    assert len(read_message(io.BytesIO(b"x" * (MAX_MESSAGE_BYTES + 5)))) == MAX_MESSAGE_BYTES + 1


def test_dkim_verify_says_the_limit_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(["dkim-verify", "--nameserver", "127.0.0.1:9", str(_over_the_limit(tmp_path))])
    _out, err = capsys.readouterr()
    assert exit_info.value.code == 2
    assert err == (
        f"mailgw: the message is {MAX_MESSAGE_BYTES + 1} bytes; "
        f"mailgw verifies messages of at most {MAX_MESSAGE_BYTES}\n"
    )


def _sign(message: bytes, key: SigningKey, selector: str, canon: bytes, length: bool) -> bytes:
    import dkim

    header_canon, body_canon = canon.split(b"/")
    signer = dkim.DKIM(message, signature_algorithm=key.algorithm)
    header = signer.sign(
        selector.encode(),
        b"example.test",
        key.private,
        canonicalize=(header_canon, body_canon),
        include_headers=[b"from", b"to", b"subject", b"date"],
        length=length,
    )
    return header + message


SIGNERS = [  # (selector, key, c=, l=)
    ("r1", rsa_key(2048), b"relaxed/relaxed", False),
    ("s1", rsa_key(2048), b"simple/simple", False),
    ("r2", ed25519_key(), b"relaxed/relaxed", False),
    ("l1", rsa_key(1024), b"relaxed/relaxed", True),
    ("m1", rsa_key(2048), b"simple/relaxed", False),
]


def _signed_by_all() -> bytes:
    message = MESSAGE.split(b"\r\n\r\n")[0] + b"\r\n\r\n" + BODY
    for selector, key, canon, length in SIGNERS:
        message = _sign(message, key, selector, canon, length)
    return message


def _zone() -> Zone:
    zone = Zone()
    for selector, key, _canon, _length in SIGNERS:
        zone.add_txt(f"{selector}._domainkey.example.test", key.record)
    return zone


def _dkimpy_alone(message: bytes, index: int) -> str:
    """Each signature verified by a fresh dkimpy, as before one parse was shared."""
    import dkim

    records = {f"{s}._domainkey.example.test.": k.record.encode() for s, k, _c, _l in SIGNERS}
    verifier = dkim.DKIM(message, minkey=1024)
    try:
        ok = verifier.verify(idx=index, dnsfunc=lambda name, timeout=5: records[name.decode()])
    except dkim.ValidationError:
        return "fail"
    return "pass" if ok else "fail"


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m,
        lambda m: m.replace(b"geofence.  \r\n", b"geofence. \r\n", 1),  # only relaxed survives
        lambda m: m + b"A footer a relay added.\r\n",  # only l= survives
        lambda m: m.replace(b"Subject: Vehicle 12", b"Subject:  Vehicle 12"),  # relaxed headers
    ],
    ids=["untouched", "spaces", "footer", "subject-spaces"],
)
async def test_every_signature_gets_the_verdict_dkimpy_gives_it_alone(change) -> None:  # noqa: ANN001
    message = change(_signed_by_all())
    with serving(_zone()) as server:
        config = ResolverConfig((server.nameserver,), timeout=5)
        report = await verify_message(message, resolver=config)
    expected = [_dkimpy_alone(message, index) for index in range(len(SIGNERS))]
    assert [s.result for s in report.signatures] == expected
    assert len(set(expected)) > 1 or change(b"x") == b"x"  # the changes split the verdicts


async def test_the_message_is_parsed_and_each_body_canonicalised_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dkim
    from dkim import canonicalization

    message = _signed_by_all()  # signing parses and canonicalises too: before counting
    calls: list[str] = []
    for algorithm in (canonicalization.Relaxed, canonicalization.Simple):
        real = algorithm.canonicalize_body

        def counting(body: bytes, real=real, name=algorithm.__name__) -> bytes:  # noqa: ANN001
            calls.append(name)
            return real(body)

        monkeypatch.setattr(algorithm, "canonicalize_body", staticmethod(counting))
    parses: list[int] = []
    real_parse = dkim.rfc822_parse
    monkeypatch.setattr(dkim, "rfc822_parse", lambda m: parses.append(1) or real_parse(m))
    with serving(_zone()) as server:
        config = ResolverConfig((server.nameserver,), timeout=5)
        report = await verify_message(message, resolver=config)
    assert [s.result for s in report.signatures] == ["pass"] * len(SIGNERS)
    assert len(parses) == 1
    assert sorted(calls) == ["Relaxed", "Simple"]  # five signatures, two body algorithms
    assert dkim_engine._SHARED_BODIES.get() is None  # nothing shared outside a verification
