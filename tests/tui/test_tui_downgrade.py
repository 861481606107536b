"""The console and the wizard take a detect result without TLS, where TLS is configured, only
after a dialog that names the risk (a stripped STARTTLS must not turn mail into clear text)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgw.config.model import Security
from mailgw.delivery.detect import Candidate
from mailgw.delivery.setup_flow import StepId
from mailgw.tui.app import MailgwApp
from mailgw.tui.widgets.run_panel import RunPanel
from tests.support.smtpserver import smtp_server

from .pilot_helpers import focus, settled, workers_done
from .send_helpers import custom_config, open_test_pane, run_to_end, wait_until
from .test_tui_wizard import _at, _choose, _key, _typed
from .test_tui_wizard_trust import _answer, _press

TITLE = "Send mail in clear?"


@pytest.mark.parametrize("answer", ["escape", "enter", "c"], ids=["esc", "enter", "clear"])
async def test_apply_in_the_console_asks_before_sending_in_clear(
    config_path: Path, answer: str
) -> None:
    with smtp_server("plain") as stripped:  # EHLO without STARTTLS, as after an attacker
        custom_config(config_path, 587, "starttls")
        app = MailgwApp(config_path)
        app.detect_candidates = (Candidate(stripped.port, Security.STARTTLS),)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_test_pane(pilot)
            panel = app.query_one("#test-run", RunPanel)
            await run_to_end(pilot, panel, "#test-detect-button")
            await focus(pilot, "#test-apply-button")
            await pilot.press("enter")
            dialog = await _answer(pilot, TITLE, answer)
            await wait_until(pilot, lambda: workers_done(app, "apply"), "the answer applied")
            await settled(pilot)
    body = str(dialog.body)
    assert "weaker than the configured starttls" in body and "removed STARTTLS" in body
    smtp = app.session.settings.smtp
    if answer == "c":
        assert (smtp.port, smtp.security) == (stripped.port, Security.NONE)
    else:  # Esc, or Enter on the focused Cancel: the configured security stays
        assert (smtp.port, smtp.security) == (587, Security.STARTTLS)


@pytest.mark.parametrize("answer", ["escape", "c"], ids=["esc", "clear"])
async def test_use_the_recommendation_in_the_wizard_asks_before_sending_in_clear(
    config_path: Path, answer: str
) -> None:
    with smtp_server("plain") as stripped:
        app = MailgwApp(config_path, wizard=True)
        app.detect_candidates = (Candidate(stripped.port, Security.STARTTLS),)
        async with app.run_test(size=(80, 24)) as pilot:
            await _at(pilot, StepId.GATEWAY)
            await _choose(pilot, "#q-smtp-gateway", 1)
            screen = await _key(pilot, "f9", StepId.SERVER)
            await _typed(pilot, "#q-smtp-host", "127.0.0.1")
            panel = screen.query_one(RunPanel)
            await _press(pilot, "#wizard-detect")
            await wait_until(pilot, lambda: panel.runs_ended == 1, "detect")
            await _press(pilot, "#wizard-use")
            dialog = await _answer(pilot, TITLE, answer)
            await settled(pilot)
            answers = screen.form.answers()
    assert "weaker than the configured starttls" in str(dialog.body)
    if answer == "c":
        assert answers["smtp.security"] == "none" and answers["smtp.port"] == stripped.port
    else:
        assert answers["smtp.security"] == "starttls"
