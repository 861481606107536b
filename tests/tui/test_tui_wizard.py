"""The full-screen first-run wizard, driven by keys: both gateway paths end in a valid file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import OptionList

from mailgw.config import store
from mailgw.config.editing import EditSession
from mailgw.config.model import Gateway, Security
from mailgw.delivery.detect import Candidate
from mailgw.delivery.setup_flow import StepId, StepStatus
from mailgw.tui import app as tui_app
from mailgw.tui.app import MailgwApp
from mailgw.tui.widgets.run_panel import RunPanel
from mailgw.tui.wizard import WizardScreen
from tests.smtp.conftest import RECIPIENT, SENTINEL_PASSWORD, SENTINEL_USER, secret_forms
from tests.support.ports import free_port
from tests.support.smtpserver import Behaviour, raw_server, smtp_server

from .pilot_helpers import focus, settled, type_into, wait_for_dialog
from .send_helpers import custom_config, wait_until

LOGIN = Behaviour(username=SENTINEL_USER, password=SENTINEL_PASSWORD)


def _wizard(pilot: Pilot[None]) -> WizardScreen:
    screen = pilot.app.screen
    assert isinstance(screen, WizardScreen), f"expected the wizard, got {screen!r}"
    return screen


async def _at(pilot: Pilot[None], step: StepId) -> WizardScreen:
    """Wait for `step` to be drawn."""
    await wait_until(pilot, lambda: _wizard(pilot).shown_step == step, f"step {step.value}")
    await settled(pilot)
    return _wizard(pilot)


async def _key(pilot: Pilot[None], key: str, then: StepId) -> WizardScreen:
    await pilot.press(key)
    return await _at(pilot, then)


async def _choose(pilot: Pilot[None], selector: str, downs: int) -> None:
    """Pick a radio button of a set by keyboard: focus it, arrow down, Enter."""
    await focus(pilot, selector)
    await pilot.press(*["down"] * downs, "enter")
    await settled(pilot)


async def _typed(pilot: Pilot[None], selector: str, text: str) -> None:
    """Clear the wizard's Input at `selector` and type `text`, as a person would."""
    await type_into(pilot, selector, text)


async def send_in_test_step(pilot: Pilot[None]) -> RunPanel:
    """From the sender step: on to the test send, send to RECIPIENT, wait for the end."""
    screen = await _key(pilot, "f9", StepId.TEST_SEND)
    await _typed(pilot, "#q-test-recipient", RECIPIENT)
    panel = screen.query_one(RunPanel)
    await focus(pilot, "#wizard-send")
    await pilot.press("enter")
    await wait_until(pilot, lambda: panel.runs_ended == 1, "the test send")
    return panel


