"""Asking before the console takes a detect result without TLS where TLS is configured."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailgw.i18n import N_, _
from mailgw.tui.dialogs.choice import CANCEL, Choice, ChoiceDialog

if TYPE_CHECKING:
    from textual.app import App

SEND_IN_CLEAR = Choice("send-in-clear", N_("Send in clear anyway"), "c")


def downgrade_dialog(risk: str) -> ChoiceDialog:
    body = _(
        "{risk}. Use it only if you know this server has no TLS; otherwise check the network "
        "path and detect again."
    ).format(risk=risk[:1].upper() + risk[1:])
    # Cancel first: it has the focus, so Enter keeps the configured security
    return ChoiceDialog(_("Send mail in clear?"), body, [CANCEL, SEND_IN_CLEAR])


async def confirm_downgrade(app: App[object], risk: str) -> bool:
    """Ask before taking plain text where TLS is configured; True when the admin said so."""
    return await app.push_screen_wait(downgrade_dialog(risk)) == SEND_IN_CLEAR.value
