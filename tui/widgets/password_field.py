"""The SMTP password: masked, revealed only on request, and never shown once stored.

The field starts empty. Left empty, the stored password is kept; typed in, it replaces the
stored one; the clear action (F4) erases it. So the stored password never reaches the screen.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from mailgw.i18n import N_, _
from mailgw.tui.bindings import translate_bindings

KEEP_HINT = N_("stored password kept; type to replace it")


class PasswordField(Vertical):
    """Masked password input with reveal (F3) and clear (F4)."""

    BINDINGS = [
        Binding("f3", "toggle_reveal", N_("Show/hide"), key_display="F3", id="password.reveal"),
        Binding("f4", "clear_stored", N_("Clear password"), key_display="F4", id="password.clear"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        translate_bindings(self)
        self._stored = ""
        self._cleared = False

    def compose(self) -> ComposeResult:
        yield Input(password=True, id="password-input", select_on_focus=False)
        yield Static("", id="password-state", markup=False)

    @property
    def input(self) -> Input:
        return self.query_one("#password-input", Input)

    def load(self, stored: str) -> None:
        """Start editing with `stored` as the saved password (never put into the field)."""
        self._stored, self._cleared = stored, False
        self.input.value = ""
        self.input.password = True
        self._show_state()

    def password(self) -> str:
        """The password a save should write."""
        typed = self.input.value
        if typed:
            return typed
        return "" if self._cleared else self._stored

    def action_toggle_reveal(self) -> None:
        self.input.password = not self.input.password
        self._show_state()

    def action_clear_stored(self) -> None:
        self._cleared = True
        self.input.value = ""
        self._show_state()
        self.post_message(Input.Changed(self.input, ""))

    def on_input_changed(self, event: Input.Changed) -> None:
        self._show_state()

    def _show_state(self) -> None:
        shown = "" if self.input.password else _(" (shown)")
        if self.input.value:
            state = _("new password typed; saved on save") + shown
        elif self._cleared:
            state = _("password will be erased on save")
        elif self._stored:
            state = _(KEEP_HINT)
        else:
            state = _("no password stored")
        self.input.placeholder = state if not self.input.value else ""
        self.query_one("#password-state", Static).update(
            _("F3 show/hide · F4 clear · {state}").format(state=state)
        )
