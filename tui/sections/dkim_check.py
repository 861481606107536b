"""DKIM check: paste a received message ("Show original") or name a file, and verify it.

The verification (key lookups) runs in a worker of its own group; Esc cancels it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Input, Static, TextArea
from textual.worker import Worker, WorkerState

from mailgw.config.printable import printable
from mailgw.i18n import N_, _
from mailgw.tui.bindings import translate_bindings
from mailgw.tui.dkim_text import report_text
from mailgw.tui.dns_config import resolver_config
from mailgw.tui.sections.base import Section
from mailgw.tui.widgets.field import Field, example

if TYPE_CHECKING:  # dkimpy and dnspython load on first use: a faster first frame
    from mailgw.delivery.dkim import DkimReport

KEYS = (
    ("f5", "verify", N_("Verify"), "F5"),
    ("escape", "cancel_verify", N_("Cancel verification"), "Esc"),
)


@dataclass
class Verified(Message):
    """The verdict on the message."""

    report: DkimReport


@dataclass
class VerifyFailed(Message):
    """The message could not be read or checked; `reason` says why."""

    reason: str


class DkimCheckSection(Section):
    """Message (pasted or from a file), Verify, and the verdict in plain words."""

    BINDINGS = [
        Binding(key, action, description, key_display=display, id=f"dkim.{action}")
        for key, action, description, display in KEYS
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        yield Static(
            _(
                'Paste a message you received through the gateway ("Show original" in the '
                "mailbox, all of it, headers included), or give the path of a saved .eml file."
            ),
            id="dkim-help",
            markup=False,
        )
        message = TextArea(id="dkim-message", soft_wrap=False, tab_behavior="focus")
        yield Field("", message, label=_("Message"))
        file = Input(id="dkim-file", placeholder=example("/path/message.eml"))
        yield Field("", file, label=_("or file"))
        with Horizontal(id="dkim-buttons"):
            yield Button(_("Verify (F5)"), id="dkim-verify", compact=True)
            yield Button(_("Clear"), id="dkim-clear", compact=True)
        yield Static(_("Not verified yet."), id="dkim-result", markup=False)

    # ------------------------------------------------------------ actions

    @on(Button.Pressed, "#dkim-verify")
    def action_verify(self) -> None:
        try:
            raw = self._message()
        except OSError as exc:
            self._show(_("Cannot read the file: {error}").format(error=exc.strerror or exc))
            return
        if not raw.strip():
            self._show(_("Paste a message or give a file path first."))
            return
        self._show(_("Verifying… (Esc cancels)"))
        self._verify(raw)

    @on(Button.Pressed, "#dkim-clear")
    def _clear(self) -> None:
        self.query_one("#dkim-message", TextArea).text = ""
        self.query_one("#dkim-file", Input).value = ""
        self._show(_("Not verified yet."))

    def action_cancel_verify(self) -> None:
        if self._verifying():
            self.workers.cancel_group(self, "dkim")
            self._show(_("Verification cancelled."))

    def _message(self) -> bytes:
        """The file's bytes when a path is given, else the pasted text."""
        from mailgw.delivery.dkim import MAX_MESSAGE_BYTES

        path = self.query_one("#dkim-file", Input).value.strip()
        if not path:
            return self.query_one("#dkim-message", TextArea).text.encode("utf-8")
        with Path(path).expanduser().open("rb") as handle:
            return handle.read(MAX_MESSAGE_BYTES + 1)  # one more: verify says it is too big

    @work(exclusive=True, group="dkim", exit_on_error=False)
    async def _verify(self, raw: bytes) -> None:
        from mailgw.delivery.dkim import MessageError, verify_message
        from mailgw.delivery.resolver import DnsConfigError

        try:
            configured = self.console.session.settings.dns.nameservers
            report = await verify_message(raw, resolver=resolver_config(configured))
        except (MessageError, DnsConfigError) as exc:
            self.post_message(VerifyFailed(str(exc)))
            return
        self.post_message(Verified(report))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Esc (cancel) is offered only while a verification runs."""
        return self._verifying() if action == "cancel_verify" else True

    def _verifying(self) -> bool:
        return any(w.group == "dkim" and w.is_running for w in self.workers)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A verification that broke on something unforeseen says so."""
        self.refresh_bindings()
        if event.worker.group == "dkim" and event.state is WorkerState.ERROR:
            error = event.worker.error
            reason = f"{type(error).__name__}: {error}"
            self._show(_("Cannot verify: {reason}").format(reason=reason))

    # ------------------------------------------------------------ results

    @on(Verified)
    def _verified(self, event: Verified) -> None:
        settings = self.console.session.settings
        self._show(report_text(event.report, settings.sender_domain_name()))

    @on(VerifyFailed)
    def _failed(self, event: VerifyFailed) -> None:
        self._show(_("Cannot verify: {reason}").format(reason=event.reason))

    def _show(self, text: str) -> None:
        self.query_one("#dkim-result", Static).update(printable(text))
