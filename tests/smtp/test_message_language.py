"""The sample mails speak the console's language (or the one asked for): text, formats, headers."""

from __future__ import annotations

import datetime as dt
import email
import io
import zipfile
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest

from mailgw import cli
from mailgw.delivery.messages import build_message
from tests.smtp.conftest import RECIPIENT
from tests.support.smtpserver import smtp_server

NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)


def _received(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=default_policy)  # type: ignore[return-value]


def _text(message: EmailMessage, subtype: str) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == f"text/{subtype}")
    return part.get_content()


def test_an_accented_subject_goes_out_rfc2047_encoded(make_settings) -> None:
    settings = make_settings(25, "none")
    message = build_message(settings, "event", RECIPIENT, now=NOW, lang="pt_BR")
    raw = message.as_bytes()
    subject_line = next(line for line in raw.split(b"\n") if line.startswith(b"Subject:"))
    assert b"=?utf-8?" in subject_line and "ç".encode() not in subject_line
    back = _received(raw)
    assert back["Subject"] == "Violação de geocerca: Caminhão 12 saiu do Depósito Norte"
    assert back["Content-Language"] == "pt-BR"
    assert "Dispositivo: Caminhão 12" in _text(back, "plain")
    assert '<html lang="pt-BR">' in _text(back, "html")
    assert "Posição: 23,5505 S, 46,6333 O" in _text(back, "plain")


def test_money_and_dates_are_written_as_the_reader_writes_them(make_settings) -> None:
    settings = make_settings(25, "none")
    billing = build_message(settings, "billing", RECIPIENT, now=NOW, lang="pt_BR")
    assert "Saldo: R$\xa04,80" in _text(billing, "plain")
    english = build_message(settings, "billing", RECIPIENT, now=NOW, lang="en")
    assert "Balance: €4.80" in _text(english, "plain")
    report = build_message(settings, "report", RECIPIENT, now=NOW, lang="pt_BR")
    assert report["Subject"] == "Relatório programado: quilometragem diária de 01/12/2026"
    assert report["Content-Language"] == "pt-BR"
    names = [part.get_filename() for part in report.iter_attachments()]
    assert names == ["quilometragem-2026-12-01.pdf", "quilometragem-2026-12-01.xlsx"]
    pdf, xlsx = (part.get_content() for part in report.iter_attachments())
    assert "Distância".encode("latin-1") in pdf and b"184,2" in pdf
    sheet = zipfile.ZipFile(io.BytesIO(xlsx))
    assert any("Distância" in sheet.read(n).decode() for n in sheet.namelist())


def test_the_message_follows_the_language_mailgw_runs_in(make_settings, monkeypatch) -> None:
    settings = make_settings(25, "none")
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    assert build_message(settings, "test", RECIPIENT)["Subject"] == (
        "Mensagem de teste do gateway de e-mail"
    )
    assert build_message(settings, "test", RECIPIENT, lang="en")["Subject"] == (
        "Email gateway test message"
    )
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert build_message(settings, "test", RECIPIENT)["Content-Language"] == "en"


@pytest.mark.parametrize(("env", "option"), [("pt_BR.UTF-8", []), ("C.UTF-8", ["--lang", "pt_BR"])])
def test_test_send_delivers_portuguese(make_settings, tmp_path, monkeypatch, env, option) -> None:
    monkeypatch.setenv("LANG", env)
    with smtp_server("plain") as server:
        config = tmp_path / "c.toml"
        config.write_text(
            f'[smtp]\ngateway = "custom"\nhost = "127.0.0.1"\nport = {server.port}\n'
            'security = "none"\n[email]\nfrom_address = "alerts@example.com"\n',
            "utf-8",
        )
        with pytest.raises(SystemExit) as done:
            cli.run(["--config", str(config), "test-send", "--to", RECIPIENT, "--kind", "event",
                     *option])  # fmt: skip
    assert done.value.code == 0
    received = _received(server.recorder.messages[0])
    assert received["Subject"].startswith("Violação de geocerca")
    assert "Velocidade: 47 km/h" in _text(received, "plain")
