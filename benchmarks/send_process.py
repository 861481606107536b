"""`mailgw test-send` as a whole process next to a minimal aiosmtplib script, same server.

    .venv/bin/python benchmarks/send_process.py [RUNS]

An aiosmtpd server on 127.0.0.1 started here, in two modes: plain (no TLS, no login) and
STARTTLS with AUTH (a trustme certificate, its CA in $MAILGW_CA_FILE for mailgw and as the
only CA of the minimal script). Both send one small text message; they alternate, and the
medians of RUNS runs (default 21) and their ratio are printed, with the SMTP commands the
server saw per send (each is a round trip; DATA is two: the command and the content).
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.support

import trustme  # noqa: E402

from tests.support.smtpserver import SERVER_NAME, Behaviour, smtp_server  # noqa: E402

MAILGW = Path(sys.executable).with_name("mailgw")
USER, PASSWORD = "fleet@example.com", "bench-password"
RECIPIENT = "ops@example.net"

MINIMAL = """\
import asyncio, ssl, sys
from email.message import EmailMessage
import aiosmtplib

port, ca_file, login = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "login"
message = EmailMessage()
message["From"] = "Fleet Alerts <alerts@example.com>"
message["To"] = "ops@example.net"
message["Subject"] = "mailgw test"
message.set_content("A test message.")
context = ssl.create_default_context(cafile=ca_file) if ca_file else None
asyncio.run(aiosmtplib.send(
    message, hostname="127.0.0.1", port=port, start_tls=bool(ca_file), tls_context=context,
    username="fleet@example.com" if login else None, password="bench-password" if login else None,
    local_hostname="bench.example.test",
))
"""


def _config(port: int, secure: bool) -> str:
    lines = [
        "[smtp]",
        'gateway = "custom"',
        'host = "127.0.0.1"',
        f"port = {port}",
        f'security = "{"starttls" if secure else "none"}"',
        'helo_name = "bench.example.test"',
        "[email]",
        'from_address = "alerts@example.com"',
        'from_name = "Fleet Alerts"',
    ]
    if secure:
        lines[7:7] = ["[smtp.auth]", "enabled = true", f'username = "{USER}"']
        lines[10:10] = [f'password = "{PASSWORD}"']
    return "\n".join(lines) + "\n"


def _run(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{command[:3]} failed ({done.returncode}): {done.stderr or done.stdout}")
    return elapsed


def _compare(name: str, secure: bool, folder: Path, ca_file: str, runs: int, cert) -> None:  # noqa: ANN001
    behaviour = Behaviour(username=USER, password=PASSWORD) if secure else None
    mode = "starttls" if secure else "plain"
    with smtp_server(mode, cert=cert, behaviour=behaviour, auth_required=secure) as server:
        config = folder / f"{mode}.toml"
        config.write_text(_config(server.port, secure))
        config.chmod(0o600)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env |= {"MAILGW_CONFIG": str(config), "LANG": "C.UTF-8"}
        env |= {"MAILGW_CA_FILE": ca_file} if secure else {}
        env.pop("MAILGW_CA_FILE", None) if not secure else None
        mailgw = [str(MAILGW), "test-send", "--to", RECIPIENT]
        minimal = [sys.executable, str(folder / "minimal.py"), str(server.port)]
        minimal += [ca_file if secure else "", "login" if secure else "-"]
        times: dict[str, list[float]] = {"mailgw": [], "minimal": []}
        commands: dict[str, int] = {}
        _run(mailgw, env), _run(minimal, env)  # warm-up: byte code written, caches filled
        for _ in range(runs):
            for who, command in (("mailgw", mailgw), ("minimal", minimal)):
                before = len(server.recorder.commands)
                times[who].append(_run(command, env))
                commands[who] = len(server.recorder.commands) - before
    ours, bare = statistics.median(times["mailgw"]), statistics.median(times["minimal"])
    print(
        f"{name:<16} mailgw {ours * 1000:5.0f} ms  minimal {bare * 1000:5.0f} ms"
        f"  ratio {ours / bare:4.2f}  commands/send mailgw {commands['mailgw']}"
        f" minimal {commands['minimal']}"
    )


def main() -> None:
    logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd's own deprecation notes
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 21
    ca = trustme.CA()
    cert = ca.issue_cert(SERVER_NAME, "127.0.0.1")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        ca_file = str(folder / "ca.pem")
        ca.cert_pem.write_to_path(ca_file)
        (folder / "minimal.py").write_text(MINIMAL)
        print(f"whole process, median of {runs} alternating runs, one send each:")
        _compare("none", False, folder, ca_file, runs, cert)
        _compare("starttls + AUTH", True, folder, ca_file, runs, cert)


if __name__ == "__main__":
    main()
