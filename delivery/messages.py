"""The sample mails the platform sends, built from the config: test, event, report, billing."""

from __future__ import annotations

import datetime as dt
import html
import ipaddress
import uuid
from dataclasses import dataclass
from email import errors
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr

from mailgw.config.idn import ascii_domain_address
from mailgw.config.model import Settings
from mailgw.config.validate import has_control_chars
from mailgw.delivery.errors import MessageInvalid
from mailgw.delivery.kinds import KINDS  # noqa: F401 - part of this module's interface
from mailgw.i18n import N_, _, language, translator

TEST_ID_HEADER = "X-Mailgw-Test-Id"


@dataclass(frozen=True)
class Content:
    """One kind of message: subject, intro line and key facts shown as text and as a table."""

    subject: str
    intro: str
    facts: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Sample:
    """The made-up facts of the sample mails where they depend on the reader's country."""

    locale: str  # babel's locale for dates, numbers and money
    currency: str
    position: tuple[float, str, float, str]  # latitude, N/S, longitude, E/W (as read there)
    date_format: str


SAMPLES = {
    "en": Sample("en_US", "EUR", (52.5200, "N", 13.4050, "E"), "medium"),
    "pt_BR": Sample("pt_BR", "BRL", (23.5505, "S", 46.6333, "O"), "short"),
}


class Formats:
    """Dates, numbers and money as the reader's language writes them (babel)."""

    def __init__(self, sample: Sample) -> None:
        self.sample = sample

    def date(self, day: dt.date) -> str:
        from babel.dates import format_date

        return format_date(day, self.sample.date_format, locale=self.sample.locale)

    def time(self, moment: dt.time) -> str:
        from babel.dates import format_time

        return format_time(moment, "short", locale=self.sample.locale)

    def number(self, value: float, pattern: str = "#,##0.0") -> str:
        from babel.numbers import format_decimal

        return format_decimal(value, pattern, locale=self.sample.locale)

    def money(self, value: float) -> str:
        from babel.numbers import format_currency

        return format_currency(value, self.sample.currency, locale=self.sample.locale)

    def position(self) -> str:
        lat, north_south, lon, east_west = self.sample.position
        lat_text, lon_text = (self.number(v, "0.0000") for v in (lat, lon))
        return f"{lat_text} {north_south}, {lon_text} {east_west}"


def _content(kind: str, today: dt.date, lang: str) -> Content:
    t, f = translator(lang), Formats(SAMPLES[lang])
    day = f.date(today)
    if kind == "event":
        return Content(
            t(N_("Geofence violation: Truck 12 left Depot North")),
            t(N_("A device left a geofence it is assigned to.")),
            (
                (t(N_("Device")), t(N_("Truck 12 (IMEI 356938035643809)"))),
                (t(N_("Event")), t(N_("Left geofence Depot North"))),
                (t(N_("Time")), f"{day} {f.time(dt.time(8, 42))} UTC"),
                (t(N_("Position")), f.position()),
                (t(N_("Speed")), "47 km/h"),
            ),
        )
    if kind == "report":
        return Content(
            t(N_("Scheduled report: daily mileage {day}")).format(day=day),
            t(N_("Your scheduled report is attached as PDF and Excel.")),
            (
                (t(N_("Report")), t(N_("Daily mileage"))),
                (t(N_("Period")), day),
                (t(N_("Devices")), "3"),
            ),
        )
    if kind == "billing":
        return Content(
            t(N_("Low balance: please top up your account")),
            t(N_("Your account balance is below the alert threshold.")),
            (
                (t(N_("Balance")), f.money(4.80)),
                (t(N_("Alert threshold")), f.money(10.00)),
                (t(N_("Top up")), t(N_("Billing"))),
            ),
        )
    return Content(
        t(N_("Email gateway test message")),
        t(N_("This is a test message from mailgw: if you can read it, mail leaves this server.")),
        ((t(N_("Sent")), day), (t(N_("Kind")), t(N_("test")))),
    )


def build_message(
    settings: Settings,
    kind: str,
    to: str,
    *,
    now: dt.datetime | None = None,
    lang: str | None = None,
) -> EmailMessage:
    """A sample mail as the platform would send it: configured From, signature, both parts.

    Its text is in `lang` ("en", "pt_BR"), by default the language mailgw runs in.
    """
    lang = lang if lang in SAMPLES else language()
    if kind not in KINDS:
        raise MessageInvalid(
            _("unknown message kind {kind!r}; choose one of {kinds}").format(
                kind=kind, kinds=", ".join(KINDS)
            )
        )
    email = settings.email
    for name, value in (("recipient", to), ("from", email.from_address), ("name", email.from_name)):
        if has_control_chars(value):
            raise MessageInvalid(
                _("the {name} contains a line break or NUL character").format(name=name)
            )
    now = now or dt.datetime.now(dt.timezone.utc)
    content = _content(kind, now.date(), lang)
    message = EmailMessage(policy=default_policy)
    try:  # an IDN domain as A-labels: the header stays ASCII unless the local part is not
        sender = ascii_domain_address(email.from_address)
        message["From"] = _address(email.from_name, sender)
    except Exception as exc:  # the header parser fails in many ways: ValueError, IndexError...
        raise MessageInvalid(
            _("email.from_address does not parse: {exc}").format(exc=exc)
        ) from None
    message["To"] = parse_recipient(to)
    message["Subject"] = content.subject
    message["Date"] = format_datetime(now)
    domain = sender.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid("mailgw", domain=domain)  # domain given: no DNS lookup
    message[TEST_ID_HEADER] = uuid.uuid4().hex
    _set_body(message, content, email.signature, lang)
    if kind == "report":
        _attach_report(message, content, now.date(), lang)
    # last: set_content drops Content-* headers and add_attachment moves them into a part
    message["Content-Language"] = lang.replace("_", "-")
    return message


