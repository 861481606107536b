"""TLS contexts: the system store only where something is verified, built ahead in a thread."""

from __future__ import annotations

import ssl
import threading
from pathlib import Path

import pytest

from mailgw.delivery import tls
from mailgw.delivery.errors import ConfigInvalid


def _certificates(context: ssl.SSLContext) -> int:
    return context.cert_store_stats()["x509"]


def test_a_verifying_context_trusts_the_system_store_plus_the_ca_file(ca_file: str) -> None:
    system = _certificates(ssl.create_default_context())
    assert _certificates(tls.client_context(verify=True, ca_file=ca_file)) == system + 1


def test_a_context_that_verifies_nothing_loads_no_system_store(ca_file: str) -> None:
    context = tls.client_context(verify=False, ca_file=ca_file)
    assert context.verify_mode == ssl.CERT_NONE and not context.check_hostname
    assert _certificates(context) == 1  # the CA file only: a broken one is still said


def test_a_broken_ca_file_is_said_whatever_the_policy(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pem"
    broken.write_text("not a certificate\n")
    for verify in (True, False):
        with pytest.raises(ConfigInvalid, match="broken.pem"):
            tls.client_context(verify=verify, ca_file=str(broken))


async def test_a_prefetched_context_is_built_in_another_thread_and_used(
    ca_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tls, "_built", set())
    monkeypatch.setattr(tls, "_prefetched", {})
    builders: list[int] = []
    real = tls._context.__wrapped__

    def recording(*key: object) -> ssl.SSLContext:
        builders.append(threading.get_ident())
        return real(*key)

    monkeypatch.setattr(tls, "_context", recording)
    tls.prefetch_context(verify=True, ca_file=ca_file)
    tls.prefetch_context(verify=True, ca_file=ca_file)  # asked twice, built once
    context = await tls.client_context_off_loop(verify=True, ca_file=ca_file)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert len(builders) == 1 and builders[0] != threading.get_ident()


async def test_a_prefetched_broken_ca_file_fails_where_the_context_is_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tls, "_prefetched", {})
    broken = tmp_path / "broken.pem"
    broken.write_text("not a certificate\n")
    tls.prefetch_context(verify=True, ca_file=str(broken))
    with pytest.raises(ConfigInvalid, match="broken.pem"):
        await tls.client_context_off_loop(verify=True, ca_file=str(broken))