def _check(config_path: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mailgw", "--config", str(config_path), "check"]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


async def test_platform_gateway_path_saves_a_valid_file_and_lands_in_the_console(
    config_path: Path,
) -> None:
    app = MailgwApp(config_path, wizard=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await _at(pilot, StepId.GATEWAY)
        await _key(pilot, "f9", StepId.SENDER)
        await _typed(pilot, "#q-email-from_name", "Fleet Alerts")
        await _key(pilot, "f9", StepId.TEST_SEND)
        screen = await _key(pilot, "f8", StepId.REVIEW)
        review = str(screen.query_one("#wizard-review").render())
        statuses = screen.wizard.statuses()
        await _key(pilot, "f9", StepId.SAVE)
        await pilot.press("f9")
        await wait_until(pilot, lambda: not isinstance(app.screen, WizardScreen), "the console")
        modified = app.session.is_modified()
    assert '+from_name = "Fleet Alerts"' in review
    assert statuses[StepId.SERVER] == StepStatus.NOT_APPLICABLE
    assert statuses[StepId.TEST_SEND] == StepStatus.SKIPPED
    settings = store.load(config_path).settings
    assert settings.smtp.gateway == Gateway.PLATFORM
    assert settings.email.from_name == "Fleet Alerts"
    assert not modified
    assert _check(config_path).returncode == 0


async def test_custom_server_path_with_login_and_a_test_send(config_path: Path) -> None:
    with smtp_server("plain", behaviour=LOGIN) as server:
        app = MailgwApp(config_path, wizard=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await _at(pilot, StepId.GATEWAY)
            await _choose(pilot, "#q-smtp-gateway", 1)
            await _key(pilot, "f9", StepId.SERVER)
            await _typed(pilot, "#q-smtp-host", "127.0.0.1")
            await _choose(pilot, "#q-smtp-security", 2)  # none
            await _typed(pilot, "#q-smtp-port", str(server.port))
            await _key(pilot, "f9", StepId.AUTH)
            await focus(pilot, "#q-smtp-auth-enabled")
            await pilot.press("space")  # the login questions appear
            await _typed(pilot, "#q-smtp-auth-username", SENTINEL_USER)
            await _typed(pilot, "#q-smtp-auth-password", SENTINEL_PASSWORD)
            password_screen = app.export_screenshot()
            await _key(pilot, "f9", StepId.SENDER)
            await _typed(pilot, "#q-email-from_address", "alerts@example.com")
            panel = await send_in_test_step(pilot)
            verdict = panel.verdict()
            rows = [row.state.value for row in panel.timeline.rows]
            screen = await _key(pilot, "f9", StepId.REVIEW)
            review = str(screen.query_one("#wizard-review").render())
            test_status = screen.wizard.statuses()[StepId.TEST_SEND]
            await _key(pilot, "f9", StepId.SAVE)
            await pilot.press("f9")
            await wait_until(pilot, lambda: not isinstance(app.screen, WizardScreen), "console")
            await settled(pilot)
            changes = store.changes(app.session.loaded, app.session.settings)
    assert changes == []
    assert SENTINEL_PASSWORD not in password_screen and "•••" in password_screen
    assert "✓ Success" in verdict and set(rows) == {"ok"}
    assert test_status == StepStatus.DONE
    assert "+password = " in review and "********" in review
    for form in secret_forms():
        assert form not in review
    assert len(server.recorder.messages) == 1
    settings = store.load(config_path).settings
    assert (settings.smtp.host, settings.smtp.port) == ("127.0.0.1", server.port)
    assert settings.smtp.security == Security.NONE
    assert settings.smtp.auth.password == SENTINEL_PASSWORD
    assert _check(config_path).returncode == 0


async def test_a_step_validates_before_moving_on(config_path: Path) -> None:
    app = MailgwApp(config_path, wizard=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await _at(pilot, StepId.GATEWAY)
        await _choose(pilot, "#q-smtp-gateway", 1)
        screen = await _key(pilot, "f9", StepId.SERVER)
        await _typed(pilot, "#q-smtp-host", "bad host")
        await pilot.press("f9")
        await settled(pilot)
        problem = str(screen.query_one("#q-smtp-host").parent.parent.query_one(".problem").render())
        position = screen.wizard.position
    assert position == StepId.SERVER
    assert "Error:" in problem


async def test_skip_then_revisit_from_the_step_list(config_path: Path) -> None:
    app = MailgwApp(config_path, wizard=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await _at(pilot, StepId.GATEWAY)
        screen = await _key(pilot, "f8", StepId.SENDER)
        skipped = screen.wizard.statuses()[StepId.GATEWAY]
        steps_text = str(screen.query_one(OptionList).get_option_at_index(0).prompt)
        await pilot.press("f5")  # to the step list; the first step is the gateway
        await pilot.press("home", "enter")
        screen = await _at(pilot, StepId.GATEWAY)
        await _key(pilot, "f9", StepId.SENDER)
        done = screen.wizard.statuses()[StepId.GATEWAY]
    assert skipped == StepStatus.SKIPPED and steps_text == " » Gateway"
    assert done == StepStatus.DONE


async def test_detect_in_the_server_step_fills_port_and_security(
    config_path: Path,
) -> None:
    with smtp_server("plain") as server:
        app = MailgwApp(config_path, wizard=True)
        app.detect_candidates = (
            Candidate(free_port(), Security.SSL),
            Candidate(server.port, Security.STARTTLS),  # plain: STARTTLS not offered, none works
        )
        async with app.run_test(size=(80, 24)) as pilot:
            await _at(pilot, StepId.GATEWAY)
            await _choose(pilot, "#q-smtp-gateway", 1)
            screen = await _key(pilot, "f9", StepId.SERVER)
            await _typed(pilot, "#q-smtp-host", "127.0.0.1")
            await _typed(pilot, "#q-smtp-port", str(free_port()))  # probed first: refused
            panel = screen.query_one(RunPanel)
            await focus(pilot, "#wizard-detect")
            await pilot.press("enter")
            await wait_until(pilot, lambda: panel.runs_ended == 1, "detect")
            await focus(pilot, "#wizard-use")  # enabled once the detect has a recommendation
            await pilot.press("enter")
            # none where starttls was chosen: taken only once the admin says so (issue 16)
            await wait_for_dialog(pilot, "the send-in-clear question")
            await pilot.press("c")
            await settled(pilot)
            await _key(pilot, "f9", StepId.AUTH)
            smtp = screen.wizard.settings.smtp
    assert (smtp.port, smtp.security) == (server.port, Security.NONE)


async def test_escape_cancels_the_test_send_and_stays_in_the_step(config_path: Path) -> None:
    from .test_tui_test_send import _greets_then_hangs

    with raw_server(_greets_then_hangs) as server:
        custom_config(config_path, server.port)
        app = MailgwApp(config_path, wizard=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await _at(pilot, StepId.GATEWAY)
            await focus(pilot, "#wizard-steps")
            await pilot.press("end", "up", "up", "enter")  # straight to the test send
            screen = await _at(pilot, StepId.TEST_SEND)
            await _typed(pilot, "#q-test-recipient", RECIPIENT)
            panel = screen.query_one(RunPanel)
            await focus(pilot, "#wizard-send")
            await pilot.press("enter")
            await wait_until(pilot, lambda: panel.running, "the send to start")
            await pilot.press("escape")
            await wait_until(pilot, lambda: panel.runs_ended == 1, "the cancel")
            verdict = panel.verdict()
            still = _wizard(pilot).wizard.position
    assert "⊘ Cancelled" in verdict and still == StepId.TEST_SEND


async def test_leaving_keeps_the_settings_as_unsaved_edits_in_the_console(
    config_path: Path,
) -> None:
    app = MailgwApp(config_path, wizard=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await _at(pilot, StepId.GATEWAY)
        await _key(pilot, "f9", StepId.SENDER)
        await _typed(pilot, "#q-email-from_name", "Night Desk")
        await _key(pilot, "f9", StepId.TEST_SEND)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, WizardScreen), "the console")
        await settled(pilot)
        name = app.query_one("#from-name").value  # type: ignore[attr-defined]
    assert name == "Night Desk"
    assert app.session.is_modified() and not config_path.exists()


def test_the_console_opens_the_wizard_on_a_fresh_install(
    config_path: Path, existing_config: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    asked: list[bool] = []

    class Recording(MailgwApp):
        def run(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            asked.append(self.start_wizard)

    monkeypatch.setattr(tui_app, "MailgwApp", Recording)
    fresh = config_path.with_name("new.toml")
    tui_app.run(fresh)
    tui_app.run(existing_config)
    tui_app.run(existing_config, wizard=True)
    assert asked == [True, False, True]
    assert EditSession.open(fresh).loaded is not None and not fresh.exists()


async def test_choosing_a_gateway_updates_the_count_and_the_step_list_at_once(
    config_path: Path,
) -> None:
    """Not only after F9: "step 1 of 5" then "step 2 of 7" read as a miscount."""
    app = MailgwApp(config_path, wizard=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _at(pilot, StepId.GATEWAY)
        title = screen.query_one("#wizard-title")
        assert "step 1 of 5" in str(title.render())
        await _choose(pilot, "#q-smtp-gateway", 1)
        await wait_until(pilot, lambda: "step 1 of 7" in str(title.render()), "the new count")
        steps = screen.query_one("#wizard-steps", OptionList)
        server = steps.get_option(StepId.SERVER.value)
        assert str(server.prompt)[1] == "·"  # to do, no longer "-" (not needed)
