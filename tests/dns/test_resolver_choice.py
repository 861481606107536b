"""One way to choose the resolver, commands and TUI alike: --nameserver, else
$MAILGW_NAMESERVERS, else dns.nameservers, else the system's; and one DMARC name per domain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailgw.cli import run
from mailgw.config.model import Settings
from mailgw.config.validate import Severity, validate
from mailgw.delivery.resolver import DnsConfigError, choose_nameservers
from mailgw.delivery.sender import sender_setup
from mailgw.tui.dns_config import resolver_config
from tests.dns.keys import MESSAGE, rsa_key, sign
from tests.dns.zones import DOMAIN, good_zone
from tests.support.dnsserver import serving

SERVERS = st.lists(st.sampled_from(["127.0.0.1", "127.0.0.2:5353", "[::1]:53", "::1"]), max_size=3)


@given(SERVERS, SERVERS, SERVERS)
def test_the_flag_wins_then_the_environment_then_the_config(
    flags: list[str], env: list[str], configured: list[str]
) -> None:
    chosen = choose_nameservers(flags, configured, {"MAILGW_NAMESERVERS": ", ".join(env)})
    assert chosen == tuple(flags or env or configured)


@pytest.mark.parametrize(
    ("flags", "env", "configured", "source"),
    [
        (["nope"], "", [], "--nameserver"),
        ([], "127.0.0.1 nope", [], "$MAILGW_NAMESERVERS"),
        ([], "", ["nope"], "dns.nameservers"),
    ],
)
def test_a_malformed_server_names_where_it_came_from(
    flags: list[str], env: str, configured: list[str], source: str
) -> None:
    with pytest.raises(DnsConfigError, match="nope") as raised:
        choose_nameservers(flags, configured, {"MAILGW_NAMESERVERS": env})
    assert str(raised.value).startswith(source)


def test_a_malformed_dns_nameservers_entry_is_a_config_error() -> None:
    settings = Settings()
    settings.dns.nameservers = ["10.0.0.53", "resolver.lan"]
    problems = [(p.key, p.severity) for p in validate(settings)]
    assert problems == [("dns.nameservers", Severity.ERROR)]


def test_the_tui_reads_dns_nameservers_unless_the_environment_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MAILGW_NAMESERVERS", raising=False)
    assert resolver_config(["10.0.0.53"]).nameservers == ("10.0.0.53",)
    monkeypatch.setenv("MAILGW_NAMESERVERS", "10.0.0.54")
    assert resolver_config(["10.0.0.53"]).nameservers == ("10.0.0.54",)


def _mailgw(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        run(list(argv))
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


@pytest.mark.parametrize("command", ["dns", "spf", "dkim-verify"])
def test_every_dns_command_asks_the_configured_resolver(
    command: str,
    config_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MAILGW_NAMESERVERS", raising=False)
    message = tmp_path / "m.eml"
    message.write_bytes(sign(MESSAGE, rsa_key(1024), DOMAIN, "mte1"))
    extra = {
        "dns": ["--no-authoritative", "--json"],
        "spf": ["--ip", "198.2.128.1", "--sender", f"alerts@{DOMAIN}"],
        "dkim-verify": [str(message)],
    }[command]
    with serving(good_zone()) as server:
        config_path.write_text(
            f'[email]\nfrom_address = "alerts@{DOMAIN}"\n[sender_domain]\nverification_key = "K1"\n'
            f'[dns]\nnameservers = ["{server.nameserver}"]\n',
            encoding="utf-8",
        )
        _mailgw(capsys, "--config", str(config_path), command, *extra)
        asked = len(server.queries)
    assert asked > 0  # the loopback server, not the machine's resolver, was asked


def test_dns_domain_and_sender_domain_check_dmarc_at_the_same_name() -> None:
    settings = Settings()
    settings.email.from_address = "alerts@unrelated.example"
    by_flag = sender_setup(settings, DOMAIN)
    settings.sender_domain.domain = DOMAIN
    by_config = sender_setup(settings)
    assert by_flag.from_domain == by_config.from_domain == DOMAIN


def test_the_dns_json_of_both_ways_names_the_same_dmarc_record(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = '[email]\nfrom_address = "alerts@unrelated.example"\n'
    found = []
    with serving(good_zone()) as server:
        for text, flags in (
            (base, ["--domain", DOMAIN]),
            (base + f'[sender_domain]\ndomain = "{DOMAIN}"\n', []),
        ):
            config_path.write_text(text, encoding="utf-8")
            args = ["--config", str(config_path), "dns", "--nameserver", server.nameserver]
            _code, out, _err = _mailgw(capsys, *args, "--no-authoritative", "--json", *flags)
            dmarc = next(f for f in json.loads(out)["findings"] if f["check"] == "dmarc")
            found.append((dmarc["status"], dmarc["found"]))
    assert found[0] == found[1] and found[0][0] != "missing"
