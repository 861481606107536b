"""A real IMAP server for tests: Dovecot from the distribution, run by the test in a temp dir.

`dovecot_server(cert)` writes a config (passwd-file user, INBOX plus a Junk folder with the
`\\Junk` special-use flag, TLS with the given trustme certificate), starts `dovecot -F` on free
ports on 127.0.0.1 (IMAPS and IMAP with STARTTLS; no system service), and `deliver()` puts a
message into a folder with `doveadm save`, as an MTA's local delivery would. `DovecotMissing`
says why it could not start, so tests skip with that reason.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import trustme

from tests.support.ports import free_port

USER = "fleet-inbox@example.test"
PASSWORD = "Mailbox-Sentinel-pa55-42c1"
START_SECONDS = 15.0


class DovecotMissing(RuntimeError):
    """Dovecot is not installed or did not start: the reason a test skips."""


@dataclass
class RunningDovecot:
    root: Path
    imaps_port: int
    imap_port: int  # plain IMAP offering STARTTLS (or not, with starttls=False)
    config: Path

    def deliver(self, message: bytes, folder: str = "INBOX") -> None:
        """Put `message` into `folder` of the test user, as local delivery does."""
        subprocess.run(
            ["doveadm", "-c", str(self.config), "save", "-u", USER, "-m", folder],
            input=message,
            check=True,
            capture_output=True,
            timeout=20,
        )

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text("utf-8", "replace") if path.exists() else ""


def _accounts() -> tuple[str, str, int, int]:
    """Login user, internal user, and the mail uid/gid: Dovecot's own users when run as root
    (it refuses to run logins or mail as root), else the current user for everything."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.getuid()).pw_name
        return me, me, os.getuid(), os.getgid()
    try:
        login, internal = pwd.getpwnam("dovenull"), pwd.getpwnam("dovecot")
    except KeyError as exc:
        raise DovecotMissing(f"the dovecot and dovenull users are missing ({exc})") from None
    return login.pw_name, internal.pw_name, internal.pw_uid, internal.pw_gid


@dataclass(frozen=True)
class Introspection:
    """Where Dovecot asks whether an XOAUTH2 token is good (RFC 7662), and the CA it trusts."""

    url: str
    ca_pem: bytes


def _oauth2_passdb(root: Path, introspection: Introspection | None) -> str:
    if introspection is None:
        return ""
    (root / "oauth-ca.pem").write_bytes(introspection.ca_pem)
    (root / "oauth2.conf.ext").write_text(
        f"introspection_mode = post\nintrospection_url = {introspection.url}\n"
        f"force_introspection = yes\nusername_attribute = username\n"
        f"active_attribute = active\nactive_value = true\n"
        f"tls_ca_cert_file = {root}/oauth-ca.pem\n"
    )
    return f"""passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf.ext
}}
"""


def _config(
    root: Path,
    imaps: int,
    imap: int,
    starttls: bool,
    introspection: Introspection | None,
    idle: bool = True,
) -> str:
    login_user, internal_user, uid, gid = _accounts()
    group = internal_user if os.geteuid() == 0 else _group_name(gid)
    plain_ssl = "yes" if starttls else "no"
    imaps_or_off = imaps if starttls else 0  # no TLS at all: no IMAPS either
    return f"""
base_dir = {root}/run
state_dir = {root}/state
instance_name = mailgw-test-{imaps}
listen = 127.0.0.1
protocols = imap
{"" if idle else "imap_capability = IMAP4rev1 SASL-IR LITERAL+ ENABLE UIDPLUS SPECIAL-USE"}
log_path = {root}/dovecot.log
ssl = {plain_ssl}
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
auth_mechanisms = plain login{" xoauth2 oauthbearer" if introspection else ""}
disable_plaintext_auth = no
mail_location = maildir:{root}/mail/%u
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {group}
first_valid_uid = {uid}
{_oauth2_passdb(root, introspection)}passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Junk {{
    special_use = \\Junk
    auto = subscribe
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_or_off}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


def _group_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


def _wait_listening(port: int, process: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DovecotMissing(f"dovecot exited at start: {_tail(root)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise DovecotMissing(f"dovecot did not listen within {START_SECONDS:g} s: {_tail(root)}")


def _tail(root: Path) -> str:
    paths = [root / "stderr.log", root / "dovecot.log"]
    text = "".join(p.read_text("utf-8", "replace") for p in paths if p.exists())
    return " | ".join(text.strip().splitlines()[-3:]) or "(no log)"


def _prepare(root: Path, cert: trustme.LeafCert) -> None:
    cert.cert_chain_pems[0].write_to_path(str(root / "cert.pem"))
    cert.private_key_pem.write_to_path(str(root / "key.pem"))
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    _, _, uid, gid = _accounts()
    mail = root / "mail"
    mail.mkdir()
    os.chown(mail, uid, gid)


@contextlib.contextmanager
def dovecot_server(
    cert: trustme.LeafCert,
    *,
    starttls: bool = True,
    introspection: Introspection | None = None,
    idle: bool = True,
) -> Iterator[RunningDovecot]:
    """Dovecot on free loopback ports until the block ends; DovecotMissing if it cannot run.
    With `introspection`, AUTHENTICATE XOAUTH2 takes tokens that endpoint calls active;
    `idle=False` leaves IDLE out of the capabilities (a client must poll)."""
    if shutil.which("dovecot") is None or shutil.which("doveadm") is None:
        raise DovecotMissing("dovecot is not installed (Debian: apt-get install dovecot-imapd)")
    # its own temp dir, traversable by Dovecot's unprivileged users (pytest's tmp_path is 0700)
    root = Path(tempfile.mkdtemp(prefix="mailgw-dovecot-"))
    root.chmod(0o755)
    try:
        _prepare(root, cert)
        imaps, imap = free_port(), free_port()
        config = root / "dovecot.conf"
        config.write_text(_config(root, imaps, imap, starttls, introspection, idle))
        process = subprocess.Popen(
            ["dovecot", "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=(root / "stderr.log").open("wb"),
        )
        try:
            _wait_listening(imaps if starttls else imap, process, root)
            yield RunningDovecot(root, imaps, imap, config)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)
