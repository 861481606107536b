"""Same input, same result, same message, in every front (issue 10).

Each case is a starting file and the edits a person makes, `(key, text)` in order. The case
runs twice, from two identical copies of the file:

- **command**: the installed `mailgw` in a subprocess. Consecutive edits go into ONE
  `mailgw set k1=v1 k2=v2 ...` in the order given (one read, one save, as the console does);
  the password is never on a command line, so a password edit is `mailgw set-password --stdin`.
- **console**: `MailgwApp` under Pilot at 80x24. Each edit is entered as a person does: the
  tab of its field is brought up with F6, its control focused, an Input cleared (End, Ctrl+U)
  and typed into key by key, a RadioSet or the preset Select moved with the arrows and chosen
  with Enter, a Checkbox toggled with Space, the signature's TextArea selected (F7) and
  retyped. Then F2 once, and Enter on the dialog that comes.

Why that mapping is a fair "same input": both fronts read once and save once. The editing
layer applies keys given together before its rules (`EditSession.update`: "the keys given win
over every rule") while the console applies each keystroke as it comes, so the two can only
differ when a rule moves a key that the person then types again in the same session (e.g. a
standard port typed *before* choosing the security). No case here depends on that order; a
case with several edits is one where the sequence and the set agree, and the result is also
asserted outright (the port in the file...), so both fronts wrong in the same way still fails.

Compared: a saved case leaves byte-identical files and the same mode; a refused case leaves
both files byte for byte as they were, and the command's one-line refusal lists exactly the
problems of the console's "Cannot save yet" dialog, in the same order, each also under its
field; "nothing changed" is said by both. After a save, the warnings the command prints are
those the console shows under its fields (keys it has no field for aside).

What a front cannot be given is left out, not faked: a line break typed into a one-line
Input (Textual keeps the first line of a paste, so `from_name = "Fleet\\nBcc: x"` comes from
the file here), letters or a sixth digit in the Port field (the field refuses those keys), and
the keys the console has no field for (timeout, DKIM selectors: their problems come from the
file, and both fronts must still refuse to save over them).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from textual.pilot import Pilot
from textual.widgets import (
    Checkbox,
    Input,
    OptionList,
    RadioButton,
    RadioSet,
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from mailgw.config.schema import KEYS, get_value, parse_value
from mailgw.tui.app import MailgwApp
from mailgw.tui.dialogs.choice import ChoiceDialog
from mailgw.tui.widgets.field import Field
from mailgw.tui.widgets.password_field import PasswordField
from mailgw.tui.widgets.status_line import StatusLine
from tests.cli.mailgw_runner import MAILGW

from .conftest import EXISTING
from .pilot_helpers import wait_until

PIN = ":".join(["AB"] * 32)

# ---------------------------------------------------------------- starting files

PLATFORM = """\
# as installed: the platform's gateway
schema_version = 1

[smtp]
gateway = "platform"

[email]
from_address = "no-reply@x-gpsmail.com"
"""

LOGIN = EXISTING  # a custom server with a login, comments and the platform's own keys

PINNED = f"""\
schema_version = 1

[smtp]
gateway = "custom"
host = "mail.example.com"
port = 465
security = "ssl"
trust_all = true
tls_fingerprint = "{PIN}"

[email]
from_address = "alerts@example.com"
"""

PORT_25 = """\
schema_version = 1

[smtp]
gateway = "custom"
host = "relay.example.com"
port = 25
security = "starttls"

[email]
from_address = "alerts@example.com"
"""

PORT_2525 = PORT_25.replace("port = 25", "port = 2525")

# a login switched off, a username kept: a preset must not switch it back on
LOGIN_OFF = LOGIN.replace("enabled = true", "enabled = false")

# a password kept, no username, login off: a preset that names a login switches it on
PASSWORD_ONLY = """\
schema_version = 1

[smtp]
gateway = "platform"

[smtp.auth]
password = "kept-secret"

