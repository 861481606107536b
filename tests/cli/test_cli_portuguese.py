"""LANG=pt_BR.UTF-8 shows Brazilian Portuguese; JSON keys, statuses and exit codes stay the same.

Any other language (pt_PT, de_DE, C) shows English.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailgw.cli import run
from tests.cli.mailgw_runner import MAILGW
from tests.support.ports import free_port

SENDER = '[email]\nfrom_address = "alerts@example.test"\n'
BAD = '[smtp]\ngateway = "custom"\nhost = ""\nport = 70000\n\n[email]\nfrom_address = "x"\n'


@pytest.fixture
def portuguese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")


def _mailgw(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        run(list(argv))
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def _config(config_path: Path, text: str) -> str:
    config_path.write_text(text, encoding="utf-8")
    return str(config_path)


@pytest.fixture
def silent_dns() -> Iterator[str]:
    """A loopback UDP port that takes DNS questions and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{sock.getsockname()[1]}"


def test_check_in_portuguese_keeps_json_keys(portuguese, config_path, capsys) -> None:
    path = _config(config_path, BAD)
    code, out, _ = _mailgw(capsys, "--config", path, "check")
    assert code == 1
    assert "um servidor SMTP personalizado precisa de um nome de host" in out
    assert "70000 está fora do intervalo; use de 1 a 65535" in out
    assert out.startswith("erro: smtp.")  # for people; scripts read --json
    assert "\nerro: smtp.host: um servidor SMTP" in out and "error:" not in out
    code, out, _ = _mailgw(capsys, "--config", path, "check", "--json")
    problems = json.loads(out)["problems"]
    assert code == 1 and set(problems[0]) == {"key", "severity", "message"}
    assert {p["key"] for p in problems} >= {"smtp.host", "smtp.port", "email.from_address"}
    assert any("fora do intervalo" in p["message"] for p in problems)


def test_show_in_portuguese(portuguese, config_path, capsys) -> None:
    code, out, _ = _mailgw(capsys, "--config", str(config_path), "show")
    assert code == 0
    assert "(o arquivo ainda não existe: valores padrão)" in out
    assert 'smtp.gateway = "platform"' in out  # keys and values stay as they are


def test_records_offline_in_portuguese(portuguese, config_path, capsys) -> None:
    path = _config(config_path, SENDER)
    code, out, err = _mailgw(capsys, "--config", path, "records", "--offline")
    assert code == 1  # the verification key is a placeholder
    assert "; DMARC: diz aos destinatários o que fazer" in out
    assert "nota: offline: os registros SPF e DMARC atuais não foram consultados" in err
    assert "_dmarc.example.test" in out and "v=DMARC1; p=none;" in out
    _, out, _ = _mailgw(capsys, "--config", path, "records", "--offline", "--json")
    records = json.loads(out)
    assert {"name", "type", "value", "purpose"} <= set(records[0])
    assert any(r["purpose"].startswith("DMARC: diz aos") for r in records)


def test_a_refused_test_send_in_portuguese(portuguese, config_path, capsys) -> None:
    port = free_port()
    smtp = f'[smtp]\ngateway = "custom"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
    path = _config(config_path, smtp + '[email]\nfrom_address = "alerts@example.com"\n')
    args = ["--config", path, "test-send", "--to", "ops@example.com"]
    code, out, _ = _mailgw(capsys, *args)
    assert code == 1
    assert "✓ resolução do host" in out and "✗ conexão" in out  # stage names, not ids
    assert "falha na etapa conexão [connect_refused]: não foi possível conectar a 127.0.0.1" in out
    assert "correção: verifique smtp.host e smtp.port (portas usuais" in out
    code, out, _ = _mailgw(capsys, *args, "--transcript")
    assert "127.0.0.1 resolve para 127.0.0.1" in out and f"127.0.0.1, porta {port}: " in out
    code, out, _ = _mailgw(capsys, *args, "--json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False and data["category"] == "connect_refused"
    assert data["message"].startswith("não foi possível conectar a 127.0.0.1")


def test_dns_against_a_silent_server_in_portuguese(portuguese, config_path, silent_dns, capsys):
    path = _config(config_path, SENDER)
    args = ["--config", path, "dns", "--nameserver", silent_dns, "--timeout", "0.3"]
    code, out, _ = _mailgw(capsys, *args, "--no-authoritative")
    assert code == 1
    assert "não foi possível ler example.test TXT" in out
    assert "correção: Verifique se os servidores de nomes respondem" in out
    code, out, _ = _mailgw(capsys, *args, "--no-authoritative", "--json")
    findings = json.loads(out)["findings"]
    assert {f["check"] for f in findings} >= {"verification", "spf", "dmarc", "mx"}
    assert {f["status"] for f in findings} == {"error"}
    assert all(set(f) >= {"check", "status", "title", "fix"} for f in findings)


@pytest.mark.parametrize("lang", ["pt_PT.UTF-8", "de_DE.UTF-8", "C", "en_US.UTF-8"])
def test_any_other_language_is_english(monkeypatch, config_path, capsys, lang: str) -> None:
    monkeypatch.setenv("LANG", lang)
    code, out, _ = _mailgw(capsys, "--config", _config(config_path, BAD), "check")
    assert code == 1 and "a custom SMTP server needs a host name" in out


def test_installed_command_help_in_portuguese(config_path: Path) -> None:
    if not MAILGW.exists():
        pytest.skip(f"the mailgw command is not installed beside {MAILGW.parent}")

    def help_text(lang: str) -> str:
        env = {**os.environ, "LANG": lang, "MAILGW_CONFIG": str(config_path)}
        result = subprocess.run(
            [str(MAILGW), "check", "--help"], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "Valida a configuração; sai com 1 se houver erros." in help_text("pt_BR.UTF-8")
    assert "Imprime JSON para scripts." in help_text("pt_BR.UTF-8")
    assert "Validate the config; exit 1 if it has errors." in help_text("de_DE.UTF-8")


@pytest.mark.parametrize("ports", ["abc", "25:tls", "99999"])
def test_a_bad_ports_list_is_a_portuguese_error_not_a_crash(portuguese, capsys, ports) -> None:
    """`_` once was a throwaway in parse_ports, and every bad value crashed there."""
    code, out, err = _mailgw(capsys, "detect", "127.0.0.1", "--ports", ports)
    assert code == 2 and err.startswith("mailgw: --ports: ")
    assert "erro inesperado" not in err and ("PORTA" in err or "deve ser" in err)


def test_clicks_own_frame_is_portuguese(portuguese, capsys) -> None:
    code, out, _err = _mailgw(capsys, "test-send", "--help")
    assert code == 0 and out.startswith("Uso: mailgw test-send [OPÇÕES]")
    assert "\nOpções:\n" in out and "Mostra esta mensagem e sai." in out
    assert "[obrigatório]" in out and "[padrão: test]" in out
    code, _out, err = _mailgw(capsys, "test-send")
    assert code == 2 and "Falta a opção '--to'." in err
    code, _out, err = _mailgw(capsys, "test-send", "--to", "a@b.example", "--kind", "x")
    assert code == 2 and "Valor inválido em '--kind': 'x' não é um destes:" in err
