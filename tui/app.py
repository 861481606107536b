"""The console: a status line, one tab per section, the keys in the footer.

Thin on purpose: sections edit the model (sections/), conversations live in flows.py, dialogs
in dialogs/, file work in session.py. New panes join by being added to SECTIONS.

Over SSH every byte and every millisecond of start-up counts (benchmarks/tui_startup.py,
benchmarks/tui_ssh.py): the hidden tabs are imported and filled after the first whole frame,
nothing animates and no cursor blinks, so an idle console writes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import signal
import sys
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen
from textual.widgets import (
    Checkbox,
    Input,
    RadioSet,
    Select,
    TabbedContent,
    TabPane,
    TextArea,
)

from mailgw.config.editing import EditSession
from mailgw.config.model import Gateway, Security
from mailgw.config.printable import printable
from mailgw.i18n import N_, _
from mailgw.tui import field_binding, flows
from mailgw.tui.bindings import translate_bindings
from mailgw.tui.dialogs.broken_file import BrokenFileScreen
from mailgw.tui.dialogs.too_small import TooSmallScreen, too_small
from mailgw.tui.sections.base import Section
from mailgw.tui.widgets.footer import KeysFooter
from mailgw.tui.widgets.section_tabs import SectionTabs
from mailgw.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from mailgw.delivery.detect import Candidate


@dataclass(frozen=True)
class Pane:
    """One tab of the console; its section's module is imported when the tab is filled."""

    tab_id: str
    title: str  # a msgid
    module: str  # under mailgw.tui.sections
    section: str  # the Section subclass in it

    def section_class(self) -> type[Section]:
        found = getattr(importlib.import_module(f"mailgw.tui.sections.{self.module}"), self.section)
        assert issubclass(found, Section)
        return found


# In tab order; a new pane joins by being listed here.
SECTIONS: tuple[Pane, ...] = (
    Pane("smtp-server", N_("SMTP server"), "smtp_server", "SmtpServerSection"),
    Pane("email-settings", N_("Email settings"), "email_settings", "EmailSettingsSection"),
    Pane("sender-domain", N_("Sender domain"), "sender_domain", "SenderDomainSection"),
    Pane("test-send", N_("Test send"), "test_send", "TestSendSection"),
    Pane("dkim-check", N_("DKIM check"), "dkim_check", "DkimCheckSection"),
)