[email]
from_address = "alerts@example.com"
"""

INJECTED_NAME = PINNED.replace(
    'from_address = "alerts@example.com"',
    'from_address = "alerts@example.com"\nfrom_name = "Fleet\\nBcc: x@evil.example"',
)
SHORT_TIMEOUT = PINNED.replace('security = "ssl"', 'security = "ssl"\ntimeout = 0.5')
BAD_SELECTORS = PINNED + '\n[sender_domain]\ndkim_selectors = ["s1", "bad selector"]\n'


# ---------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    name: str
    start: str
    edits: tuple[tuple[str, str], ...]
    saved: dict[str, Any] = field(default_factory=dict)  # key -> value in the saved file
    refused: tuple[tuple[str, str], ...] = ()  # (key, start of the message) of each error
    unchanged: bool = False  # "nothing changed": neither front writes
    warnings: tuple[tuple[str, str], ...] = ()  # (key, start of the message) after the save
    mode: int = 0o600
    saved_mode: int = 0o600


CASES = [
    # port follows security
    Case(
        "none-moves-465-to-25-and-clears-trust-all",
        PINNED,
        (("smtp.security", "none"),),
        {"smtp.port": 25, "smtp.trust_all": False, "smtp.tls_fingerprint": PIN},
        warnings=(("smtp.security", "mail to mail.example.com crosses the network"),),
    ),
    Case("starttls-25-to-ssl-gives-465", PORT_25, (("smtp.security", "ssl"),), {"smtp.port": 465}),
    Case("hand-port-2525-stays", PORT_2525, (("smtp.security", "ssl"),), {"smtp.port": 2525}),
    Case(
        "ssl-then-587-by-hand-kept-with-warning",
        LOGIN,
        (("smtp.security", "ssl"), ("smtp.port", "587")),
        {"smtp.security": "ssl", "smtp.port": 587},
        warnings=(("smtp.port", "port 587 usually does not speak SSL"),),
    ),
    Case(
        "none-with-a-login-refused",
        LOGIN,
        (("smtp.security", "none"),),
        refused=(("smtp.security", "the login would cross the network unencrypted"),),
    ),
    # the port as typed
    Case("port-typed", LOGIN, (("smtp.port", "2525"),), {"smtp.port": 2525}),
    Case(
        "port-empty",
        LOGIN,
        (("smtp.port", ""),),
        refused=(("smtp.port", "smtp.port must be a whole number, not ''"),),
    ),
    Case(
        "port-70000",
        LOGIN,
        (("smtp.port", "70000"),),
        refused=(("smtp.port", "70000 is out of range; use 1 to 65535"),),
    ),
    Case(
        "port-empty-and-bad-from-both-said",
        LOGIN,
        (("smtp.port", ""), ("email.from_address", "bad")),
        refused=(
            ("smtp.port", "smtp.port must be a whole number"),
            ("email.from_address", "'bad' is not a valid email address"),
        ),
    ),
    # presets
    Case(
        "gmail-fills-the-server",
        LOGIN,
        (("smtp.provider", "gmail"),),
        {
            "smtp.provider": "gmail",
            "smtp.host": "smtp.gmail.com",
            "smtp.security": "ssl",
            "smtp.port": 465,
            "smtp.auth.enabled": True,
        },
    ),
    Case(
        "gmail-switches-the-login-on-and-asks-for-it",
        PINNED,
        (("smtp.provider", "gmail"),),
        refused=(
            ("smtp.auth.username", "authentication is on but the username is empty"),
            ("smtp.auth.password", "authentication is on but no password is set"),
        ),
    ),
    Case(
        "sendgrid-from-the-platform-with-its-username",
        PASSWORD_ONLY,
        (
            ("smtp.gateway", "custom"),
            ("smtp.provider", "sendgrid"),
            ("smtp.auth.username", "apikey"),
        ),
        {
            "smtp.gateway": "custom",
            "smtp.host": "smtp.sendgrid.net",
            "smtp.port": 587,
            "smtp.security": "starttls",
            "smtp.auth.enabled": True,
            "smtp.auth.username": "apikey",
            "smtp.auth.password": "kept-secret",
        },
    ),
    Case(
        "gmail-keeps-a-login-switched-off",
        LOGIN_OFF,
        (("smtp.provider", "gmail"),),
        {"smtp.host": "smtp.gmail.com", "smtp.port": 465, "smtp.auth.enabled": False},
    ),
    # host, pin and trust_all
    Case(
        "new-host-drops-pin-and-trust-all",
        PINNED,
        (("smtp.host", "other.example"),),
        {"smtp.host": "other.example", "smtp.tls_fingerprint": "", "smtp.trust_all": False},
    ),
    Case(
        "back-to-the-saved-host-brings-them-back",
        PINNED,
        (("smtp.host", "other.example"), ("smtp.host", "MAIL.example.com")),
        {"smtp.host": "MAIL.example.com", "smtp.tls_fingerprint": PIN, "smtp.trust_all": True},
        warnings=(("smtp.trust_all", "any certificate is accepted"),),
    ),
    Case(
        "back-to-the-saved-host-exactly-changes-nothing",
        PINNED,
        (("smtp.host", "other.example"), ("smtp.host", "mail.example.com")),
        unchanged=True,
    ),
    Case(
        "host-typed-with-spaces-is-trimmed",
        LOGIN,
        (("smtp.host", "  mx2.example.com "),),
        {"smtp.host": "mx2.example.com"},
    ),
    Case(
        "host-not-a-name",
        LOGIN,
        (("smtp.host", "mx_2.example.com"),),
        refused=(("smtp.host", "'mx_2.example.com' is not a valid host name or IP address"),),
    ),
    # the login
    Case("login-off", LOGIN, (("smtp.auth.enabled", "false"),), {"smtp.auth.enabled": False}),
    Case(
        "new-password",
        LOGIN,
        (("smtp.auth.password", "n3w-secret"),),
        {"smtp.auth.password": "n3w-secret"},
    ),
    Case(
        "world-readable-inline-password-saved-narrowed",
        LOGIN,
        (("email.from_name", "Fleet Ops"),),
        {"email.from_name": "Fleet Ops"},
        warnings=(("smtp.auth.password", "the password in <config> is readable by its group"),),
        mode=0o644,
        saved_mode=0o640,
    ),
    # gateway
    Case(
        "custom-without-a-host",
        PLATFORM,
        (("smtp.gateway", "custom"),),
        refused=(("smtp.host", "a custom SMTP server needs a host name"),),
    ),
    Case(
        "custom-with-a-host",
        PLATFORM,
        (("smtp.gateway", "custom"), ("smtp.host", "mx.fleet.example")),
        {"smtp.gateway": "custom", "smtp.host": "mx.fleet.example", "smtp.port": 587},
    ),
    Case(
        "back-to-the-platform",
        LOGIN,
        (("smtp.gateway", "platform"),),
        {"smtp.gateway": "platform", "smtp.host": "mail.example.com"},
    ),
    # email settings
    Case("same-name-nothing-changed", LOGIN, (("email.from_name", "Fleet"),), unchanged=True),
    Case(
        "bad-from",
        LOGIN,
        (("email.from_address", "bad"),),
        refused=(("email.from_address", "'bad' is not a valid email address"),),
    ),
    Case(
        "header-injection-in-the-name-from-the-file",
        INJECTED_NAME,
        (("email.from_address", "ops@fleet.example"),),
        refused=(("email.from_name", "must not contain line breaks or NUL characters"),),
    ),
    Case(
        "signature-on-two-lines",
        LOGIN,
        (("email.signature", "Fleet desk\n+1 555 0100"),),
        {"email.signature": "Fleet desk\n+1 555 0100"},
    ),
    # sender domain
    Case(
        "sender-domain",
        PLATFORM,
        (("sender_domain.domain", "fleet.example"),),
        {"sender_domain.domain": "fleet.example"},
    ),
    Case(
        "verification-key-with-spaces",
        PLATFORM,
        (("sender_domain.verification_key", "abc 123"),),
        refused=(("sender_domain.verification_key", "'abc 123' is not a verification key"),),
    ),
    # problems of keys the console has no field for, already in the file
    Case(
        "timeout-below-1",
        SHORT_TIMEOUT,
        (("email.from_name", "Fleet"),),
        refused=(("smtp.timeout", "0.5 is out of range; use 1 to 600"),),
    ),
    Case(
        "bad-selector-list",
        BAD_SELECTORS,
        (("email.from_name", "Fleet"),),
        refused=(("sender_domain.dkim_selectors", "'bad selector' is not a valid selector"),),
    ),
]


# ---------------------------------------------------------------- the command


@dataclass
class Said:
    """What a front said: its outcome, and the problems as `key: message` lines."""

    outcome: str  # "saved", "refused" or "unchanged"
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)  # the keys the console has a field for


def _commands(edits: tuple[tuple[str, str], ...]) -> list[tuple[list[str], str | None]]:
    """The edits as commands: consecutive settings in one `set`, a password by stdin."""
    out: list[tuple[list[str], str | None]] = []
    for key, text in edits:
        if key in ("smtp.auth.password",):
            out.append((["set-password", "--stdin"], text + "\n"))
        elif out and out[-1][0][0] == "set":
            out[-1][0].append(f"{key}={text}")
        else:
            out.append((["set", f"{key}={text}"], None))
    return out


def run_command(path: Path, case: Case) -> Said:
    if not MAILGW.exists():
        pytest.skip(f"the mailgw command is not installed beside {sys.executable}")
    said = Said("saved")
    for args, stdin in _commands(case.edits):
        result = subprocess.run(
            [str(MAILGW), "--config", str(path), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={**os.environ, "MAILGW_CONFIG": str(path)},
            timeout=60,
        )
        assert "Traceback" not in result.stderr, result.stderr
        stderr = result.stderr.replace(str(path), "<config>")
        if result.returncode != 0:
            prefix = "mailgw: not saved (the file is unchanged): "
            assert result.returncode == 2 and stderr.startswith(prefix), stderr
            said.outcome = "refused"
            refusal = stderr.removeprefix(prefix).rstrip("\n")  # "; " between problems
            # the command adds the shell fix of a problem (Problem.command_fix); the console
            # says the same message under the field where the fix is done
            said.errors = [re.sub(r"; (use|fill it with) `mailgw [^`]*`", "", refusal)]
            return said
        if result.stdout.strip() == "nothing changed":
            said.outcome = "unchanged"
        said.warnings = [
            line.removeprefix("warning: ")
            for line in stderr.splitlines()
            if line.startswith("warning: ")
        ]
    return said


# ---------------------------------------------------------------- the console


def recording_notes(app: MailgwApp) -> list[str]:
    """The notes the console shows, kept (on screen they go after a while)."""
    notes: list[str] = []
    shown = app.notify

    def notify(message: str, *args: Any, **kwargs: Any) -> None:
        notes.append(message)
        shown(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return notes


def bound_field(app: MailgwApp, key: str) -> Field | None:
    return next((f for f in app.query(Field) if f.key == key), None)


async def bring_up(pilot: Pilot[None], app: MailgwApp, key: str) -> Field:
    """The field of `key`, its tab shown (F6 as a person does) and built."""
    await wait_until(pilot, lambda: bound_field(app, key) is not None, f"the field of {key}")
    found = bound_field(app, key)
    assert found is not None
    pane = next(a for a in found.ancestors if isinstance(a, TabPane))
    tabs = app.query_one(TabbedContent)
    for _ in range(len(app.query(TabPane))):
        if tabs.active == pane.id:
            break
        shown = tabs.active
        await pilot.press("f6")
        await wait_until(pilot, lambda: tabs.active != shown, "the next tab")  # noqa: B023
    assert tabs.active == pane.id
    return found


async def focus(pilot: Pilot[None], app: MailgwApp, widget: Any, what: str) -> None:
    widget.focus()
    await wait_until(pilot, lambda: app.focused is widget, f"the focus in {what}")


def keys_for(text: str) -> list[str]:
    return ["enter" if char == "\n" else char for char in text]


async def enter(pilot: Pilot[None], app: MailgwApp, key: str, text: str) -> None:
    """Give `text` for `key` in its control, as a person at the keyboard does."""
    found = await bring_up(pilot, app, key)
    control = found.control
    if isinstance(control, PasswordField):
        control = control.input
    if isinstance(control, Input):
        await focus(pilot, app, control, key)
        await pilot.press("end", "ctrl+u", *keys_for(text))
        await wait_until(pilot, lambda: control.value == text, f"{text!r} in {key}")
    elif isinstance(control, TextArea):
        await focus(pilot, app, control, key)
        await pilot.press("f7", "backspace", *keys_for(text))
        await wait_until(pilot, lambda: control.text == text, f"{text!r} in {key}")
    elif isinstance(control, Checkbox):
        wanted = parse_value(key, text)
        if control.value != wanted:
            await focus(pilot, app, control, key)
            await pilot.press("space")
        await wait_until(pilot, lambda: control.value == wanted, f"{key} {text}")
    elif isinstance(control, RadioSet):
        await choose_radio(pilot, app, control, key, text)
    elif isinstance(control, Select):
        await choose_option(pilot, app, control, key, text)
    else:
        raise AssertionError(f"no way to enter {key} in {control!r}")
    # the edit reached the editing layer (a text it cannot read is kept as the key's error)
    session = app.session
    await wait_until(
        pilot,
        lambda: key in session.text_errors or _value_is(session.settings, key, text),
        f"{key} in the session",
    )


def _value_is(settings: Any, key: str, text: str) -> bool:
    if KEYS[key].secret:
        return get_value(settings, key) == text
    return get_value(settings, key) == parse_value(key, text)


async def choose_radio(
    pilot: Pilot[None], app: MailgwApp, radios: RadioSet, key: str, name: str
) -> None:
    """Arrows to the button named `name`, Enter."""
    buttons = list(radios.query(RadioButton))
    target = next(i for i, b in enumerate(buttons) if b.name == name)
    if buttons[target].value:
        return
    await focus(pilot, app, radios, key)
    start = max(radios.pressed_index, 0)
    step = "down" if target > start else "up"
    await pilot.press(*[step] * abs(target - start), "enter")
    await wait_until(pilot, lambda: buttons[target].value, f"{key} {name}")


async def choose_option(
    pilot: Pilot[None], app: MailgwApp, select: Select[str], key: str, value: str
) -> None:
    """Enter opens the list, arrows to the option, Enter."""
    if select.value == value:
        return
    await focus(pilot, app, select, key)
    await pilot.press("enter")
    await wait_until(
        pilot, lambda: select.expanded and isinstance(app.focused, OptionList), f"{key}'s list"
    )
    options = app.focused
    assert isinstance(options, OptionList)
    values = [option_value for _prompt, option_value in select._options]
    target = values.index(value)
    start = options.highlighted or 0
    step = "down" if target > start else "up"
    await pilot.press(*[step] * abs(target - start))
    await wait_until(pilot, lambda: options.highlighted == target, f"{value} highlighted")
    await pilot.press("enter")
    await wait_until(pilot, lambda: select.value == value, f"{key} {value}")


def _dialog(app: MailgwApp) -> ChoiceDialog | None:
    screen = app.screen
    return screen if isinstance(screen, ChoiceDialog) else None


def _field_problems(app: MailgwApp, key: str, path: Path) -> str:
    """What the console shows under the field of `key`."""
    found = bound_field(app, key)
    assert found is not None
    return str(found.query_one(".problem", Static).render()).replace(str(path), "<config>")


async def run_console(path: Path, case: Case) -> Said:
    """Edit in the console, F2, answer the dialog as a person who means it; what it said."""
    app = MailgwApp(path)
    notes = recording_notes(app)
    original = path.read_bytes()
    async with app.run_test(size=(80, 24)) as pilot:
        status = app.query_one(StatusLine)
        await wait_until(pilot, lambda: "saved" in str(status.render()), "the console")
        for key, text in case.edits:
            await enter(pilot, app, key, text)
        await pilot.press("f2")
        await wait_until(
            pilot,
            lambda: _dialog(app) is not None or any("Nothing to save" in n for n in notes),
            "the answer to F2",
        )
        dialog = _dialog(app)
        if dialog is None:
            return Said("unchanged")
        keys = {found.key for found in app.query(Field) if found.key in KEYS}
        if dialog.title_text == "Cannot save yet":
            head = "Fix these first:\n"
            assert dialog.body.startswith(head), dialog.body
            body = dialog.body[len(head) :].replace(str(path), "<config>")
            lines = [line.removeprefix("• ") for line in body.splitlines()]
            await pilot.press("enter")
            await wait_until(pilot, lambda: _dialog(app) is None, "the dialog to close")
            for line in lines:  # ...and each under its field, where the console has one
                key, message = line.split(": ", 1)
                if key in keys:
                    shown = f"✗ Error: {message}"
                    await wait_until(
                        pilot,
                        lambda: shown in _field_problems(app, key, path),  # noqa: B023
                        f"{shown!r} under {key}",
                    )
            return Said("refused", lines, fields=keys)
        assert dialog.title_text == "Save", dialog.title_text
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: (
                path.read_bytes() != original and str(status.render()).startswith(" mailgw · saved")
            ),
            "the save",
        )
        assert any(n.startswith("Saved ") for n in notes), notes
        warnings = []
        for found in app.query(Field):
            if found.key in KEYS:
                text = str(found.query_one(".problem", Static).render())
                warnings += [
                    f"{found.key}: {line.removeprefix('! Warning: ')}".replace(
                        str(path), "<config>"
                    )
                    for line in text.splitlines()
                    if line.startswith("! Warning: ")
                ]
        return Said("saved", warnings=warnings, fields=keys)


# ---------------------------------------------------------------- the test


def _start(folder: Path, case: Case) -> Path:
    folder.mkdir(mode=0o750)
    path = folder / "email-gateway.toml"
    path.write_text(case.start, "utf-8")
    path.chmod(case.mode)
    return path


def _saved_value(path: Path, key: str) -> Any:
    node: Any = tomlkit.parse(path.read_text("utf-8")).unwrap()
    for part in key.split("."):
        node = node.get(part, KEYS[key].default) if isinstance(node, dict) else node
    return node


def test_the_table_is_wide_enough() -> None:
    assert len(CASES) >= 25
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_same_input_same_result_in_the_command_and_the_console(
    case: Case, tmp_path: Path
) -> None:
    by_command = _start(tmp_path / "command", case)
    in_console = _start(tmp_path / "console", case)
    original = by_command.read_bytes()
    command = run_command(by_command, case)
    console = await run_console(in_console, case)

    expected = "refused" if case.refused else "unchanged" if case.unchanged else "saved"
    assert (command.outcome, console.outcome) == (expected, expected), (command, console)

    if expected == "saved":
        assert by_command.read_bytes() == in_console.read_bytes()
        assert by_command.read_bytes() != original
        for key, value in case.saved.items():
            assert _saved_value(by_command, key) == value, key
        for path in (by_command, in_console):
            assert path.stat().st_mode & 0o777 == case.saved_mode
        # a warning is said by both (the console says it under the key's field)
        said = [w for w in command.warnings if w.split(": ", 1)[0] in console.fields]
        assert sorted(said) == sorted(console.warnings)
        for key, message in case.warnings:
            assert any(w.startswith(f"{key}: {message}") for w in console.warnings), key
        assert len(console.warnings) == len(case.warnings), console.warnings
        return

    for path in (by_command, in_console):
        assert path.read_bytes() == original
        assert path.stat().st_mode & 0o777 == case.mode
    if expected == "unchanged":
        return
    assert command.errors == ["; ".join(console.errors)]
    for key, message in case.refused:
        assert any(line.startswith(f"{key}: {message}") for line in console.errors), key
    assert len(console.errors) == len(case.refused), console.errors
