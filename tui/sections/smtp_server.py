"""SMTP server: the platform's managed gateway or a custom server."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, RadioSet, Select, Static

from mailgw.config import presets
from mailgw.config.model import (
    AuthMethod,
    Gateway,
    Security,
    Settings,
    SmtpSettings,
)
from mailgw.config.validate import OAUTH2, OAUTH2_NEEDS
from mailgw.delivery.setup_questions import SECRET_FILE_HELP
from mailgw.i18n import N_, _
from mailgw.tui.sections.base import Section
from mailgw.tui.widgets.field import Field, example
from mailgw.tui.widgets.menu import Menu
from mailgw.tui.widgets.password_field import PasswordField
from mailgw.tui.widgets.toggles import Check, Radio

if TYPE_CHECKING:
    from mailgw.delivery.results import SendResult
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
        oauth2 = smtp.auth.method == AuthMethod.OAUTH2
        self.query_one("#password-login").display = not oauth2
        login = self.query_one(OAuth2Fields)
        login.display = oauth2
        if oauth2:
            login.show_for(settings)
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
            yield Field("smtp.auth.method", _method_radios(), label=_("Sign in with"))
            yield Field("smtp.auth.username", Input(id="username"), label=_("Username"))
            with Vertical(id="password-login"):
                password = PasswordField(id="password")
                yield Field("smtp.auth.password", password, label=_("Password"))
                yield Static("", id="password-file-note", markup=False)
            yield OAuth2Fields(id="oauth2-login")

    def on_mount(self) -> None:
        """Built after the first frame or when chosen: show the model in the new fields."""
        if not self.app.is_running:  # quitting mid-mount: the section's parts are gone
            return
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


def _method_radios() -> RadioSet:
    return RadioSet(
        Radio(_("Password"), id="method-password", name=AuthMethod.PASSWORD.value),
        Radio(_(OAUTH2_LABEL), id="method-oauth2", name=AuthMethod.OAUTH2.value),
        id="auth-method",
    )


OAUTH2_LABEL = N_("OAuth 2.0 (Microsoft 365 / Google)")
# the token URL and scope always show (their placeholder names the provider's default); the
# other keys only for the providers that need them, as validation says
ALWAYS_SHOWN = frozenset({"token_url", "scope"})


class OAuth2Fields(Vertical):
    """The OAuth 2.0 sign-in: provider, the keys it needs, and "Get a token"."""

    def compose(self) -> ComposeResult:
        options = [(presets.shown(e.label), n) for n, e in presets.oauth2_endpoints().items()]
        provider = Select(options, allow_blank=False, id="oauth2-provider", compact=True)
        yield Field(OAUTH2 + "provider", provider, label=_("Provider"))
        yield _text(OAUTH2 + "tenant", "oauth2-tenant", _("Tenant"), "contoso.onmicrosoft.com")
        yield _text(OAUTH2 + "client_id", "oauth2-client-id", _("Client ID"), GUID_EXAMPLE)
        secret_file = "/etc/mailgw/oauth2-client.secret"
        yield _text(
            OAUTH2 + "client_secret_file", "oauth2-secret-file", _("Secret file"), secret_file
        )
        yield Static(_(SECRET_FILE_HELP), id="oauth2-secret-note", markup=False)
        key_file = "/etc/mailgw/google-key.json"
        yield _text(OAUTH2 + "service_account_file", "oauth2-key-file", _("Key file"), key_file)
        yield _text(OAUTH2 + "token_url", "oauth2-token-url", _("Token URL"), "")
        yield _text(OAUTH2 + "scope", "oauth2-scope", _("Scope"), "")
        with Horizontal(id="token-row"):
            yield Button(_("Get a token"), id="get-token", compact=True)
            yield Static("", id="token-result", markup=False)

    def show_for(self, settings: Settings) -> None:
        """Show the keys the chosen provider reads; the endpoint and scope say their default."""
        oauth2 = settings.smtp.auth.oauth2
        shown = frozenset(OAUTH2_NEEDS[oauth2.provider]) - ALWAYS_SHOWN
        for name in ("tenant", "client_id", "client_secret_file", "service_account_file"):
            self.query_one(f"#field-{name}").display = name in shown
        self.query_one("#oauth2-secret-note").display = "client_secret_file" in shown
        endpoint = presets.oauth2_endpoint(oauth2.provider.value)
        default = _("default: {value}")
        url = self.query_one("#oauth2-token-url", Input)
        host = urlsplit(endpoint.token_url).hostname or ""  # the whole URL does not fit
        url.placeholder = default.format(value=host) if host else ""
        scope = self.query_one("#oauth2-scope", Input)
        scope.placeholder = default.format(value=endpoint.scope) if endpoint.scope else ""

    class TokenChecked(Message):
        def __init__(self, result: SendResult | None) -> None:
            super().__init__()
            self.result = result

    @on(Button.Pressed, "#get-token")
    def get_token(self) -> None:
        """Only the token stage, with the settings as edited (saved or not)."""
        settings = cast("MailgwApp", self.app).session.settings.copy()
        self._show_token(_("Asking the token endpoint… (press again to restart)"), ok=True)
        self._fetch_token(settings)

    @work(exclusive=True, group="token", exit_on_error=False)
    async def _fetch_token(self, settings: Settings) -> None:
        from mailgw.delivery import smtp
        from mailgw.delivery.results import Progress

        progress = Progress()
        await smtp.token_check(settings, progress=progress)
        self.post_message(self.TokenChecked(progress.result))

    @on(TokenChecked)
    def _token_checked(self, event: TokenChecked) -> None:
        from mailgw.tui.widgets.run_panel import verdict_text

        result = event.result
        self._show_token(verdict_text(result, cancelled=False), ok=bool(result and result.ok))

    def _show_token(self, text: str, *, ok: bool) -> None:
        result = self.query_one("#token-result", Static)
        result.update(text)
        result.set_class(not ok, "-error")

    @property
    def token_text(self) -> str:
        return str(self.query_one("#token-result", Static).content)


GUID_EXAMPLE = "00000000-0000-0000-0000-000000000000"


def _text(key: str, control_id: str, label: str, placeholder: str) -> Field:
    control = Input(id=control_id, placeholder=example(placeholder) if placeholder else "")
    return Field(key, control, label=label, id="field-" + key.rpartition(".")[2])


def provider_options(held: str) -> list[tuple[str, str]]:
    """Every preset, and the file's own name when this mailgw does not know it: the control
    shows what the file holds (validation warns about the name), so nothing changes it."""
    options = [(_("Custom (fill in by hand)"), "custom")]
    options += [(presets.shown(p.label), name) for name, p in presets.providers().items()]
    if held not in {value for _label, value in options}:
        options.append((_("{name} (unknown preset)").format(name=held), held))
    return options
