"""PLACEHOLDERS for the panes the TUI follow-up issue fills (sender domain, test send).

Replace each class with a real Section subclass in its own module (sections/sender_domain.py,
sections/test_send.py) and list it in mailgw.tui.app.SECTIONS; nothing else needs to change.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from mailgw.i18n import N_, _
from mailgw.tui.sections.base import Section


class PlaceholderSection(Section):
    """A clearly marked pane that says what will live here."""

    WHAT = ""

    def compose(self) -> ComposeResult:
        yield Static(
            _(
                "Not available yet.\n\n{what}\n\nUntil then, use the headless commands "
                "(`mailgw --help`)."
            ).format(what=_(self.WHAT)),
            classes="placeholder",
            markup=False,
        )


class SenderDomainPlaceholder(PlaceholderSection):
    TITLE = N_("Sender domain")
    WHAT = N_(
        "This pane will show the DNS records that authorise your own domain "
        "to send through the gateway (verification TXT, SPF, DKIM, DMARC) "
        "and check them live."
    )


class SendTestPlaceholder(PlaceholderSection):
    TITLE = N_("Test send")
    WHAT = N_(
        "This pane will send a test mail through the saved settings and show "
        "each stage (connect, TLS, login, delivery) with what to fix when "
        "one fails."
    )
