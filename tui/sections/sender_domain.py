"""Sender domain: the platform's three steps as a checklist, the records, and live DNS checks.

Every lookup runs in a worker of its own group ("dns"), so saving and quitting never wait on
DNS; Esc cancels it. The worker only posts messages; the handlers below change the widgets.
"""

from __future__ import annotations

import asyncio
import getpass
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from mailgw.config.model import Gateway, Settings
from mailgw.config.printable import printable
from mailgw.i18n import N_, _, ngettext
from mailgw.tui import domain_text as text
from mailgw.tui.bindings import translate_bindings
from mailgw.tui.dialogs.zone_lines import ZoneLinesScreen
from mailgw.tui.dns_config import resolver_config
from mailgw.tui.sections.base import Section
from mailgw.tui.widgets.field import Field
from mailgw.tui.widgets.records_table import RecordsTable
from mailgw.tui.widgets.toggles import Check

if TYPE_CHECKING:  # the engines (dnspython, dkimpy) load on first use: a faster first frame
    from mailgw.delivery.domain import DomainReport
    from mailgw.delivery.records import Proposal, Record
    from mailgw.tui.app import MailgwApp

DEFAULT_RECHECK_SECONDS = 60
KEYS = (
    ("f5", "check", N_("Check"), "F5"),
    ("f7", "zone_lines", N_("Zone lines"), "F7"),
    ("f8", "toggle_auto", N_("Re-check"), "F8"),
    ("escape", "cancel_check", N_("Cancel check"), "Esc"),
)


@dataclass
class Checked(Message):
    """A check finished: the records (merged with the live SPF/DMARC) and what DNS says."""

    proposal: Proposal
    report: DomainReport


@dataclass
class CheckStarted(Message):
    """A check (or the next round of the auto re-check) began."""

    round: int


@dataclass
class CheckFailed(Message):
    """A check could not run; `reason` says why and what to do."""

    reason: str


