"""Email settings: sender address, display name, and the signature every mail ends with."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input, Static, TextArea

from mailgw.config.model import Settings
from mailgw.i18n import N_, _
from mailgw.tui.sections.base import Section
from mailgw.tui.widgets.field import Field, example

SAMPLE_BODY = N_('Vehicle ABC-1234 entered the geofence "Depot" at 08:14.')


def mail_ending(signature: str) -> str:
    """How a notification mail ends: its last line, then the signature."""
    lines = [_(SAMPLE_BODY)]
    if signature.strip():
        lines += ["", "-- ", *signature.rstrip("\n").splitlines()]
    return "\n".join(lines)


class EmailSettingsSection(Section):
    """From address, display name, multi-line signature with a preview."""

    def compose(self) -> ComposeResult:
        sender = Input(id="from-address", placeholder=example("no-reply@example.com"))
        yield Field("email.from_address", sender, label=_("Sender (From)"))
        yield Field("email.from_name", Input(id="from-name"), label=_("Display name"))
        signature = TextArea(id="signature", soft_wrap=True, tab_behavior="focus")
        yield Field("email.signature", signature, label=_("Signature"))
        yield Static(_("How a mail ends:"), classes="preview-title")
        yield Static("", id="preview", markup=False)

    def model_shown(self, settings: Settings) -> None:
        preview = self.query_one("#preview", Static)
        text = mail_ending(settings.email.signature)
        if preview.content != text:
            preview.update(text)
