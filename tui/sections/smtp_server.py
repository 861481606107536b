"""SMTP server: the platform's managed gateway or a custom server."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, RadioSet, Select, Static

from mailgw.config import presets
from mailgw.config.model import Gateway, Security, Settings, SmtpSettings
from mailgw.i18n import N_, _
from mailgw.tui.sections.base import Section
from mailgw.tui.widgets.field import Field, example
from mailgw.tui.widgets.menu import Menu
from mailgw.tui.widgets.password_field import PasswordField
from mailgw.tui.widgets.toggles import Check, Radio

if TYPE_CHECKING:
    from mailgw.tui.app import MailgwApp

SECURITY_LABELS = {Security.NONE: N_("None"), Security.SSL: "SSL", Security.STARTTLS: "STARTTLS"}
PORT_HINT = N_("Moves with security; a port other than 25/465/587 stays.")


def platform_text() -> str:
    """What the managed gateway is and what sending from one's own domain needs."""
    gw = presets.platform_gateway()
    return (
        _(
            "{label}: {host}, port {port} ({upper}). The platform looks after "
            "the server and its login; nothing to fill in here.\n\nMail leaves "
            "from {default_sender} by default.\n\nTo send from your own domain, "
            "ask support for its verification key, then publish in that domain's "
            "DNS:\n  • TXT  {verification_txt_prefix}KEY (the verification "
            "record)\n  • SPF  include:{spf_include} before the final all\n"
        ).format(
            label=presets.shown(gw.label),
            host=gw.host,
            port=gw.port,
            upper=gw.security.value.upper(),
            default_sender=gw.default_sender,
            verification_txt_prefix=gw.verification_txt_prefix,
            spf_include=gw.spf_include,
        )
        + "".join(
            _("  • CNAME {selector}._domainkey → {target}\n").format(
                selector=d.selector, target=d.target
            )
            for d in gw.dkim
        )
        + _(
            '  • DMARC _dmarc TXT "{dmarc_default}"\nand set the sender address '
            "under Email settings."
        ).format(dmarc_default=gw.dmarc_default)
    )


class SmtpServerSection(Section):
    """Gateway choice; for custom: preset, host, security, port, certificate, login.

    Every field is bound to its key (tui/field_binding.py); what is left here is which parts
    show for the settings, and the notes that explain them.
    """

    TITLE = N_("SMTP server")

    def compose(self) -> ComposeResult:
        gateway = RadioSet(
            Radio(
                _("The platform's managed gateway (recommended)"),
                id="gateway-platform",
                name=Gateway.PLATFORM.value,
            ),
            Radio(_("Custom SMTP server"), id="gateway-custom", name=Gateway.CUSTOM.value),
            id="gateway",
        )
        yield Field("smtp.gateway", gateway, label=_("Gateway"))
        yield Static(platform_text(), id="platform-info", markup=False)
        with Vertical(id="custom"):
            if self.console.session.settings.smtp.gateway == Gateway.CUSTOM:
                yield CustomServerFields()  # else built when chosen: a faster first frame

    def _custom_built(self) -> bool:
        """The custom-server fields exist and are composed (a mount finishes later)."""
        return any(fields.ready for fields in self.query(CustomServerFields))

    def show_model(self, *, fresh: bool = False) -> None:
        settings = self.console.session.settings
        if settings.smtp.gateway == Gateway.CUSTOM and not self.query(CustomServerFields):
            self.query_one("#custom").mount(CustomServerFields())  # shown once mounted
        for fields in self.query(CustomServerFields):
            if fields.ready:
                fields.offer(settings.smtp.provider)
        super().show_model(fresh=fresh)

    def model_shown(self, settings: Settings) -> None:
        smtp = settings.smtp
        custom = smtp.gateway == Gateway.CUSTOM
        self.query_one("#custom").display = custom
        self.query_one("#platform-info").display = not custom
        if not self._custom_built():
            return
        tls = smtp.security != Security.NONE
        self.query_one("#trust-all-field").display = tls
        # shown while a pin is set; a pin is taken from a test send (Test send pane)
        self.query_one("#pin-row").display = bool(smtp.tls_fingerprint)
        self.query_one("#login").display = smtp.auth.enabled
        _update(self.query_one("#preset-notes", Static), preset_notes(smtp.provider))
        _update(self.query_one("#password-file-note", Static), password_file_note(smtp))

    @on(Button.Pressed, "#clear-pin")
    def _clear_pin(self) -> None:
        self.console.edit("smtp.tls_fingerprint", "")


