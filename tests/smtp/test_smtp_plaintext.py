"""A plain-text login is sent only where it cannot leave this machine, judged by the address."""

from __future__ import annotations

from mailgw.config.model import Security
from mailgw.delivery.hosts import dns_resolver, threaded_resolver
from mailgw.delivery.smtp import probe_target
from mailgw.delivery.target import Target
from tests.smtp.conftest import SENTINEL_PASSWORD, SENTINEL_USER, assert_no_secret
from tests.support.dnsserver import Zone, serving
from tests.support.smtpserver import SERVER_NAME, Behaviour, smtp_server

LOGIN = Behaviour(username=SENTINEL_USER, password=SENTINEL_PASSWORD)


def _plain_login_target(host: str, port: int) -> Target:
    """Built directly, as the engine sees it: no validate() in front of the runtime guard."""
    return Target(
        host=host,
        port=port,
        security=Security.NONE,
        timeout=10.0,
        helo_name="client.example.test",
        auth=True,
        username=SENTINEL_USER,
        password=SENTINEL_PASSWORD,
    )


async def test_localhost_resolving_elsewhere_gets_no_plain_text_login() -> None:
    # "localhost" by name, but the address dialled (0.0.0.0) is not a loopback address; Linux
    # delivers it to the server on 127.0.0.1, so the test stays on this machine.
    with smtp_server("plain", behaviour=LOGIN) as server:
        resolver = threaded_resolver(lambda host: ["0.0.0.0"])
        result = await probe_target(
            _plain_login_target("localhost", server.port), resolver=resolver
        )
    assert (result.category, result.stage) == ("config_invalid", "auth")
    assert "unencrypted" in result.message
    assert "EHLO" in server.recorder.commands and "AUTH" not in server.recorder.commands
    assert_no_secret(result.as_dict())


async def test_a_name_resolving_to_loopback_may_log_in_in_plain_text() -> None:
    zone = Zone().add(SERVER_NAME, "A", "127.0.0.1")
    with serving(zone) as dns_server, smtp_server("plain", behaviour=LOGIN) as server:
        resolver = dns_resolver(dns_server.host, dns_server.port, lifetime=2.0)
        result = await probe_target(
            _plain_login_target(SERVER_NAME, server.port), resolver=resolver
        )
    assert result.ok, result.as_dict()
    assert server.recorder.logins == ["PLAIN"]
