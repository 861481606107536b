"""The sample mails the platform sends, built from the config: test, event, report, billing."""

from __future__ import annotations

import datetime as dt
import html
import ipaddress
import uuid
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr

from mailgw.config.model import Settings
from mailgw.config.validate import has_control_chars
from mailgw.delivery import attachments
from mailgw.delivery.errors import MessageInvalid
from mailgw.delivery.kinds import KINDS  # noqa: F401 - part of this module's interface
from mailgw.i18n import _

TEST_ID_HEADER = "X-Mailgw-Test-Id"


@dataclass(frozen=True)
class Content:
    """One kind of message: subject, intro line and key facts shown as text and as a table."""

    subject: str
    intro: str
    facts: tuple[tuple[str, str], ...]


def _content(kind: str, today: dt.date) -> Content:
    day = today.isoformat()
    if kind == "event":
        return Content(
            "Geofence violation: Truck 12 left Depot North",
            "A device left a geofence it is assigned to.",
            (
                ("Device", "Truck 12 (IMEI 356938035643809)"),
                ("Event", "Left geofence Depot North"),
                ("Time", f"{day} 08:42 UTC"),
                ("Position", "52.5200 N, 13.4050 E"),
                ("Speed", "47 km/h"),
            ),
        )
    if kind == "report":
        return Content(
            f"Scheduled report: daily mileage {day}",
            "Your scheduled report is attached as PDF and Excel.",
            (("Report", "Daily mileage"), ("Period", day), ("Devices", "3")),
        )
    if kind == "billing":
        return Content(
            "Low balance: please top up your account",
            "Your account balance is below the alert threshold.",
            (("Balance", "4.80 EUR"), ("Alert threshold", "10.00 EUR"), ("Top up", "Billing")),
        )
    return Content(
        "mailgw test message",
        "This is a test message from mailgw: if you can read it, mail leaves this server.",
        (("Sent", f"{day}"), ("Kind", "test")),
    )


def build_message(
    settings: Settings, kind: str, to: str, *, now: dt.datetime | None = None
) -> EmailMessage:
    """A sample mail as the platform would send it: configured From, signature, both parts."""
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
    content = _content(kind, now.date())
    message = EmailMessage(policy=default_policy)
    try:
        message["From"] = Address(display_name=email.from_name, addr_spec=email.from_address)
    except Exception as exc:  # the header parser fails in many ways: ValueError, IndexError...
        raise MessageInvalid(
            _("email.from_address does not parse: {exc}").format(exc=exc)
        ) from None
    message["To"] = parse_recipient(to)
    message["Subject"] = content.subject
    message["Date"] = format_datetime(now)
    domain = email.from_address.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid("mailgw", domain=domain)  # domain given: no DNS lookup
    message[TEST_ID_HEADER] = uuid.uuid4().hex
    _set_body(message, content, email.signature)
    if kind == "report":
        _attach_report(message, content, now.date())
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
    if header.defects or len(addresses) != 1:
        raise MessageInvalid(problem)
    address = addresses[0]
    if not address.username or not _valid_domain(address.domain):
        raise MessageInvalid(problem)
    return Address(display_name=address.display_name, addr_spec=address.addr_spec)


def _valid_domain(domain: str) -> bool:
    if domain.startswith("[") and domain.endswith("]"):
        literal = domain[1:-1].removeprefix("IPv6:")
        try:
            ipaddress.ip_address(literal)
        except ValueError:
            return False
        return True
    return bool(domain) and all(domain.split("."))


def _set_body(message: EmailMessage, content: Content, signature: str) -> None:
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
        f"<html><body><p>{html.escape(content.intro)}</p><table>{rows}</table>{sig}</body></html>\n"
    )
    message.add_alternative(page, subtype="html", cte=_cte(page))


def _cte(text: str) -> str:
    """7bit when it is plain ASCII, else quoted-printable: safe on servers without 8BITMIME."""
    return "7bit" if text.isascii() else "quoted-printable"


def _attach_report(message: EmailMessage, content: Content, day: dt.date) -> None:
    lines = [f"{key}: {value}" for key, value in content.facts]
    rows = [
        ("Device", "Distance (km)", "Driving time (h)"),
        ("Truck 12", "184.2", "3.5"),
        ("Van 3", "96.7", "2.1"),
        ("Car 7", "41.0", "0.9"),
    ]
    lines += [" | ".join(row) for row in rows]
    name = f"mileage-{day.isoformat()}"
    message.add_attachment(
        attachments.pdf("Daily mileage report", lines),
        maintype="application",
        subtype="pdf",
        filename=f"{name}.pdf",
    )
    message.add_attachment(
        attachments.xlsx("Mileage", rows),
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


def envelope_recipients(message: EmailMessage) -> list[str]:
    headers = [str(v) for key in ("To", "Cc", "Bcc") for v in message.get_all(key, [])]
    return [address for _name, address in getaddresses(headers) if address]
