"""records, dns, spf, dkim-verify from the command line: output, JSON and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mailgw.cli import run
from tests.dns.keys import MESSAGE, rsa_key, sign
from tests.dns.zones import DOMAIN, good_zone, set_txt
from tests.support.dnsserver import LoopbackDNSServer, Zone, serving

CONFIG = (
    '[email]\nfrom_address = "alerts@example.test"\n\n[sender_domain]\nverification_key = "K1"\n'
)


@pytest.fixture
def config(config_path: Path) -> Path:
    config_path.write_text(CONFIG, encoding="utf-8")
    return config_path


def _mailgw(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        run(list(argv))
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def _dns_args(config: Path, server: LoopbackDNSServer) -> list[str]:
    return [
        "--config",
        str(config),
        "dns",
        "--nameserver",
        server.nameserver,
        "--authoritative-port",
        str(server.port),
        "--timeout",
        "0.5",
    ]


def test_dns_on_a_correct_domain_exits_0(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with serving(good_zone()) as server:
        code, out, _ = _mailgw(capsys, *_dns_args(config, server))
    assert code == 0 and "✓ spf" in out and "✗" not in out


def test_dns_json_and_exit_1_on_problems(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zone = good_zone()
    zone.remove(f"mte1._domainkey.{DOMAIN}", "CNAME")
    with serving(zone) as server:
        code, out, _ = _mailgw(capsys, *_dns_args(config, server), "--json")
    data = json.loads(out)
    assert code == 1 and data["domain"] == DOMAIN
    statuses = {f["check"]: f["status"] for f in data["findings"]}
    assert statuses == {
        "verification": "ok",
        "spf": "ok",
        "dkim:mte1": "missing",
        "dkim:mte2": "ok",
        "dmarc": "warning",
        "mx": "ok",
    }


def test_dns_watch_stops_once_everything_is_ok(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serving(good_zone()) as server:
        code, out, _ = _mailgw(capsys, *_dns_args(config, server), "--watch", "1", "--json")
    assert code == 0 and len(out.strip().splitlines()) == 1  # one JSON line: ok at once


def test_dns_with_a_bad_nameserver_cannot_run(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _mailgw(capsys, "--config", str(config), "dns", "--nameserver", "dns.example")
    assert code == 2 and err.startswith("mailgw: --nameserver") and "Traceback" not in err


def test_dns_without_a_sender_domain_cannot_run(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _mailgw(
        capsys, "--config", str(config_path), "dns", "--nameserver", "127.0.0.1:9"
    )
    assert code == 2 and "default address" in err


def test_records_zone_lines_table_and_json(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    zone = good_zone()
    set_txt(zone, DOMAIN, "v=spf1 mx -all")
    with serving(zone) as server:
        base = ["--config", str(config), "records", "--nameserver", server.nameserver]
        code, out, _ = _mailgw(capsys, *base)
        assert code == 0
        assert f'{DOMAIN}. 3600 IN TXT "v=spf1 mx include:spf.mandrillapp.com -all"' in out
        code, out, _ = _mailgw(capsys, *base, "--table")
        assert out.splitlines()[0].split() == ["NAME", "TYPE", "VALUE", "PURPOSE"]
        code, out, _ = _mailgw(capsys, *base, "--json")
    rows = json.loads(out)
    assert all(set(row) == {"name", "type", "value", "purpose"} for row in rows)
    assert rows[2] == {
        "name": f"mte1._domainkey.{DOMAIN}",
        "type": "CNAME",
        "value": "dkim1.mandrillapp.com",
        "purpose": rows[2]["purpose"],
    }


def test_records_offline_says_so(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _mailgw(capsys, "--config", str(config), "records", "--offline")
    assert code == 0 and "offline" in err and "include:spf.mandrillapp.com ~all" in out


def test_records_over_the_lookup_limit_exits_1(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    zone = good_zone()
    set_txt(zone, DOMAIN, "v=spf1 " + " ".join(f"a:h{n}.example.test" for n in range(10)) + " -all")
    with serving(zone) as server:
        code, _, err = _mailgw(
            capsys, "--config", str(config), "records", "--nameserver", server.nameserver
        )
    assert code == 1 and "11 DNS lookups" in err


def test_spf_json_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    zone = Zone().add_txt(DOMAIN, "v=spf1 ip4:192.0.2.0/24 -all")
    zone.silent_names.add("slow.example.test.")
    with serving(zone) as server:
        args = ["spf", "--nameserver", server.nameserver, "--timeout", "0.3", "--json"]
        code, out, _ = _mailgw(capsys, *args, "--ip", "192.0.2.7", "--sender", f"a@{DOMAIN}")
        assert code == 0
        assert json.loads(out) == {
            "result": "pass",
            "explanation": f"matched ip4:192.0.2.0/24 in {DOMAIN}",
            "lookups": 0,
            "void_lookups": 0,
        }
        code, out, _ = _mailgw(capsys, *args, "--ip", "198.51.100.1", "--sender", f"a@{DOMAIN}")
        assert code == 1 and json.loads(out)["result"] == "fail"
        code, out, _ = _mailgw(
            capsys, *args, "--ip", "192.0.2.7", "--sender", "a@slow.example.test"
        )
        assert code == 2 and json.loads(out)["result"] == "temperror"
    code, _, err = _mailgw(
        capsys, "spf", "--ip", "not-an-ip", "--sender", "a@b.test", "--nameserver", "127.0.0.1:9"
    )
    assert code == 2 and "not an IPv4 or IPv6 address" in err


def test_dkim_verify_file_and_stdin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zone = Zone().add_txt("mte1._domainkey.example.test", rsa_key(2048).record)
    signed = tmp_path / "signed.eml"
    signed.write_bytes(sign(MESSAGE, rsa_key(2048), "example.test", "mte1"))
    tampered = tmp_path / "tampered.eml"
    tampered.write_bytes(signed.read_bytes().replace(b"00:00.", b"01:00."))
    with serving(zone) as server:
        args = ["dkim-verify", "--nameserver", server.nameserver, "--timeout", "0.5"]
        code, out, _ = _mailgw(capsys, *args, str(signed), "--json")
        data = json.loads(out)
        assert code == 0 and data["ok"] is True and data["signatures"][0]["result"] == "pass"
        assert data["authentication_results"] == []
        code, out, _ = _mailgw(capsys, *args, str(tampered))
        assert code == 1 and "fail" in out
        done = subprocess.run(
            [sys.executable, "-m", "mailgw", *args, "-"],
            input=signed.read_bytes().replace(b"\r\n", b"\n"),
            capture_output=True,
            timeout=30,
        )
    assert done.returncode == 0 and b"pass" in done.stdout


def test_dkim_verify_unreadable_input_cannot_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _mailgw(capsys, "dkim-verify", str(tmp_path / "absent.eml"))
    assert code == 2 and "Traceback" not in err
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\nworld\n")
    code, _, err = _mailgw(capsys, "dkim-verify", "--nameserver", "127.0.0.1:9", str(junk))
    assert code == 2 and "no mail headers" in err


def test_commands_do_not_import_dns_libraries_at_startup() -> None:
    heavy = "{'dns', 'dkim', 'authres', 'publicsuffixlist'}"
    code = (
        "import sys\nfrom mailgw import cli\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {heavy}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_domain_engines_import_dnspython_only_when_a_resolver_is_made() -> None:
    code = (
        "import sys\n"
        "import mailgw.delivery.domain, mailgw.delivery.resolver as r\n"
        "before = 'dns' in sys.modules\n"
        "r.make_resolver(r.ResolverConfig(('127.0.0.1',)))\n"
        "print(before, 'dns' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False True"


def test_dns_watch_rechecks_until_the_record_appears(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    zone = good_zone()
    zone.remove(f"mte1._domainkey.{DOMAIN}", "CNAME")
    publish = threading.Timer(
        0.3, lambda: zone.add(f"mte1._domainkey.{DOMAIN}", "CNAME", "dkim1.mandrillapp.com.")
    )
    with serving(zone) as server:
        publish.start()
        code, out, err = _mailgw(capsys, *_dns_args(config, server), "--watch", "1", "--json")
    rounds = [json.loads(line) for line in out.strip().splitlines()]
    assert code == 0 and len(rounds) >= 2 and "re-checking in 1 s" in err
    first = {f["check"]: f["status"] for f in rounds[0]["findings"]}
    assert first["dkim:mte1"] == "missing"


@pytest.mark.parametrize("name", ["spf", "dmarc"])
def test_duplicate_records_give_one_proposal_whatever_the_answer_order_and_exit_1(
    name: str, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    owner, first, second = {
        "spf": (DOMAIN, "v=spf1 include:spf.protection.outlook.com -all", "v=spf1 mx ~all"),
        "dmarc": (f"_dmarc.{DOMAIN}", "v=DMARC1; p=reject;", "v=DMARC1; p=none; rua=mailto:a@x"),
    }[name]
    outputs = []
    for values in ((first, second), (second, first)):
        zone = good_zone()
        extra = ("mandrill_verify.K1",) if name == "spf" else ()
        set_txt(zone, owner, *extra, *values)
        with serving(zone) as server:
            for command in ("records", "dns"):
                args = ["--config", str(config), command, "--nameserver", server.nameserver]
                if command == "dns":
                    args.append("--no-authoritative")
                code, out, err = _mailgw(capsys, *args)
                assert code == 1, (command, out, err)
                outputs.append(out)
    assert outputs[0] == outputs[2] and outputs[1] == outputs[3]
    if name == "dmarc":
        assert 'p=reject; rua=mailto:a@x;"' in outputs[0]
    else:
        assert (
            "include:spf.protection.outlook.com mx include:spf.mandrillapp.com -all" in outputs[0]
        )
