"""The RSA key size is read from the DER without dkimpy, and agrees with dkimpy on every key."""

from __future__ import annotations

import base64
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from mailgw.delivery.dkim_keys import UnreadableKey, rsa_modulus
from tests.dns.keys import rsa_key

KEYS = [base64.b64decode(rsa_key(bits).public_b64) for bits in (1024, 2048)]


def _dkimpy_modulus(der: bytes) -> int | None:
    from dkim.crypto import UnparsableKeyError, parse_public_key

    try:
        return int(parse_public_key(der)["modulus"])
    except (UnparsableKeyError, AssertionError):  # AssertionError: a NULL with content
        return None


def _ours(der: bytes) -> int | None:
    try:
        return rsa_modulus(der)
    except UnreadableKey:
        return None


def test_published_keys_measure_as_generated() -> None:
    assert [rsa_modulus(der).bit_length() for der in KEYS] == [1024, 2048]


def test_a_bare_rsa_public_key_is_read_too() -> None:
    bare = KEYS[0][KEYS[0].index(b"\x03\x81\x8d\x00") + 4 :]  # the BIT STRING's content
    assert rsa_modulus(bare) == rsa_modulus(KEYS[0])


@settings(max_examples=300, deadline=None)
@given(
    key=st.sampled_from(KEYS),
    cut=st.integers(0, 300),
    flips=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 255)), max_size=3),
)
def test_cut_or_damaged_keys_are_judged_as_dkimpy_judges_them(
    key: bytes, cut: int, flips: list[tuple[int, int]]
) -> None:
    damaged = bytearray(key[: len(key) - cut])
    for at, value in flips:
        if at < len(damaged):
            damaged[at] = value
    assert _ours(bytes(damaged)) == _dkimpy_modulus(bytes(damaged))


@given(st.binary(max_size=64))
def test_random_bytes_are_judged_as_dkimpy_judges_them(data: bytes) -> None:
    assert _ours(data) == _dkimpy_modulus(data)


def test_measuring_a_key_imports_neither_dkimpy_nor_pynacl() -> None:
    record = rsa_key(2048).record
    code = (
        "import sys\n"
        "from mailgw.delivery.dkim_keys import parse_key\n"
        f"assert parse_key({record!r}).bits == 2048\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dkim', 'nacl')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
