"""The public suffix list (~100 ms to load) is read in a thread, never on the event loop."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterator

import pytest

from mailgw.delivery import dmarc
from mailgw.delivery.dkim import verify_message
from mailgw.delivery.domain import check_domain
from mailgw.delivery.records import propose_records
from mailgw.delivery.resolver import ResolverConfig
from tests.dns.keys import MESSAGE, rsa_key, sign
from tests.dns.zones import good_zone, settings
from tests.support.dnsserver import serving

Entry = Callable[[ResolverConfig], Awaitable[object]]
ENTRIES: dict[str, Entry] = {
    "check_domain": lambda config: check_domain(settings(), resolver_config=config),
    "propose_records": lambda config: propose_records(settings(), resolver_config=config),
    "verify_message": lambda config: verify_message(
        sign(MESSAGE, rsa_key(2048), "example.test", "mte1"), resolver=config
    ),
}


@pytest.fixture
def loading_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The threads that construct a PublicSuffixList from now on (the cache starts empty)."""
    import publicsuffixlist

    threads: list[int] = []

    class Recording(publicsuffixlist.PublicSuffixList):  # type: ignore[misc]
        def __init__(self, *args: object, **kwargs: object) -> None:
            threads.append(threading.get_ident())
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(publicsuffixlist, "PublicSuffixList", Recording)
    dmarc._suffix_list.cache_clear()
    yield threads
    dmarc._suffix_list.cache_clear()


@pytest.mark.parametrize("entry", list(ENTRIES))
async def test_async_entry_points_load_the_suffix_list_off_the_loop(
    entry: str, loading_threads: list[int]
) -> None:
    with serving(good_zone()) as server:
        config = ResolverConfig((server.nameserver,), timeout=0.5, check_authoritative=False)
        await ENTRIES[entry](config)
    assert len(loading_threads) == 1
    assert loading_threads[0] != threading.get_ident()  # not the thread running this loop


def test_the_sync_api_still_loads_it_on_first_use(loading_threads: list[int]) -> None:
    assert dmarc.organizational_domain("mail.example.co.uk") == "example.co.uk"
    assert loading_threads == [threading.get_ident()]
