"""PLACEHOLDERS for the panes the TUI follow-up issue fills (sender domain, test send).

Replace each class with a real Section subclass in its own module (sections/sender_domain.py,
sections/test_send.py) and list it in mailgw.tui.app.SECTIONS; nothing else needs to change.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from mailgw.tui.sections.base import Section


class PlaceholderSection(Section):
    """A clearly marked pane that says what will live here."""

    WHAT = ""

    def compose(self) -> ComposeResult:
        yield Static(
            f"Not available yet.\n\n{self.WHAT}\n\n"
            "Until then, use the headless commands (`mailgw --help`).",
            classes="placeholder",
            markup=False,
        )


class SenderDomainPlaceholder(PlaceholderSection):
    TITLE = "Sender domain"
    WHAT = (
        "This pane will show the DNS records that authorise your own domain to send through "
        "the gateway (verification TXT, SPF, DKIM, DMARC) and check them live."
    )


class SendTestPlaceholder(PlaceholderSection):
    TITLE = "Test send"
    WHAT = (
        "This pane will send a test mail through the saved settings and show each stage "
        "(connect, TLS, login, delivery) with what to fix when one fails."
    )
