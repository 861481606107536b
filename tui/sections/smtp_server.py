"""SMTP server: the platform's managed gateway or a custom server."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Checkbox, Input, RadioButton, RadioSet, Select, Static

from mailgw.config import presets
from mailgw.config.model import DEFAULT_PORTS, Gateway, Security, Settings
from mailgw.i18n import N_, _
from mailgw.tui.sections.base import Section
from mailgw.tui.widgets.field import Field
from mailgw.tui.widgets.password_field import PasswordField
from mailgw.tui.widgets.toggles import Check, Radio

SECURITY_LABELS = {Security.NONE: N_("None"), Security.SSL: "SSL", Security.STARTTLS: "STARTTLS"}
PORT_HINT = N_("Follows the security choice; a port typed by hand is kept.")


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
    """Gateway choice; for custom: preset, host, security, port, trust-all, login."""

    TITLE = N_("SMTP server")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._security = Security.STARTTLS  # the choice the port last followed
        self._provider = "custom"  # the preset the fields were last filled from
        self._custom_loaded = False  # the custom-server fields exist and show the model

    def compose(self) -> ComposeResult:
        gateway = RadioSet(
            Radio(_("The platform's managed gateway (recommended)"), id="gateway-platform"),
            Radio(_("Custom SMTP server"), id="gateway-custom"),
            id="gateway",
        )
        yield Field("smtp.gateway", gateway, label=_("Gateway"))
        yield Static(platform_text(), id="platform-info", markup=False)
        with Vertical(id="custom"):
            if self._starts_custom():  # built later, when chosen: a faster first frame
                yield CustomServerFields()

    def _starts_custom(self) -> bool:
        session = getattr(self.app, "session", None)
        return session is not None and session.settings.smtp.gateway == Gateway.CUSTOM

    def _custom_built(self) -> bool:
        return bool(self.query(CustomServerFields))

    # ------------------------------------------------------------ model <-> widgets

    def load_from(self, settings: Settings) -> None:
        smtp = settings.smtp
        self._security = smtp.security
        self.query_one(f"#gateway-{smtp.gateway.value}", RadioButton).value = True
        if self._custom_built():
            self._load_custom(settings)
        elif smtp.gateway == Gateway.CUSTOM:
            self.call_later(self._gateway_changed)  # builds and loads the custom fields
        self._show_for(smtp.gateway, smtp.security, smtp.auth.enabled)

    def _load_custom(self, settings: Settings) -> None:
        smtp = settings.smtp
        self._custom_loaded = True
        self._security = smtp.security
        known = smtp.provider in presets.providers()
        self._provider = smtp.provider if known else "custom"
        self.query_one("#provider", Select).value = self._provider
        self.query_one("#host", Input).value = smtp.host
        self.query_one(f"#security-{smtp.security.value}", RadioButton).value = True
        self.query_one("#port", Input).value = str(smtp.port)
        self.query_one("#trust-all", Checkbox).value = smtp.trust_all
        self.query_one("#auth", Checkbox).value = smtp.auth.enabled
        self.query_one("#username", Input).value = smtp.auth.username
        self.query_one(PasswordField).load(smtp.auth.password)
        self._show_password_file(smtp.auth.password_file)

    def apply_to(self, settings: Settings) -> None:
        smtp = settings.smtp
        smtp.gateway = self._gateway()
        if not self._custom_loaded:
            return  # the model keeps what it holds for the fields not built
        provider = self.query_one("#provider", Select).value
        smtp.provider = provider if isinstance(provider, str) else "custom"
        smtp.host = self.query_one("#host", Input).value.strip()
        smtp.security = self._chosen_security()
        smtp.port = _port(self.query_one("#port", Input).value)
        smtp.trust_all = self.query_one("#trust-all", Checkbox).value
        smtp.auth.enabled = self.query_one("#auth", Checkbox).value
        smtp.auth.username = self.query_one("#username", Input).value
        smtp.auth.password = self.query_one(PasswordField).password()

    # ------------------------------------------------------------ behaviour

    @on(RadioSet.Changed, "#security")
    def _security_changed(self, event: RadioSet.Changed) -> None:
        """Move the port with the security choice, unless it was set by hand to another port."""
        new = self._pressed_security()
        port = self.query_one("#port", Input)
        if new != self._security and _port(port.value) in (DEFAULT_PORTS[self._security], 0):
            port.value = str(DEFAULT_PORTS[new])
        self._security = new
        self._refresh_visibility()

    @on(RadioSet.Changed, "#gateway")
    async def _gateway_changed(self) -> None:
        if self._gateway() == Gateway.CUSTOM and not self._custom_built():
            await self.query_one("#custom").mount(CustomServerFields())
            self._load_custom(self.app.session.settings)  # type: ignore[attr-defined]
        self._refresh_visibility()

    @on(Checkbox.Changed, "#auth")
    def _refresh_visibility(self) -> None:
        auth = self._custom_loaded and self.query_one("#auth", Checkbox).value
        self._show_for(self._gateway(), self._chosen_security(), auth)

    @on(Select.Changed, "#provider")
    def _preset_chosen(self, event: Select.Changed) -> None:
        """Fill host, security and port from the preset; show what the admin must know."""
        preset = presets.provider(str(event.value))
        notes = self.query_one("#preset-notes", Static)
        notes.display = preset is not None
        if preset is not None:
            hint = (
                _("\nUsername: {username_hint}").format(username_hint=preset.username_hint)
                if preset.username_hint
                else ""
            )
            notes.update(f"{presets.shown(preset.notes)}{hint}")
        if event.value == self._provider or preset is None:
            self._provider = str(event.value)
            return
        self._provider = str(event.value)
        if preset.host:
            self.query_one("#host", Input).value = preset.host
        self._security = preset.security
        self.query_one(f"#security-{preset.security.value}", RadioButton).value = True
        self.query_one("#port", Input).value = str(preset.port)

    def _show_for(self, gateway: Gateway, security: Security, auth: bool) -> None:
        custom = gateway == Gateway.CUSTOM
        self.query_one("#custom").display = custom
        self.query_one("#platform-info").display = not custom
        if not self._custom_loaded:
            return
        tls = security != Security.NONE
        self.query_one("#trust-all-field").display = tls
        self.query_one("#login").display = auth

    def _show_password_file(self, password_file: str) -> None:
        note = self.query_one("#password-file-note", Static)
        note.display = bool(password_file)
        note.update(
            _(
                "The password is read from {password_file} "
                "(smtp.auth.password_file), which wins over a password typed here. "
                "Change it with `mailgw set-password --file`."
            ).format(password_file=password_file)
        )

    def _gateway(self) -> Gateway:
        pressed = self.query_one("#gateway", RadioSet).pressed_button
        return Gateway.CUSTOM if pressed and pressed.id == "gateway-custom" else Gateway.PLATFORM

    def _chosen_security(self) -> Security:
        """The security shown: loaded, filled from a preset, or pressed (kept in _security).

        Not read from the radio set: right after a load it still names the old button until
        it handles the new one's message, and a read-back then would undo the load.
        """
        return self._security

    def _pressed_security(self) -> Security:
        if not self._custom_loaded:
            return self._security
        pressed = self.query_one("#security", RadioSet).pressed_button
        if pressed is None or pressed.id is None:
            return Security.STARTTLS
        return Security(pressed.id.removeprefix("security-"))


class CustomServerFields(Vertical):
    """Provider preset, host, security, port, trust-all and the login of a custom server."""

    def compose(self) -> ComposeResult:
        yield Field("smtp.provider", self._provider_select(), label=_("Provider preset"))
        yield Static("", id="preset-notes", markup=False)
        yield Field("smtp.host", Input(id="host", placeholder="smtp.example.com"), label=_("Host"))
        security = RadioSet(
            *(Radio(_(text), id=f"security-{s.value}") for s, text in SECURITY_LABELS.items()),
            id="security",
        )
        yield Field("smtp.security", security, label=_("Security"))
        port = Input(id="port", type="integer", max_length=5)
        yield Field("smtp.port", port, label=_("Port"))
        yield Static(_(PORT_HINT), id="port-hint", markup=False)
        trust_all = Check(_("Trust all certificates"), id="trust-all")
        yield Field("smtp.trust_all", trust_all, label=" ", id="trust-all-field")
        auth = Check(_("Server requires authentication"), id="auth")
        yield Field("smtp.auth.enabled", auth, label=" ")
        with Vertical(id="login"):
            yield Field("smtp.auth.username", Input(id="username"), label=_("Username"))
            yield Field("smtp.auth.password", PasswordField(id="password"), label=_("Password"))
            yield Static("", id="password-file-note", markup=False)

    def _provider_select(self) -> Select[str]:
        options = [(_("Custom (fill in by hand)"), "custom")]
        options += [(presets.shown(p.label), name) for name, p in presets.providers().items()]
        return Select(options, allow_blank=False, value="custom", id="provider", compact=True)


def _port(text: str) -> int:
    """The typed port, or 0 (out of range, so validation says so) when empty."""
    try:
        return int(text)
    except ValueError:
        return 0
