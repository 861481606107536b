"""The installed `mailgw setup` in tmux at 80x24: a provider preset and a security of one's own,
saved by the wizard, then the console on the same file shows what the file holds and nothing
unsaved, in English and in Portuguese.

Texts on screen come from the catalogs (`_()` under the test's LANG), so the same keys are
checked in both languages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from mailgw.config import presets, store
from mailgw.config.model import Gateway, Security
from mailgw.i18n import _
from mailgw.tui.sections.smtp_server import SECURITY_LABELS

from .tmux import INSTALLED_MAILGW, NEEDS_TMUX, Tmux, label_line

pytestmark = [pytest.mark.e2e, NEEDS_TMUX]


@dataclass(frozen=True)
class Case:
    provider: str  # the preset's name in presets.toml
    pick: tuple[str, ...]  # keys in the open provider list that choose it
    host: str  # typed when the preset names no host, else the preset's host
    security: Security  # chosen in the wizard, not the preset's own
    move: str  # the key from the preset's security to it (STARTTLS, SSL, None)
    port: int  # where the port must follow to
    login: bool  # the preset starts with the login on (switched off here)


CASES = {
    "own-server-ssl": Case(
        "own_server", ("End",), "mail.example.org", Security.SSL, "Down", 465, login=False
    ),
    "gmail-starttls": Case(
        "gmail", ("Down",), "smtp.gmail.com", Security.STARTTLS, "Up", 587, login=True
    ),
}


def _title(number: int) -> str:
    """The start of the wizard's title at step `number` of a custom server's 7."""
    title = _("mailgw setup · step {number} of {total}: {title}")
    return title.partition("{title}")[0].format(number=number, total=7)


@pytest.mark.parametrize("lang", ["C.UTF-8", "pt_BR.UTF-8"])
@pytest.mark.parametrize("name", list(CASES))
def test_wizard_save_then_the_console_shows_the_file(
    tmux: Tmux,
    config_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    lang: str,
) -> None:
    case = CASES[name]
    monkeypatch.setenv("LANG", lang)  # the tmux server, and so the command, runs under it
    preset = presets.provider(case.provider)
    assert preset is not None and preset.security != case.security
    host_label = label_line(_("Server host name or IP address"))
    security_label, port_label = _("Security"), _("Port")
    tmux.start([str(INSTALLED_MAILGW), "--config", str(config_path), "setup"], record_in=tmp_path)

    tmux.wait_for_text(_("mailgw setup · step {number} of {total}: {title}").split("{")[0])
    tmux.keys("Down", "Enter")  # gateway: your own SMTP server
    tmux.wait_for_text("(•) " + _("Your own SMTP server"))
    tmux.keys("F9")
    tmux.wait_for_text(_title(2))
    tmux.keys("Enter")  # the provider list opens (the list has the focus once it is drawn)
    tmux.wait_for_text("Mailgun")  # the list is open (its first entries are drawn)
    tmux.keys(*case.pick, "Enter")
    chosen = presets.shown(preset.label)
    tmux.wait_for(lambda: chosen in tmux.row(_("Provider")) and "Mailgun" not in tmux.screen(),
                  what="the preset chosen, under its label")  # fmt: skip
    tmux.focus(host_label)
    if not preset.host:
        tmux.replace(host_label, case.host)
    tmux.wait_for(lambda: tmux.value(host_label) == case.host)
    tmux.focus(security_label)
    tmux.keys(case.move, "Enter")
    tmux.wait_for(lambda: tmux.value(port_label) == str(case.port))  # the port followed
    tmux.keys("F9")
    tmux.wait_for_text(_title(3))
    if case.login:
        tmux.keys("Space")  # the preset's login: not this time
        tmux.wait_for_text("[ ] " + _("Does the server need a login?"))
    tmux.keys("F9")
    tmux.wait_for_text(_title(4))
    tmux.replace(label_line(_("Sender (From) address")), "alerts@example.org")
    tmux.keys("F9")
    tmux.wait_for_text(_title(5))
    tmux.keys("F8")  # no test send
    tmux.wait_for_text(_title(6))
    tmux.keys("F9")
    tmux.wait_for_text(_title(7))
    tmux.keys("F9")

    gateway = _("custom SMTP {host}:{port}").format(host=case.host, port=case.port)
    status = f"mailgw · {_('saved')} · {gateway}"
    tmux.wait_for_text(status)  # the console, on the file just written
    tmux.wait_for(lambda: tmux.value(port_label) == str(case.port))
    screen = tmux.screen()
    security_row = tmux.row(security_label)
    assert _("● unsaved") not in screen
    assert security_row.count("(•)") == 1, security_row
    assert f"(•) {_(SECURITY_LABELS[case.security])}" in security_row
    # the "Saved" toast sits over the top rows' right end until it goes (toasts are at the top)
    tmux.wait_for(lambda: chosen in tmux.row(_("Provider preset")), what="the provider row")
    tmux.wait_for(lambda: tmux.value(_("Host")) == case.host, what="the host row")

    settings = store.load(config_path).settings  # the file holds what the screen shows
    assert settings.smtp.gateway == Gateway.CUSTOM
    assert settings.smtp.provider == case.provider
    assert (settings.smtp.host, settings.smtp.port) == (case.host, case.port)
    assert settings.smtp.security == case.security
    assert settings.smtp.auth.enabled is False

    before = config_path.read_bytes()
    tmux.keys("F2")
    tmux.wait_for_text(_("Nothing to save: the file already holds these settings.").split(":")[0])
    assert status in tmux.screen()
    tmux.keys("F10")  # nothing unsaved: no question on the way out
    assert tmux.exit_code() == 0
    assert not tmux.alternate_screen()
    assert config_path.read_bytes() == before
