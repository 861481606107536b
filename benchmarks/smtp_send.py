"""Time a mailgw test send against a bare aiosmtplib send of the same message, same run.

Run by hand: .venv/bin/python benchmarks/smtp_send.py [SENDS] (the two paths alternate)
Loopback only: an aiosmtpd server on 127.0.0.1 started here (plain, STARTTLS with a trustme
certificate, and STARTTLS with AUTH PLAIN required). Prints the median per send of each path, the
ratio, and the SMTP commands the server saw per send (each command is one round trip; DATA is
two: the command and the content).
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.support

import aiosmtplib  # noqa: E402
import trustme  # noqa: E402

from mailgw.config.model import Gateway, Security, Settings  # noqa: E402
from mailgw.delivery.messages import build_message  # noqa: E402
from mailgw.delivery.smtp import send  # noqa: E402
from mailgw.delivery.tls import client_context  # noqa: E402
from tests.support.smtpserver import Behaviour, smtp_server  # noqa: E402

RECIPIENT = "ops@example.net"
USER, PASSWORD = "fleet@example.com", "bench-password"


def _settings(port: int, security: str, password_file: str = "") -> Settings:
    settings = Settings()
    settings.smtp.gateway = Gateway.CUSTOM
    settings.smtp.host, settings.smtp.port = "127.0.0.1", port
    settings.smtp.security = Security(security)
    settings.smtp.helo_name = "bench.example.test"
    settings.email.from_address = "alerts@example.com"
    settings.email.signature = "The fleet team"
    if password_file:
        settings.smtp.auth.enabled = True
        settings.smtp.auth.username = USER
        settings.smtp.auth.password_file = password_file
    return settings


async def _time(make_send, sends: int) -> list[float]:
    timings = []
    for _ in range(sends):
        started = time.perf_counter()
        await make_send()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def _compare(
    mode: str, port: int, ca_file: str | None, sends: int, seen: list[str], password_file: str = ""
) -> None:
    settings = _settings(port, mode, password_file)
    message = build_message(settings, "report", RECIPIENT)
    context = client_context(verify=True, ca_file=ca_file) if mode == "starttls" else None
    login = {"username": USER, "password": PASSWORD} if password_file else {}

    async def ours() -> None:
        result = await send(settings, message, ca_file=ca_file)
        assert result.ok, result.as_dict()

    async def bare() -> None:
        await aiosmtplib.send(
            message,
            hostname="127.0.0.1",
            port=port,
            start_tls=mode == "starttls",
            tls_context=context,
            local_hostname="bench.example.test",
            **login,
        )

    await _time(ours, 5)  # warm-up: imports, TLS session setup paths
    await _time(bare, 5)
    counts = {"mailgw": 0, "aiosmtplib": 0}
    samples: dict[str, list[float]] = {"mailgw": [], "aiosmtplib": []}
    for _ in range(sends):  # alternating, so a machine that slows down slows both alike
        for name, run in (("mailgw", ours), ("aiosmtplib", bare)):
            before = len(seen)
            samples[name] += await _time(run, 1)
            counts[name] = len(seen) - before
    timings = {name: statistics.median(values) for name, values in samples.items()}
    ratio = timings["mailgw"] / timings["aiosmtplib"]
    name = f"{mode} + AUTH" if password_file else mode
    print(
        f"{name:<16} mailgw {timings['mailgw']:6.2f} ms  aiosmtplib {timings['aiosmtplib']:6.2f} ms"
        f"  ratio {ratio:4.2f}  commands/send mailgw {counts['mailgw']:.0f}"
        f" aiosmtplib {counts['aiosmtplib']:.0f}"
    )


def main() -> None:
    logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd's own deprecation notes
    sends = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    with tempfile.TemporaryDirectory() as folder:
        ca_file = str(Path(folder) / "ca.pem")
        ca.cert_pem.write_to_path(ca_file)
        print(f"{sends} sends of a report message (PDF + XLSX attached) to 127.0.0.1, median:")
        with smtp_server("plain") as server:
            asyncio.run(_compare("none", server.port, None, sends, server.recorder.commands))
        with smtp_server("starttls", cert=cert) as server:
            asyncio.run(_compare("starttls", server.port, ca_file, sends, server.recorder.commands))
        password_file = Path(folder) / "password"
        password_file.write_text(PASSWORD + "\n")
        password_file.chmod(0o600)
        login = Behaviour(username=USER, password=PASSWORD)
        with smtp_server("starttls", cert=cert, behaviour=login, auth_required=True) as server:
            commands = server.recorder.commands
            asyncio.run(
                _compare("starttls", server.port, ca_file, sends, commands, str(password_file))
            )


if __name__ == "__main__":
    main()
