"""What a send, probe or detect returns: plain dataclasses with `as_dict()` for JSON."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from mailgw.delivery.findings import Finding, Status
from mailgw.delivery.tls import TlsInfo
from mailgw.delivery.transcript import TranscriptLine
from mailgw.i18n import N_, _


class Category(str, enum.Enum):
    """Why a send failed; the values are the JSON names."""

    DNS = "dns"
    CONNECT_REFUSED = "connect_refused"
    TIMEOUT = "timeout"
    TLS_PROTOCOL = "tls_protocol"
    CERTIFICATE = "certificate"
    STARTTLS_UNAVAILABLE = "starttls_unavailable"
    AUTH_UNAVAILABLE = "auth_unavailable"
    AUTH_FAILED = "auth_failed"
    SENDER_REJECTED = "sender_rejected"
    RECIPIENT_REJECTED = "recipient_rejected"
    MESSAGE_REJECTED = "message_rejected"
    CONNECTION_LOST = "connection_lost"
    TOKEN_REFUSED = "token_refused"  # the OAuth 2.0 token endpoint said no
    TOKEN_UNREACHABLE = "token_unreachable"
    TOKEN_CERTIFICATE = "token_certificate"  # the endpoint's certificate, not the SMTP server's
    CANCELLED = "cancelled"
    CONFIG_INVALID = "config_invalid"


class StageName(str, enum.Enum):
    """The steps of a conversation, in the order they happen."""

    TOKEN = "token"  # OAuth 2.0: the access token, before the SMTP server is dialled
    RESOLVE = "resolve"
    CONNECT = "connect"
    TLS = "tls"
    CERTIFICATE = "certificate"
    EHLO = "ehlo"
    AUTH = "auth"
    MAIL_FROM = "mail_from"
    RCPT_TO = "rcpt_to"
    DATA = "data"
    QUIT = "quit"


class ReceiptStageName(str, enum.Enum):
    """Send and verify receipt: the steps after the send's DATA, in order."""

    MAILBOX_LOGIN = "mailbox_login"  # token (OAuth 2.0), connect, TLS, login to the mailbox
    WAITING = "waiting"  # until the copy carrying this send's test ID is in a folder searched
    FOUND = "found"  # the copy's bytes fetched
    VERIFIED = "verified"  # DKIM verified aligned with From (failed: not proven)


# Stage names as the admin reads them, in every front (msgids; the protocol words stay as they are).
STAGE_LABELS: dict[str, str] = {
    ReceiptStageName.MAILBOX_LOGIN: N_("mailbox login"),
    ReceiptStageName.WAITING: N_("awaiting copy"),
    ReceiptStageName.FOUND: N_("copy found"),
    ReceiptStageName.VERIFIED: N_("DKIM verified"),
    StageName.TOKEN: N_("OAuth token"),
    StageName.RESOLVE: N_("resolve host"),
    StageName.CONNECT: N_("connect"),
    StageName.TLS: N_("TLS handshake"),
    StageName.CERTIFICATE: N_("certificate"),
    StageName.EHLO: "EHLO",
    StageName.AUTH: N_("login (AUTH)"),
    StageName.MAIL_FROM: "MAIL FROM",
    StageName.RCPT_TO: "RCPT TO",
    StageName.DATA: "DATA",
    StageName.QUIT: "QUIT",
}


def stage_label(name: str) -> str:
    """A stage's name as the admin reads it, in the current language."""
    label = STAGE_LABELS.get(name, name)
    return _(label)


@dataclass(frozen=True)
class Stage:
    """One finished step: its name, whether it succeeded, how long it took."""

    name: str
    ok: bool
    ms: float

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "ms": round(self.ms, 1)}


@dataclass(frozen=True)
class ServerInfo:
    """What the server said about itself: greeting and EHLO extensions."""

    banner: str = ""
    extensions: dict[str, str] = field(default_factory=dict)
    auth_mechanisms: tuple[str, ...] = ()
    size: int | None = None
    starttls: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "banner": self.banner,
            "extensions": dict(self.extensions),
            "auth_mechanisms": list(self.auth_mechanisms),
            "size": self.size,
            "starttls": self.starttls,
        }


@dataclass(frozen=True)
class Failure:
    """A classified failure: category, what happened, and the fix in one sentence.

    `fix` names no shell command (the TUI shows it too); `command` is the one that applies the
    fix from a shell, for the command-line fronts ("" when none does).
    """

    category: Category
    message: str
    fix: str
    command: str = ""


@dataclass
class SendResult:
    """The outcome of a send or probe; `stage` is the last stage reached."""

    ok: bool
    stage: str
    category: Category | None = None
    message: str = ""
    fix: str = ""
    command: str = ""  # the shell command that applies the fix (see Failure)
    connected: bool = False  # a TCP connection was made (whatever happened after)
    stages: list[Stage] = field(default_factory=list)
    tls: TlsInfo | None = None
    transcript: list[TranscriptLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    server: ServerInfo | None = None
    host: str = ""
    port: int = 0
    security: str = ""
    test_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "stage": self.stage,
            "category": self.category.value if self.category else None,
            "message": self.message,
            "fix": self.fix,
            "command": self.command,
            "connected": self.connected,
            "stages": [s.as_dict() for s in self.stages],
            "tls": self.tls.as_dict() if self.tls else None,
            "transcript": [line.as_dict() for line in self.transcript],
            "warnings": list(self.warnings),
            "server": self.server.as_dict() if self.server else None,
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "test_id": self.test_id,
        }

    def findings(self) -> list[Finding]:
        """The result in the shared vocabulary: one finding per stage, warnings, the outcome."""
        out = [
            Finding(
                check=f"smtp:{stage.name}",
                status=Status.OK if stage.ok else Status.FAILED,
                title=stage_label(stage.name),
                found=f"{stage.ms:.0f} ms",
            )
            for stage in self.stages
        ]
        out += [Finding("smtp:warning", Status.WARNING, warning) for warning in self.warnings]
        status = Status.OK if self.ok else Status.FAILED
        category = self.category.value if self.category else ""
        out.append(Finding("smtp", status, self.message, found=category, fix=self.shell_fix()))
        return out

    def shell_fix(self) -> str:
        """The fix as a command-line front says it: with the command that applies it."""
        return shell_fix(self.fix, self.command)


def shell_fix(fix: str, command: str) -> str:
    """`fix`, followed by the shell command that applies it, when there is one."""
    return f"{fix} (`{command}`)" if command else fix


@dataclass
class Progress:
    """A send or probe as it runs; pass one in to keep what happened even when it is cancelled.

    `stages` and `transcript` grow live (the transcript already masked); `result` is set when
    the run ends in any way, cancellation included (category `cancelled`).
    """

    stages: list[Stage] = field(default_factory=list)
    transcript: list[TranscriptLine] = field(default_factory=list)
    result: SendResult | None = None