class MailgwApp(App[None]):
    """mailgw's full-screen console over one config file."""

    TITLE = "mailgw"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = False
    # How soon a save by another front shows here: one small read, no repaint when unchanged.
    FILE_WATCH_SECONDS: float | None = 2.0
    BINDINGS = [
        Binding("f2,ctrl+s", "save", N_("Save"), key_display="F2/^S", id="app.save", priority=True),
        # priority: a TextArea binds F6 itself (select line); sections switch from every widget
        Binding(
            "f6", "next_section", N_("Sections"), key_display="F6", id="app.next", priority=True
        ),
        Binding(
            "f10,ctrl+q", "quit", N_("Quit"), key_display="F10/^Q", id="app.quit", priority=True
        ),
    ]

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A toast; its text (a path, a host, a server's reply) is never markup nor a control
        code, whoever asks for it (a widget's notify passes markup=True by default)."""
        super().notify(
            printable(message),
            title=printable(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def __init__(
        self, config_path: Path, *, session: EditSession | None = None, wizard: bool = False
    ) -> None:
        super().__init__()
        # Still over SSH: no slide of the tab underline, no blinking cursor (on_descendant_focus).
        # Always, not only when SSH_CONNECTION is set: `sudo -i` and `su -` drop it, and mailgw
        # is run as root; a steady cursor shows where typing goes just as well.
        self.animation_level = "none"
        translate_bindings(self)
        self.config_path = config_path
        self.session = session or EditSession.open(config_path)
        self._sections_loaded = False
        self._state_refresh_pending = False
        self._disk_change_told = False
        self.start_wizard = wizard  # open the first-run wizard over the console
        self.detect_candidates: tuple[Candidate, ...] | None = None  # None: the usual ports

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        with SectionTabs(id="sections"):
            for index, pane in enumerate(SECTIONS):
                with TabPane(_(pane.title), id=pane.tab_id):
                    if index == 0:  # the others after the first whole frame
                        yield pane.section_class()(id=f"{pane.tab_id}-form")
        yield KeysFooter()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """A text field's cursor stays shown: a blink repaints it twice a second, forever."""
        if isinstance(event.widget, (Input, TextArea)):
            event.widget.cursor_blink = False

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size)

    def _fit(self, size: Size) -> None:
        """Below the size the screens are laid out for, say so instead of cutting words."""
        screen = self.screen
        if not too_small(size):
            if isinstance(screen, TooSmallScreen):
                self.pop_screen()
        elif isinstance(screen, TooSmallScreen):
            screen.show(size)
        else:
            self.push_screen(TooSmallScreen())
            self.call_after_refresh(self._fit, size)  # fill it in once it is shown

    def on_mount(self) -> None:
        self._catch_hangup()
        self.call_after_refresh(self._fit, self.size)
        self.query_one(StatusLine).path = str(self.config_path)
        if self.session.read_only:
            self._show_broken_file()
        else:
            self.load_sections()
            if self.start_wizard:
                self.open_wizard()
        if self.FILE_WATCH_SECONDS:
            self.set_interval(self.FILE_WATCH_SECONDS, self._watch_file)

    def open_wizard(self) -> None:
        """The first-run wizard over the console; the console shows what it saves."""
        from mailgw.delivery.setup_wizard import Wizard
        from mailgw.tui.wizard import WizardScreen

        assert self.session.loaded is not None
        self.push_screen(WizardScreen(Wizard(self.session.loaded)))

    @on(KeysFooter.KeysShown)
    def _first_frame_whole(self) -> None:
        """The first screen (the console, or the wizard over it) is whole with its keys: now
        the hidden tabs are filled, after the frame that draws them."""
        self.call_after_refresh(self._fill_next_hidden_tab)

    def _fill_next_hidden_tab(self) -> None:
        """One tab per frame, so that keys typed meanwhile wait for one tab at most."""
        empty = [pane for pane in SECTIONS if not self._tab_pane(pane).query(Section)]
        if empty and self.is_running:
            self._fill_tab(empty[0])
            self.call_after_refresh(self._fill_next_hidden_tab)

    @on(TabbedContent.TabActivated)
    def _shown_tab(self, event: TabbedContent.TabActivated) -> None:
        """A tab shown before its turn (F6 or a click at once) is filled now; the section shows
        the model and takes the cursor once mounted (section_mounted)."""
        pane = next((p for p in SECTIONS if p.tab_id == event.pane.id), None)
        if event.tabbed_content.id == "sections" and pane and not event.pane.query(Section):
            self._fill_tab(pane)

    def _tab_pane(self, pane: Pane) -> TabPane:
        return self.query_one(f"#{pane.tab_id}", TabPane)

    def _fill_tab(self, pane: Pane) -> None:
        """The tab gets its section, its module imported now (a faster first frame)."""
        self._tab_pane(pane).mount(pane.section_class()(id=f"{pane.tab_id}-form"))

    def detect_order(self, port: int, security: Security) -> list[Candidate]:
        """The ports detect tries: the one on screen first, then `--detect-ports` or the
        usual ones."""
        from mailgw.delivery.detect import DEFAULT_CANDIDATES, typed_first

        return typed_first(self.detect_candidates or DEFAULT_CANDIDATES, port, security)

    def sections(self) -> list[Section]:
        """The sections with their fields: a tab still being filled has none to show yet (it
        shows the model itself once mounted, section_mounted)."""
        return [section for section in self.query(Section) if section.is_mounted]

    def active_section(self) -> Section | None:
        """The section on screen, or None while its tab is still being filled."""
        tabs = self.query_one(TabbedContent)
        found = self.query(f"#{tabs.active}-form").results(Section)
        return next(found, None)

    # ------------------------------------------------------------ model <-> widgets

    def load_sections(self) -> None:
        """Show the session's settings in every section, as just read or written."""
        self.show_model(fresh=True)
        self._sections_loaded = True
        self.refresh_bindings()
        self._focus_active_section()
        self.refresh_state()

    def show_model(self, *, fresh: bool = False) -> None:
        """Every section shows the session's settings."""
        for section in self.sections():
            section.show_model(fresh=fresh)

    def section_mounted(self, section: Section) -> None:
        """A lazily mounted section joins: it shows the model as it is now."""
        if self._sections_loaded:
            section.show_model(fresh=True)
            self.schedule_refresh_state()
            if section is self.active_section():
                section.focus_first()

    def edit(self, key: str, value: object) -> None:
        """Change one setting from a pane or dialog (a pin, a sender) and show it everywhere."""
        self.edit_many({key: value})

    def edit_many(self, values: dict[str, object]) -> None:
        self.session.update(values)
        self.show_model()
        self.schedule_refresh_state()

    def refresh_state(self) -> None:
        """Validation under each field and the status line, from the model."""
        if not self._sections_loaded or self.session.read_only:
            return
        problems = self.session.problems()
        for section in self.sections():
            section.show_problems(problems)
        status = self.query_one(StatusLine)
        status.modified = self.session.is_modified()
        status.read_only = False
        smtp = self.session.settings.smtp
        custom = _("custom SMTP {host}:{port}").format(host=smtp.host or "?", port=smtp.port)
        status.gateway = _("platform gateway") if smtp.gateway == Gateway.PLATFORM else custom

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(RadioSet.Changed)
    @on(Select.Changed)
    @on(TextArea.Changed)
    def _edited(self, event: Message) -> None:
        """A bound control changed: the edit goes into the session, the model back out."""
        field = field_binding.bound_field(getattr(event, "control", None))
        editable = self._sections_loaded and not self.session.read_only
        # a wizard's question is a field too: only the console's own fields edit the session
        if field is not None and editable and field.screen is self.screen_stack[0]:
            if field_binding.write(self.session, field, event):
                self.show_model()
        self.schedule_refresh_state()

    def schedule_refresh_state(self) -> None:
        """One refresh_state after the next frame, however many edits or mounts asked for it.

        Loading a form fires a Changed per field and each lazily mounted tab asks too: run for
        each, validation of every section costs 200 ms at start (benchmarks/).
        """
        if not self._state_refresh_pending:
            self._state_refresh_pending = True
            self.call_after_refresh(self._run_scheduled_refresh)

    def _run_scheduled_refresh(self) -> None:
        self._state_refresh_pending = False
        self.refresh_state()

    def after_save(self) -> None:
        """The file holds the model now: show it as read (the password field empties)."""
        self.load_sections()

    def after_reload(self) -> None:
        if self.session.read_only:
            self._show_broken_file()
        else:
            self.load_sections()

    def _watch_file(self) -> None:
        """Another front or admin saved the file: show theirs, or say so over unsaved edits."""
        session = self.session
        if session.read_only or isinstance(self.screen, ModalScreen):
            return
        if not session.changed_on_disk():
            self._disk_change_told = False
            return
        if not session.is_modified():
            self._run_flow(flows.reload(self, quiet=True))
        elif not self._disk_change_told:
            self._disk_change_told = True
            self.notify(
                _(
                    "{path} was changed by another program. Your edits are kept; "
                    "on save you choose: keep yours on top of theirs, compare, or overwrite."
                ).format(path=session.path),
                severity="warning",
                timeout=10,
            )

    # ------------------------------------------------------------ actions

    def action_save(self) -> None:
        if not self.session.read_only and self._sections_loaded:
            self._run_flow(flows.save(self))

    async def action_quit(self) -> None:
        self._run_flow(flows.quit_asking(self))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No app keys under a dialog (it is answering one), none but quit while read-only."""
        if action not in ("save", "next_section", "quit"):
            return True
        if isinstance(self.screen, ModalScreen):
            return False
        return action == "quit" or not self.session.read_only

    def action_next_section(self) -> None:
        tabs = self.query_one(TabbedContent)
        ids = [pane.tab_id for pane in SECTIONS]
        tabs.active = ids[(ids.index(tabs.active) + 1) % len(ids)]
        # the cursor leaves the old tab now, not when the new one takes it (SectionTabs); a
        # tab still being filled takes it once mounted (section_mounted)
        self.screen.set_focus(None)
        self._focus_active_section()

    def _focus_active_section(self) -> None:
        section = self.active_section()
        if section is not None:
            section.focus_first()

    @work(exclusive=True, group="flow")
    async def _run_flow(self, flow: Awaitable[object]) -> None:
        await flow

    # ------------------------------------------------------------ broken file

    def _show_broken_file(self) -> None:
        assert self.session.broken is not None
        self._sections_loaded = False
        self.query_one(StatusLine).read_only = True
        self.refresh_bindings()
        self.push_screen(BrokenFileScreen(self.session.broken), self._broken_file_choice)

    @work(exclusive=True, group="flow")
    async def _broken_file_choice(self, choice: str | None) -> None:
        if choice == "defaults":
            backup = self.session.start_from_defaults()
            self.notify(
                _("The broken file is backed up to {backup}; it is replaced on save.").format(
                    backup=backup
                )
            )
            self.load_sections()
        elif choice == "reload":
            await flows.reload(self)
        else:
            self.exit()

    # ------------------------------------------------------------ safety

    def _catch_hangup(self) -> None:
        """SSH dropped or asked to stop: leave through the normal exit (terminal restored)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not main thread (tests)
                loop.add_signal_handler(sig, self.exit)

    def _fatal_error(self) -> None:
        """Textual's crash screen, without local variables: they may hold the password."""
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(Segments(self.console.render(traceback)))
        self._close_messages_no_wait()


def run(
    config_path: Path, wizard: bool = False, detect_candidates: Sequence[Candidate] | None = None
) -> None:
    """Open the console on `config_path`, with the first-run wizard over it when asked or when
    there is no config file yet; an unreadable file raises before the screen opens.
    `detect_candidates` are the ports detection tries after the one on screen."""
    session = EditSession.open(config_path)
    fresh = session.loaded is not None and not session.loaded.exists
    app = MailgwApp(config_path, session=session, wizard=wizard or fresh)
    app.detect_candidates = tuple(detect_candidates) if detect_candidates else None
    app.run()
    if app.return_code:
        sys.exit(app.return_code)