def preset_notes(name: str) -> str:
    """What the admin must know about a provider preset ("" for none)."""
    preset = presets.provider(name)
    if preset is None:
        return ""
    hint = (
        _("\nUsername: {username_hint}").format(username_hint=presets.shown(preset.username_hint))
        if preset.username_hint
        else ""
    )
    return f"{presets.shown(preset.notes)}{hint}"


def password_file_note(smtp: SmtpSettings) -> str:
    if not smtp.auth.password_file:
        return ""
    return _(
        "The password is read from {password_file} (smtp.auth.password_file). A password "
        "typed here is stored in the config file instead, and the file is no longer named."
    ).format(password_file=smtp.auth.password_file)


def _update(note: Static, text: str) -> None:
    """Show a note only when it has something to say; repaint only when it changed."""
    note.display = bool(text)
    if note.content != text:
        note.update(text)


class CustomServerFields(Vertical):
    """Provider preset, host, security, port, trust-all and the login of a custom server."""

    ready = False  # composed and mounted: its fields can show the model

    def compose(self) -> ComposeResult:
        yield Field("smtp.provider", self._provider_select(), label=_("Provider preset"))
        yield Static("", id="preset-notes", markup=False)
        host = Input(id="host", placeholder=example("smtp.example.com"))
        yield Field("smtp.host", host, label=_("Host"))
        security = RadioSet(
            *(
                Radio(_(text), id=f"security-{s.value}", name=s.value)
                for s, text in SECURITY_LABELS.items()
            ),
            id="security",
        )
        yield Field("smtp.security", security, label=_("Security"))
        port = Input(id="port", type="integer", max_length=5)
        yield Field("smtp.port", port, label=_("Port"))
        yield Static(_(PORT_HINT), id="port-hint", markup=False)
        trust_all = Check(_("Trust all certificates"), id="trust-all")
        yield Field("smtp.trust_all", trust_all, label=" ", id="trust-all-field")
        with Horizontal(id="pin-row"):
            pin = Input(id="tls-fingerprint", placeholder=_("none: the certificate must verify"))
            yield Field("smtp.tls_fingerprint", pin, label=_("Pinned certificate"))
            yield Button(_("Clear pin"), id="clear-pin", compact=True)
        auth = Check(_("Server requires authentication"), id="auth")
        yield Field("smtp.auth.enabled", auth, label=" ")
        with Vertical(id="login"):
            yield Field("smtp.auth.username", Input(id="username"), label=_("Username"))
            yield Field("smtp.auth.password", PasswordField(id="password"), label=_("Password"))
            yield Static("", id="password-file-note", markup=False)

    def on_mount(self) -> None:
        """Built after the first frame or when chosen: show the model in the new fields."""
        self.ready = True
        section = next(a for a in self.ancestors if isinstance(a, SmtpServerSection))
        section.show_model(fresh=True)
        section.console.schedule_refresh_state()

    def _provider_select(self) -> Select[str]:
        held = cast("MailgwApp", self.app).session.settings.smtp.provider
        options = provider_options(held)
        self._offered = {value for _label, value in options}
        return Menu(options, allow_blank=False, value=held, id="provider", compact=True)

    def offer(self, provider: str) -> None:
        """Let the preset list show `provider` (a file read again may name another one)."""
        if provider not in self._offered:
            options = provider_options(provider)
            self._offered = {value for _label, value in options}
            select = self.query_one("#provider", Select)
            with select.prevent(Select.Changed):
                select.set_options(options)


def provider_options(held: str) -> list[tuple[str, str]]:
    """Every preset, and the file's own name when this mailgw does not know it: the control
    shows what the file holds (validation warns about the name), so nothing changes it."""
    options = [(_("Custom (fill in by hand)"), "custom")]
    options += [(presets.shown(p.label), name) for name, p in presets.providers().items()]
    if held not in {value for _label, value in options}:
        options.append((_("{name} (unknown preset)").format(name=held), held))
    return options
