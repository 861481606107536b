"""The receiving mailbox ([receive]) in the Test send pane: what Send and verify receipt reads.

Every control is a Field of its key, so it edits through the session as any other; the port
follows the security in the editing layer. The password is never typed here: the mailbox reads
a 0600 file (`mailgw set-password --receive --file PATH` writes it), or signs in with the SMTP
sign-in's OAuth 2.0 app.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, RadioSet

from mailgw.config.model import AuthMethod, Security, Settings
from mailgw.i18n import N_, _
from mailgw.tui.sections.smtp_server import SECURITY_LABELS
from mailgw.tui.widgets.field import Field, example
from mailgw.tui.widgets.toggles import Radio

MAILBOX_SECURITIES = (Security.SSL, Security.STARTTLS, Security.NONE)  # none: loopback only
OAUTH2_APP_LABEL = N_("OAuth 2.0 (the SMTP sign-in's app)")


class MailboxFields(Vertical):
    """Host, security, port, username, how it signs in, the password file, the wait."""

    def compose(self) -> ComposeResult:
        host = Input(id="receive-host", placeholder=example("imap.example.com"))
        yield Field("receive.host", host, label=_("IMAP host"))
        security = RadioSet(
            *(
                Radio(_(SECURITY_LABELS[s]), id=f"receive-security-{s.value}", name=s.value)
                for s in MAILBOX_SECURITIES
            ),
            id="receive-security",
        )
        yield Field("receive.security", security, label=_("Security"))
        port = Input(id="receive-port", type="integer", max_length=5)
        yield Field("receive.port", port, label=_("Port"))
        username = Input(id="receive-username", placeholder=example("you@example.com"))
        yield Field("receive.username", username, label=_("Username"))
        yield Field("receive.auth.method", _method_radios(), label=_("Sign in with"))
        password_file = Input(id="receive-password-file", placeholder=example("/etc/mailgw/imap"))
        yield Field(
            "receive.password_file", password_file, label=_("Password file"),
            id="receive-password-file-field",
        )  # fmt: skip
        wait = Input(id="receive-wait", type="number", max_length=6)
        yield Field("receive.wait", wait, label=_("Wait (s)"))

    def show_for(self, settings: Settings) -> None:
        """The password file only for a password login."""
        by_password = settings.receive.auth.method == AuthMethod.PASSWORD
        self.query_one("#receive-password-file-field").display = by_password


def _method_radios() -> RadioSet:
    return RadioSet(
        Radio(_("Password file"), id="receive-method-password", name=AuthMethod.PASSWORD.value),
        Radio(_(OAUTH2_APP_LABEL), id="receive-method-oauth2", name=AuthMethod.OAUTH2.value),
        id="receive-method",
    )
