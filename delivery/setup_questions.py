"""The wizard's questions: what each step asks, with defaults from the draft settings, and how a
typed answer is read. Pure, like the rest of the step model (`setup_flow`)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mailgw.config.model import AuthMethod, Gateway, Security, Settings
from mailgw.config.presets import oauth2_endpoints, platform_gateway, provider, providers, shown
from mailgw.config.schema import get_value
from mailgw.config.validate import OAUTH2, OAUTH2_NEEDS
from mailgw.delivery.kinds import KINDS
from mailgw.i18n import N_, _


class Kind(str, enum.Enum):
    """How a question is answered."""

    CHOICE = "choice"
    BOOL = "bool"
    INT = "int"
    TEXT = "text"
    MULTILINE = "multiline"  # the signature; the plain front reads it as one line with \n
    SECRET = "secret"  # never shown, asked twice, never in argv or the environment


# Answer names that are not settings keys: they feed the test send, not the file.
TEST_RECIPIENT = "test.recipient"
TEST_KIND = "test.kind"
DETECT = "detect"  # the action a front offers after the host question


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Question:
    """One thing to ask; `name` is the settings key it sets (or TEST_RECIPIENT / TEST_KIND)."""

    name: str
    label: str
    kind: Kind
    default: Any
    help: str = ""
    choices: tuple[Choice, ...] = ()
    action: str = ""  # DETECT: offer auto-detection once this question is answered
    has_current: bool = False  # SECRET: a value is already set, so an empty answer keeps it
    example: str = ""  # what an answer looks like, shown as a hint (never as a value)


def gateway_questions(current: Settings, answers: dict[str, Any]) -> list[Question]:
    choices = (
        Choice(Gateway.PLATFORM.value, _("The platform's managed gateway (recommended)")),
        Choice(Gateway.CUSTOM.value, _("Your own SMTP server")),
    )
    help_text = _("Mail leaves from {sender} until your own domain is authorised.").format(
        sender=platform_gateway().default_sender
    )
    return [_q(current, "smtp.gateway", _("Gateway"), Kind.CHOICE, help_text, choices)]


def server_questions(current: Settings, answers: dict[str, Any]) -> list[Question]:
    presets = providers()
    provider_choices = (
        Choice("custom", _("Other server (enter host, port and security)")),
        *(Choice(name, shown(preset.label)) for name, preset in presets.items()),
    )
    chosen = presets.get(current.smtp.provider)
    security_choices = (
        Choice(Security.STARTTLS.value, _("STARTTLS (usually port 587)")),
        Choice(Security.SSL.value, _("SSL/TLS from the first byte (usually port 465)")),
        Choice(Security.NONE.value, _("None: no encryption (usually port 25)")),
    )
    out = [
        _q(
            current,
            "smtp.provider",
            _("Provider"),
            Kind.CHOICE,
            _("A preset fills in the host, port and security; you can change them next."),
            provider_choices,
        ),
        _q(
            current,
            "smtp.host",
            _("Server host name or IP address"),
            Kind.TEXT,
            shown(chosen.notes) if chosen else "",
            action=DETECT,
        ),
        _q(current, "smtp.security", _("Security"), Kind.CHOICE, "", security_choices),
        _q(
            current,
            "smtp.port",
            _("Port"),
            Kind.INT,
            _("Filled in from the security choice; change it if your server uses another."),
        ),
    ]
    if current.smtp.security != Security.NONE:
        out.append(
            _q(
                current,
                "smtp.trust_all",
                _("Trust any certificate (self-signed servers)?"),
                Kind.BOOL,
                _("Anyone between this machine and the server could then read the mail."),
            )
        )
    return out


def auth_questions(current: Settings, answers: dict[str, Any]) -> list[Question]:
    auth = current.smtp.auth
    chosen = provider(current.smtp.provider)
    out = [
        _q(
            current,
            "smtp.auth.enabled",
            _("Does the server need a login?"),
            Kind.BOOL,
            shown(chosen.notes) if chosen else "",
        )
    ]
    if not auth.enabled:
        return out
    methods = (
        Choice(AuthMethod.PASSWORD.value, _("Password")),
        Choice(AuthMethod.OAUTH2.value, _("OAuth 2.0 (Microsoft 365 / Google)")),
    )
    method_help = _(
        "Microsoft 365 turns passwords for SMTP off by default from January 2027: "
        "choose OAuth 2.0 there."
    )
    out.append(
        _q(current, "smtp.auth.method", _("Sign in with"), Kind.CHOICE, method_help, methods)
    )
    hint = shown(chosen.username_hint) if chosen else ""
    out.append(_q(current, "smtp.auth.username", _("Username"), Kind.TEXT, hint))
    if auth.method == AuthMethod.OAUTH2:
        return out + oauth2_questions(current)
    if auth.password_file:  # kept in its own file: changed with `mailgw set-password`
        return out
    out.append(
        Question(
            "smtp.auth.password",
            _("Password"),
            Kind.SECRET,
            None,
            _("Typed without being shown; it is stored only in the config file."),
            has_current=bool(auth.password),
        )
    )
    return out


SECRET_FILE_HELP = N_(
    "A file (0600) holding the client secret; store the secret in it with "
    "`mailgw set-secret`, never in the config file."
)


def oauth2_questions(current: Settings) -> list[Question]:
    """What the chosen OAuth 2.0 provider needs (the keys validate.py requires of it)."""
    oauth2 = current.smtp.auth.oauth2
    endpoints = oauth2_endpoints()
    choices = tuple(Choice(name, shown(e.label)) for name, e in endpoints.items())
    out = [_q(current, OAUTH2 + "provider", _("OAuth 2.0 provider"), Kind.CHOICE, "", choices)]
    secret_help = _(SECRET_FILE_HELP)
    asked = {
        "tenant": (_("Directory (tenant) ID or domain"), ""),
        "client_id": (_("Application (client) ID"), ""),
        "client_secret_file": (_("Client secret file"), secret_help),
        "service_account_file": (_("Service account key file (JSON)"), ""),
        "token_url": (_("Token endpoint"), ""),
        "scope": (_("Scope"), ""),
    }
    needed = OAUTH2_NEEDS[oauth2.provider]
    for name, (label, help_text) in asked.items():
        if name in needed:
            out.append(_q(current, OAUTH2 + name, label, Kind.TEXT, help_text))
    return out


def sender_questions(current: Settings, answers: dict[str, Any]) -> list[Question]:
    sender_help = ""
    if current.smtp.gateway == Gateway.PLATFORM:
        sender_help = _(
            "With the platform's gateway, keep {sender} until your own domain is authorised."
        ).format(sender=platform_gateway().default_sender)
    return [
        _q(current, "email.from_address", _("Sender (From) address"), Kind.TEXT, sender_help),
        _q(current, "email.from_name", _("Display name"), Kind.TEXT),
        _q(
            current,
            "email.signature",
            _("Signature"),
            Kind.MULTILINE,
            _("Text appended to the end of every mail."),
        ),
    ]


def test_send_questions(current: Settings, answers: dict[str, Any]) -> list[Question]:
    labels = {
        "test": _("A plain test message"),
        "event": _("An event notification"),
        "report": _("A scheduled report with attachments"),
        "billing": _("A low-balance billing alert"),
    }
    kinds = tuple(Choice(kind, labels.get(kind, kind)) for kind in KINDS)
    return [
        Question(
            TEST_RECIPIENT, _("Send the test message to"), Kind.TEXT, "", example="you@example.com"
        ),
        Question(TEST_KIND, _("Message kind"), Kind.CHOICE, "test", choices=kinds),
    ]


BUILDERS: dict[str, Callable[[Settings, dict[str, Any]], list[Question]]] = {
    "gateway": gateway_questions,
    "server": server_questions,
    "auth": auth_questions,
    "sender": sender_questions,
    "test_send": test_send_questions,
}


def _q(
    current: Settings,
    key: str,
    label: str,
    kind: Kind,
    help_text: str = "",
    choices: tuple[Choice, ...] = (),
    action: str = "",
) -> Question:
    return Question(key, label, kind, get_value(current, key), help_text, choices, action)


class AnswerInvalid(ValueError):
    """Typed text that cannot be read as the question's kind; the message says what to type."""


_YES = frozenset({"y", "yes", "s", "sim", "true", "on", "1"})
_NO = frozenset({"n", "no", "nao", "não", "false", "off", "0"})


def parse_answer(question: Question, text: str) -> Any:
    """Read typed text as the question's kind; empty text gives the default."""
    text = text.strip() if question.kind != Kind.SECRET else text
    if text == "":
        return question.default
    if question.kind == Kind.CHOICE:
        return _parse_choice(question, text)
    if question.kind == Kind.BOOL:
        if text.lower() in _YES:
            return True
        if text.lower() in _NO:
            return False
        raise AnswerInvalid(_("answer y (yes) or n (no)"))
    if question.kind == Kind.INT:
        if not text.isdigit():
            raise AnswerInvalid(_("type a whole number, such as {example}").format(example=587))
        return int(text)
    if question.kind == Kind.MULTILINE:
        return text.replace("\\n", "\n")
    return text


def _parse_choice(question: Question, text: str) -> str:
    if text.isdigit() and 1 <= int(text) <= len(question.choices):
        return question.choices[int(text) - 1].value
    for choice in question.choices:
        if text.lower() == choice.value.lower():
            return choice.value
    raise AnswerInvalid(_("type a number from 1 to {count}").format(count=len(question.choices)))