def parse_recipient(text: str) -> Address:
    """One address, bare or as `Name <a@b>`; anything else raises MessageInvalid."""
    problem = _(
        "the recipient {text!r} is not one email address (name@domain or Name <name@domain>)"
    ).format(text=text)
    if has_control_chars(text):
        raise MessageInvalid(_("the recipient contains a line break or NUL character"))
    try:  # the parser fails in many ways (HeaderParseError, IndexError, AttributeError...)
        header = default_policy.header_factory("To", text)
        addresses = header.addresses
    except Exception:
        raise MessageInvalid(problem) from None
    defects = [d for d in header.defects if not isinstance(d, errors.NonASCIILocalPartDefect)]
    if defects or len(addresses) != 1:  # a non-ASCII local part is fine: sent over SMTPUTF8
        raise MessageInvalid(problem)
    address = addresses[0]
    if not address.username or not _valid_domain(address.domain):
        raise MessageInvalid(problem)
    try:
        spec = ascii_domain_address(address.addr_spec)  # an IDN domain as A-labels
    except ValueError:
        raise MessageInvalid(problem) from None
    return _address(address.display_name, spec)


def _address(display_name: str, spec: str) -> Address:
    """An address header value; by its parts, as a non-ASCII local part (SMTPUTF8) needs."""
    local, _at, domain = spec.rpartition("@")
    return Address(display_name=display_name, username=local, domain=domain)


def _valid_domain(domain: str) -> bool:
    if domain.startswith("[") and domain.endswith("]"):
        literal = domain[1:-1].removeprefix("IPv6:")
        try:
            ipaddress.ip_address(literal)
        except ValueError:
            return False
        return True
    return bool(domain) and all(domain.split("."))


def _set_body(message: EmailMessage, content: Content, signature: str, lang: str) -> None:
    text = [content.intro, ""] + [f"{key}: {value}" for key, value in content.facts]
    if signature:
        text += ["", "-- ", signature]
    body = "\n".join(text) + "\n"
    message.set_content(body, cte=_cte(body))
    rows = "".join(
        f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in content.facts
    )
    sig = ""
    if signature:
        sig = "<p>-- <br>" + html.escape(signature).replace("\n", "<br>\n") + "</p>"
    page = (
        f'<html lang="{lang.replace("_", "-")}"><body><p>{html.escape(content.intro)}</p>'
        f"<table>{rows}</table>{sig}</body></html>\n"
    )
    message.add_alternative(page, subtype="html", cte=_cte(page))


MAX_LINE_OCTETS = 998  # RFC 5322 2.1.1: a line, without its CRLF; servers refuse longer ones


def _cte(text: str) -> str:
    """7bit when it is plain ASCII in lines a server accepts, else quoted-printable (which
    wraps at 76): safe on servers without 8BITMIME, and with a signature of any length."""
    fits = all(len(line) <= MAX_LINE_OCTETS for line in text.splitlines())
    return "7bit" if text.isascii() and fits else "quoted-printable"


def _attach_report(message: EmailMessage, content: Content, day: dt.date, lang: str) -> None:
    from mailgw.delivery import attachments  # zipfile and xml: only the report carries files

    t, f = translator(lang), Formats(SAMPLES[lang])
    lines = [f"{key}: {value}" for key, value in content.facts]
    rows = [
        (t(N_("Device")), t(N_("Distance (km)")), t(N_("Driving time (h)"))),
        (t(N_("Truck 12")), f.number(184.2), f.number(3.5)),
        (t(N_("Van 3")), f.number(96.7), f.number(2.1)),
        (t(N_("Car 7")), f.number(41.0), f.number(0.9)),
    ]
    lines += [" | ".join(row) for row in rows]
    name = t(N_("mileage-{day}")).format(day=day.isoformat())
    message.add_attachment(
        attachments.pdf(t(N_("Daily mileage report")), lines),
        maintype="application",
        subtype="pdf",
        filename=f"{name}.pdf",
    )
    message.add_attachment(
        attachments.xlsx(t(N_("Mileage")), rows),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=f"{name}.xlsx",
    )


def check_message(message: EmailMessage) -> None:
    """Refuse header values that would inject headers, before any connection is made."""
    for name, value in message.items():
        if has_control_chars(str(value)):
            raise MessageInvalid(
                _("the {name} header contains a line break or NUL character").format(name=name)
            )
    if not envelope_sender(message):
        raise MessageInvalid(_("the message has no From address"))
    if not envelope_recipients(message):
        raise MessageInvalid(_("the message has no recipient"))


def envelope_sender(message: EmailMessage) -> str:
    return parseaddr(str(message.get("From", "")))[1]


def wire_addresses(message: EmailMessage) -> tuple[str, list[str]]:
    """The envelope sender and recipients as sent: every domain in A-labels (IDN)."""
    sender = ascii_domain_address(envelope_sender(message))
    return sender, [ascii_domain_address(a) for a in envelope_recipients(message)]


def envelope_recipients(message: EmailMessage) -> list[str]:
    headers = [str(v) for key in ("To", "Cc", "Bcc") for v in message.get_all(key, [])]
    return [address for _name, address in getaddresses(headers) if address]