class SenderDomainSection(Section):
    """Checklist, verification key, records table with live status, sender assignment."""

    BINDINGS = [
        Binding(key, action, description, key_display=display, id=f"domain.{action}")
        for key, action, description, display in KEYS
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        translate_bindings(self)
        self.report: DomainReport | None = None
        self._checked_for: tuple[str, str, str] | None = None
        self._shown = False  # the records are worked out when the tab is first shown

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static("", id="domain-checklist", markup=False)
        yield Label(_("1. Authenticate the domain"), classes="step-title")
        domain = Input(id="sender-domain", placeholder=_("the domain of the sender address"))
        yield Field("sender_domain.domain", domain, label=_("Domain"))
        key = Input(id="verification-key", placeholder=_("the key support sends you"))
        yield Field("sender_domain.verification_key", key, label=_("Verification key"))
        yield Static("", id="verification-record", markup=False)
        yield Label("", id="step-two-title", classes="step-title", markup=False)
        yield RecordsTable(id="records")
        yield Static("", id="record-detail", markup=False)
        with Horizontal(id="check-row"):
            yield Button(_("Check (F5)"), id="check", compact=True)
            yield Button(_("Zone lines (F7)"), id="zone-lines", compact=True)
            yield Check(_("Auto re-check every"), id="auto-recheck")
            yield Input(str(DEFAULT_RECHECK_SECONDS), id="recheck-seconds", type="number")
            yield Label(_("s"), id="recheck-unit")
        yield Static(_("Not checked yet: press F5 to ask DNS."), id="check-state", markup=False)
        yield Label(_("3. Assign the sender address"), classes="step-title")
        yield Field("", Input(id="sender-address"), label=_("Sender address"))
        yield Field("", Input(_login_name(), id="admin-login"), label=_("Admin login"))
        yield Button(_("Use as sender"), id="use-sender", compact=True, disabled=True)
        yield Static("", id="support-request", markup=False)

    # ------------------------------------------------------------ model <-> widgets

    def model_shown(self, settings: Settings) -> None:
        if self._shown:
            self._expectations_changed(settings)
        address = self.query_one("#sender-address", Input)
        if not address.value:
            address.value = settings.email.from_address

    def on_show(self) -> None:
        """First time on screen: work out the records (loading the DNS engine takes a while)."""
        if not self._shown:
            self._shown = True
            self._expectations_changed(self.console.session.settings)

    def _expectations_changed(self, settings: Settings) -> None:
        """New domain or key: show the records they need; old results no longer apply."""
        if not self._shown:
            return  # not while the console starts: keys typed meanwhile must not wait
        expectations = (
            settings.sender_domain_name(),
            settings.sender_domain.verification_key,
            settings.smtp.gateway.value,
        )
        if expectations == self._checked_for and self.report is not None:
            self._show_progress()
            return
        self._checked_for = expectations
        self.report = None
        from mailgw.delivery.records import SpfMergeError, records_for
        from mailgw.delivery.sender import SenderDomainError

        try:
            records = records_for(settings)
        except (SenderDomainError, SpfMergeError) as exc:
            records = []
            self._say(str(exc))
        else:
            self._say(_("Not checked yet: press F5 to ask DNS."))
        self._fill_table(records)
        self._show_verification(settings, records)
        self._show_progress()
        title = _("2. Authorise it: publish these records in {domain} (@ is the domain itself)")
        self.query_one("#step-two-title", Label).update(title.format(domain=self._domain() or "?"))

    # ------------------------------------------------------------ the records table

    @property
    def records(self) -> list[Record]:
        return self.query_one(RecordsTable).records

    def _fill_table(self, records: list[Record]) -> None:
        findings = self.report.findings if self.report is not None else None
        self.query_one(RecordsTable).show(records, findings, self._domain())
        self._show_detail()

    @on(RecordsTable.RowHighlighted, "#records")
    def _show_detail(self) -> None:
        current = self.query_one(RecordsTable).current()
        shown = text.detail(*current) if current is not None else ""
        self.query_one("#record-detail", Static).update(printable(shown))

    def _show_verification(self, settings: Settings, records: list[Record]) -> None:
        shown = self.query_one("#verification-record", Static)
        if settings.smtp.gateway is not Gateway.PLATFORM:
            shown.update(_("Not needed: your own SMTP server needs no verification record."))
            return
        record = next((r for r in records if text.check_of(r) == "verification"), None)
        if record is None:
            shown.update("")
            return
        shown.update(_("Add this TXT record:\n{line}").format(line=record.zone_line()))

    # ------------------------------------------------------------ checklist and step 3

    def _show_progress(self) -> None:
        settings = self.console.session.settings
        state = self._progress(settings)
        lines = text.checklist(state)
        self.query_one("#domain-checklist", Static).update(printable("\n".join(lines)))
        address = self.query_one("#sender-address", Input).value.strip()
        self.query_one("#use-sender", Button).disabled = not (
            state.authenticated and state.authorised and self._of_domain(address)
        )
        self._show_support_request(settings, state)

    def _progress(self, settings: Settings) -> text.Progress:
        findings = self.report.findings if self.report is not None else None
        platform = settings.smtp.gateway is Gateway.PLATFORM
        from_domain = settings.email.from_address.rpartition("@")[2]
        return text.progress(platform, findings, from_domain, self._domain())

    def _domain(self) -> str:
        return self._checked_for[0] if self._checked_for else ""

    def _of_domain(self, address: str) -> bool:
        local, _at, domain = address.partition("@")
        return bool(local) and bool(domain) and domain.lower() == self._domain().lower()

    def _show_support_request(self, settings: Settings, state: text.Progress) -> None:
        request = self.query_one("#support-request", Static)
        if not state.platform:
            request.update("")
            return
        login = self.query_one("#admin-login", Input).value.strip()
        address = self.query_one("#sender-address", Input).value.strip()
        if state.authenticated and state.authorised:
            heading = _("Every record is ok: send this to support to have the address assigned:")
        else:
            heading = _("Once every record is ok, send this to support:")
        body = text.support_request(self._domain(), login, address)
        request.update(printable(f"{heading}\n\n{body}"))

    @on(Input.Changed, "#sender-address, #admin-login")
    def _step_three_edited(self) -> None:
        self._show_progress()

    @on(Button.Pressed, "#use-sender")
    def _use_sender(self) -> None:
        """Set email.from_address in the model (saved with the rest on F2)."""
        address = self.query_one("#sender-address", Input).value.strip()
        assign_sender(self.app, address)
        self.notify(_("Sender set to {address}; save with F2.").format(address=address))
        self._show_progress()

    # ------------------------------------------------------------ checking

    def action_check(self) -> None:
        self._start_check(auto=self.query_one("#auto-recheck", Check).value)

    @on(Button.Pressed, "#check")
    def _check_pressed(self) -> None:
        self.action_check()

    def action_toggle_auto(self) -> None:
        toggle = self.query_one("#auto-recheck", Check)
        toggle.value = not toggle.value

    @on(Check.Changed, "#auto-recheck")
    def _auto_toggled(self, event: Check.Changed) -> None:
        if event.value:
            self._start_check(auto=True)
        else:
            self._cancel(_("Auto re-check stopped."))

    def action_cancel_check(self) -> None:
        if self._checking():
            self._cancel(_("Check cancelled."))
            toggle = self.query_one("#auto-recheck", Check)
            with toggle.prevent(Check.Changed):
                toggle.value = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Esc (cancel) is offered only while a check runs."""
        return self._checking() if action == "cancel_check" else True

    def _checking(self) -> bool:
        return any(w.group == "dns" and w.is_running for w in self.workers)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A check that broke on something unforeseen says so instead of staying "Checking"."""
        self.refresh_bindings()
        if event.worker.group == "dns" and event.state is WorkerState.ERROR:
            error = event.worker.error
            reason = f"{type(error).__name__}: {error}"
            self._say(
                _("The check stopped on an unexpected error ({reason}).").format(reason=reason)
            )

    def _cancel(self, said: str) -> None:
        self.workers.cancel_group(self, "dns")
        self._say(said)

    def _start_check(self, *, auto: bool) -> None:
        settings = self.console.session.settings.copy()
        self._expectations_changed(settings)
        every = self._recheck_seconds() if auto else None
        self._check(settings, every)

    def _recheck_seconds(self) -> float:
        try:
            seconds = float(self.query_one("#recheck-seconds", Input).value)
        except ValueError:
            return DEFAULT_RECHECK_SECONDS
        return max(seconds, 0.5)

    @work(exclusive=True, group="dns", exit_on_error=False)
    async def _check(self, settings: Settings, every: float | None) -> None:
        """One check, or (auto) one every `every` seconds until everything is ok."""
        from mailgw.delivery.domain import check_domain
        from mailgw.delivery.records import propose_records
        from mailgw.delivery.resolver import DnsConfigError
        from mailgw.delivery.sender import SenderDomainError, sender_setup

        try:
            sender_setup(settings)
            config = resolver_config(settings.dns.nameservers)
        except (SenderDomainError, DnsConfigError) as exc:
            self.post_message(CheckFailed(str(exc)))
            return
        round_number = 1
        while True:
            self.post_message(CheckStarted(round_number))
            proposal, report = await asyncio.gather(
                propose_records(settings, resolver_config=config),
                check_domain(settings, resolver_config=config),
            )
            self.post_message(Checked(proposal, report))
            if every is None or report.ok:
                return
            await asyncio.sleep(every)
            round_number += 1

    @on(CheckStarted)
    def _check_started(self, event: CheckStarted) -> None:
        if event.round == 1:
            self._say(_("Checking DNS… (Esc cancels)"))
        else:
            self._say(_("Checking again (round {n})… (Esc or F8 stops)").format(n=event.round))

    @on(CheckFailed)
    def _check_failed(self, event: CheckFailed) -> None:
        self._say(_("Cannot check: {reason}").format(reason=event.reason))

    @on(Checked)
    def _checked(self, event: Checked) -> None:
        self.report = event.report
        self._fill_table(event.proposal.records)
        self._say(self._summary(event.proposal, event.report))
        self._show_progress()
        if event.report.ok:  # the auto re-check has stopped by itself
            toggle = self.query_one("#auto-recheck", Check)
            with toggle.prevent(Check.Changed):
                toggle.value = False

    def _summary(self, proposal: Proposal, report: DomainReport) -> str:
        statuses = [f.status for f in report.findings]
        counts = ", ".join(
            text.status_count(status, sum(s is status for s in statuses))
            for status in dict.fromkeys(statuses)
        )
        head = ngettext(
            "Checked {n} record: {counts}.", "Checked {n} records: {counts}.", len(statuses)
        ).format(n=len(statuses), counts=counts)
        others = [f"{f.status.mark} MX: {f.title}" for f in report.findings if f.check == "mx"]
        notes = [*proposal.problems, *proposal.notes, *report.notes]
        return "\n".join([head, *others, *notes])

    def _say(self, message: str) -> None:
        self.query_one("#check-state", Static).update(printable(message))

    # ------------------------------------------------------------ zone lines

    def action_zone_lines(self) -> None:
        if self.records:
            self.app.push_screen(ZoneLinesScreen([r.zone_line() for r in self.records]))

    @on(Button.Pressed, "#zone-lines")
    def _zone_lines_pressed(self) -> None:
        self.action_zone_lines()


def assign_sender(app: MailgwApp, address: str) -> None:
    """Put `address` in the model as email.from_address and show it under Email settings."""
    app.edit("email.from_address", address)


def _login_name() -> str:
    """The admin's login as the support request's default (the user running mailgw)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no LOGNAME/USER and no passwd entry (a bare container)
        return ""
