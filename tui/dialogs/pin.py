"""Asking before the console trusts a certificate: pin exactly this one, or accept any.

One place for the question, whichever pane asks it (a failed send or probe, a detect result,
the wizard). What a yes sets is `delivery.pinning`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mailgw.i18n import N_, _
from mailgw.tui.dialogs.choice import CANCEL, Choice, ChoiceDialog

if TYPE_CHECKING:
    from textual.app import App

    from mailgw.delivery.tls import TlsInfo

PIN = Choice("pin", N_("Pin this certificate"), "p")
TRUST_ANY = Choice("trust-any", N_("Trust any certificate"), "t")


def certificate_text(tls: TlsInfo) -> str:
    """What identifies the certificate: its SHA-256, its names, who issued it, until when."""
    return "\n".join(
        [
            _("SHA-256: {fingerprint}").format(fingerprint=tls.fingerprint_sha256),
            _("Names: {names}").format(names=", ".join(tls.sans) or tls.subject or "-"),
            _("Issuer: {issuer}").format(issuer=tls.issuer),
            _("Expires: {date}{expired}").format(
                date=tls.not_after, expired=" " + _("(expired)") if tls.expired else ""
            ),
        ]
    )


def pin_dialog(tls: TlsInfo, where: str, problem: str) -> ChoiceDialog:
    body = _(
        "The certificate of {where} is not trusted ({problem}). Pin it only if you trust "
        "this server: exactly this certificate will be accepted, and any other refused."
    ).format(where=where, problem=problem or _("not verified"))
    detail = certificate_text(tls)
    return ChoiceDialog(_("Pin this certificate?"), body, [PIN, CANCEL], detail=detail)


def trust_any_dialog(where: str) -> ChoiceDialog:
    body = _(
        "Accept any certificate from {where}? Anyone between this machine and the server "
        "could then read the mail and the password. Pinning the certificate is safer."
    ).format(where=where)
    return ChoiceDialog(_("Trust any certificate?"), body, [TRUST_ANY, CANCEL])


async def confirm_pin(app: App[object], tls: TlsInfo, where: str, problem: str) -> bool:
    """Ask before pinning; True when the admin said pin."""
    return await app.push_screen_wait(pin_dialog(tls, where, problem)) == PIN.value


async def confirm_trust_any(app: App[object], where: str) -> bool:
    """Ask before accepting any certificate; True when the admin said so."""
    return await app.push_screen_wait(trust_any_dialog(where)) == TRUST_ANY.value


def server_name(host: str, port: int) -> str:
    """How the dialogs name the server whose certificate is asked about."""
    return _("{host} port {port}").format(host=host, port=port)


async def trust_values(
    app: App[object], tls: TlsInfo, where: str, problem: str, *, pin: bool
) -> dict[str, Any] | None:
    """Ask, then the settings a yes sets (`delivery.pinning`); None when the admin said no."""
    from mailgw.delivery.pinning import pin_values, trust_any_values

    if pin:
        return (
            pin_values(tls.fingerprint_sha256)
            if await confirm_pin(app, tls, where, problem)
            else None
        )
    return trust_any_values() if await confirm_trust_any(app, where) else None
