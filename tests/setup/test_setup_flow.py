"""The wizard's step model: order, steps that do not apply, per-step validation, skip, revisit."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgw.config import store
from mailgw.config.model import Gateway, Security, Settings
from mailgw.config.validate import Severity, errors
from mailgw.delivery import setup_flow as flow
from mailgw.delivery.setup_flow import CannotSave, Kind, StepId, StepStatus
from mailgw.delivery.setup_wizard import Wizard

SERVER = flow.step(StepId.SERVER)
AUTH = flow.step(StepId.AUTH)
SENDER = flow.step(StepId.SENDER)


def _custom() -> Settings:
    settings = Settings()
    settings.smtp.gateway = Gateway.CUSTOM
    settings.smtp.host = "mail.example.com"
    return settings


def _question(step: flow.Step, settings: Settings, name: str, answers=None) -> flow.Question:
    return next(q for q in flow.questions(step, settings, answers) if q.name == name)


def test_steps_are_in_setup_order() -> None:
    assert [s.id for s in flow.steps()] == [
        StepId.GATEWAY,
        StepId.SERVER,
        StepId.AUTH,
        StepId.SENDER,
        StepId.TEST_SEND,
        StepId.REVIEW,
        StepId.SAVE,
    ]


def test_platform_gateway_skips_server_and_authentication() -> None:
    active = [s.id for s in flow.active_steps(Settings())]
    assert StepId.SERVER not in active and StepId.AUTH not in active
    assert [s.id for s in flow.active_steps(_custom())] == [s.id for s in flow.steps()]


def test_wizard_moves_past_steps_that_do_not_apply(config_path: Path) -> None:
    wizard = Wizard(store.load(config_path))
    assert wizard.apply({"smtp.gateway": "platform"}) == []
    assert wizard.forward() and wizard.position == StepId.SENDER
    assert wizard.number() == (2, 5)
    assert wizard.back() and wizard.position == StepId.GATEWAY
    wizard.apply({"smtp.gateway": "custom"})
    wizard.forward()
    assert wizard.position == StepId.SERVER and wizard.number() == (2, 7)
    assert wizard.statuses()[StepId.GATEWAY] == StepStatus.DONE


def test_statuses_mark_steps_that_do_not_apply(config_path: Path) -> None:
    statuses = Wizard(store.load(config_path)).statuses()
    assert statuses[StepId.SERVER] == StepStatus.NOT_APPLICABLE
    assert statuses[StepId.SENDER] == StepStatus.PENDING


def test_each_step_edits_its_own_keys() -> None:
    owned = [key for s in flow.steps() for key in s.keys]
    assert len(owned) == len(set(owned))
    assert flow.step_for_key("smtp.port") is SERVER
    assert flow.step_for_key("email.signature") is SENDER
    assert flow.step_for_key("sender_domain.domain") is None


def test_invalid_answer_changes_nothing_and_names_the_key() -> None:
    settings = _custom()
    problems = flow.apply(SERVER, {"smtp.host": "bad host!"}, settings)
    assert [(p.key, p.severity) for p in problems] == [("smtp.host", Severity.ERROR)]
    assert settings.smtp.host == "mail.example.com"


def test_a_step_is_judged_on_its_own_keys_only() -> None:
    settings = _custom()
    settings.email.from_address = "not an address"  # the sender step's problem, not the server's
    assert flow.apply(SERVER, {"smtp.host": "smtp.example.net"}, settings) == []
    assert settings.smtp.host == "smtp.example.net"
    problems = flow.apply(SENDER, {"email.from_name": "Fleet"}, settings)
    assert [p.key for p in errors(problems)] == ["email.from_address"]
    assert settings.email.from_name == ""  # nothing applied while the step has an error


def test_warnings_do_not_block_a_step() -> None:
    settings = _custom()
    problems = flow.apply(SERVER, {"smtp.security": "starttls", "smtp.port": 465}, settings)
    assert [(p.key, p.severity) for p in problems] == [("smtp.port", Severity.WARNING)]
    assert settings.smtp.port == 465


def test_provider_preset_fills_the_following_defaults() -> None:
    answers = {"smtp.provider": "gmail"}
    defaults = {q.name: q.default for q in flow.questions(SERVER, _custom(), answers)}
    assert defaults["smtp.host"] == "smtp.gmail.com"
    assert (defaults["smtp.security"], defaults["smtp.port"]) == ("ssl", 465)


def test_answered_host_wins_over_the_preset() -> None:
    answers = {"smtp.provider": "sendgrid", "smtp.host": "relay.example.org"}
    assert _question(SERVER, _custom(), "smtp.host", answers).default == "relay.example.org"


@pytest.mark.parametrize(
    ("old", "security", "expected"),
    [
        ((587, "starttls"), "ssl", 465),
        ((587, "starttls"), "none", 25),
        ((465, "ssl"), "starttls", 587),
        ((2525, "starttls"), "ssl", 2525),
    ],
)
def test_port_follows_security_unless_set_by_hand(old, security, expected) -> None:
    settings = _custom()
    settings.smtp.port, settings.smtp.security = old[0], Security(old[1])
    answers = {"smtp.security": security}
    assert _question(SERVER, settings, "smtp.port", answers).default == expected


def test_trust_all_is_asked_only_with_tls() -> None:
    names = {q.name for q in flow.questions(SERVER, _custom(), {"smtp.security": "none"})}
    assert "smtp.trust_all" not in names
    assert "smtp.trust_all" in {q.name for q in flow.questions(SERVER, _custom())}


def test_server_step_offers_detection_after_the_host() -> None:
    host = _question(SERVER, _custom(), "smtp.host")
    assert host.action == flow.DETECT


def test_login_questions_follow_the_switch() -> None:
    settings = _custom()
    assert [q.name for q in flow.questions(AUTH, settings)] == ["smtp.auth.enabled"]
    names = [q.name for q in flow.questions(AUTH, settings, {"smtp.auth.enabled": True})]
    assert names == [
        "smtp.auth.enabled", "smtp.auth.method", "smtp.auth.username", "smtp.auth.password"
    ]  # fmt: skip
    password = _question(AUTH, settings, "smtp.auth.password", {"smtp.auth.enabled": True})
    assert password.kind == Kind.SECRET and password.default is None


@pytest.mark.parametrize(
    ("provider", "asked"),
    [
        ("microsoft", ["tenant", "client_id", "client_secret_file"]),
        ("google", ["service_account_file"]),
        ("custom", ["token_url", "client_id", "client_secret_file", "scope"]),
    ],
)
def test_oauth2_asks_what_the_provider_needs_and_no_password(provider: str, asked) -> None:
    answers = {
        "smtp.auth.enabled": True,
        "smtp.auth.method": "oauth2",
        "smtp.auth.oauth2.provider": provider,
    }
    names = [q.name for q in flow.questions(AUTH, _custom(), answers)]
    prefix = "smtp.auth.oauth2."
    assert "smtp.auth.password" not in names and prefix + "provider" in names
    assert sorted(n.removeprefix(prefix) for n in names if n.startswith(prefix)) == sorted(
        ["provider", *asked]
    )


def test_oauth2_answers_are_judged_like_the_console_judges_them(tmp_path: Path) -> None:
    settings = _custom()
    answers = {
        "smtp.auth.enabled": True, "smtp.auth.method": "oauth2", "smtp.auth.username": "u@x.test",
        "smtp.auth.oauth2.tenant": "not a tenant", "smtp.auth.oauth2.client_id": "app",
        "smtp.auth.oauth2.client_secret_file": str(tmp_path / "missing.secret"),
    }  # fmt: skip
    problems = flow.apply(AUTH, answers, settings)
    assert {p.key for p in errors(problems)} == {
        "smtp.auth.oauth2.tenant", "smtp.auth.oauth2.client_id",
        "smtp.auth.oauth2.client_secret_file",
    }  # fmt: skip


def test_google_workspace_preset_chooses_oauth2_with_the_google_provider() -> None:
    settings = _custom()
    flow.apply(SERVER, {"smtp.provider": "google_workspace"}, settings)
    auth = settings.smtp.auth
    assert (auth.enabled, auth.method.value, auth.oauth2.provider.value) == (
        True, "oauth2", "google"
    )  # fmt: skip
    assert (settings.smtp.host, settings.smtp.port) == ("smtp.gmail.com", 465)


def test_password_in_its_own_file_is_not_asked() -> None:
    settings = _custom()
    settings.smtp.auth.password_file = "/etc/mailgw/smtp.password"
    names = [q.name for q in flow.questions(AUTH, settings, {"smtp.auth.enabled": True})]
    assert "smtp.auth.password" not in names


def test_empty_password_answer_keeps_the_current_one() -> None:
    settings = _custom()
    settings.smtp.auth.enabled, settings.smtp.auth.password = True, "old-secret"
    question = _question(AUTH, settings, "smtp.auth.password")
    assert question.has_current
    answers = {"smtp.auth.enabled": True, "smtp.auth.username": "u", "smtp.auth.password": None}
    assert flow.apply(AUTH, answers, settings) == []
    assert settings.smtp.auth.password == "old-secret"


def test_login_without_password_is_an_error_of_the_password() -> None:
    settings = _custom()
    answers = {"smtp.auth.enabled": True, "smtp.auth.username": "u"}
    problems = flow.check_answer(AUTH, "smtp.auth.password", "", settings, answers)
    assert [p.key for p in errors(problems)] == ["smtp.auth.password"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", "platform"), ("2", "custom"), ("CUSTOM", "custom"), ("1", "platform")],
)
def test_choice_answers_by_number_or_value(text: str, expected: str) -> None:
    question = flow.questions(flow.step(StepId.GATEWAY), Settings())[0]
    assert flow.parse_answer(question, text) == expected


@pytest.mark.parametrize("text", ["3", "0", "mandrill", "x"])
def test_choice_out_of_range_is_refused(text: str) -> None:
    question = flow.questions(flow.step(StepId.GATEWAY), Settings())[0]
    with pytest.raises(flow.AnswerInvalid, match="1 to 2"):
        flow.parse_answer(question, text)


@pytest.mark.parametrize(("text", "expected"), [("y", True), ("sim", True), ("N", False)])
def test_yes_no_in_both_languages(text: str, expected: bool) -> None:
    question = _question(SERVER, _custom(), "smtp.trust_all")
    assert flow.parse_answer(question, text) is expected


def test_port_must_be_a_number_and_signature_takes_line_breaks() -> None:
    with pytest.raises(flow.AnswerInvalid):
        flow.parse_answer(_question(SERVER, _custom(), "smtp.port"), "five")
    signature = _question(SENDER, Settings(), "email.signature")
    assert flow.parse_answer(signature, r"Regards,\nThe team") == "Regards,\nThe team"


def test_test_send_recipient_is_checked() -> None:
    test_send = flow.step(StepId.TEST_SEND)
    assert [q.name for q in flow.questions(test_send, Settings())] == [
        flow.TEST_RECIPIENT,
        flow.TEST_KIND,
    ]
    bad = flow.check_answer(test_send, flow.TEST_RECIPIENT, "ops@", Settings(), {})
    assert [p.key for p in bad] == [flow.TEST_RECIPIENT]
    good = flow.check_answer(test_send, flow.TEST_RECIPIENT, "ops@example.net", Settings(), {})
    assert good == []


def test_skipped_step_changes_nothing_and_can_be_revisited(config_path: Path) -> None:
    wizard = Wizard(store.load(config_path))
    wizard.go(StepId.SENDER)
    wizard.skip()
    assert wizard.position == StepId.TEST_SEND
    assert wizard.status[StepId.SENDER] == StepStatus.SKIPPED
    assert wizard.settings == Settings()
    wizard.go(StepId.SENDER)
    assert wizard.apply({"email.from_name": "Fleet Alerts"}) == []
    assert wizard.status[StepId.SENDER] == StepStatus.DONE
    assert wizard.settings.email.from_name == "Fleet Alerts"


def test_going_to_a_step_that_does_not_apply_is_refused(config_path: Path) -> None:
    with pytest.raises(ValueError, match="does not apply"):
        Wizard(store.load(config_path)).go(StepId.AUTH)


def test_save_is_refused_while_an_error_remains(config_path: Path) -> None:
    wizard = Wizard(store.load(config_path))
    wizard.settings.smtp.gateway = Gateway.CUSTOM  # no host yet
    with pytest.raises(CannotSave, match="smtp.host"):
        wizard.save()
    assert not config_path.exists()


def test_review_masks_the_password_and_save_writes_it(config_path: Path) -> None:
    wizard = Wizard(store.load(config_path))
    wizard.apply({"smtp.gateway": "custom"})
    wizard.go(StepId.SERVER)
    wizard.apply({"smtp.host": "127.0.0.1", "smtp.security": "ssl"})
    assert wizard.settings.smtp.port == 465 and wizard.settings.smtp.security == Security.SSL
    wizard.go(StepId.AUTH)
    secret = "Wizard-Secret-91!"
    answers = {"smtp.auth.enabled": True, "smtp.auth.username": "u", "smtp.auth.password": secret}
    assert wizard.apply(answers) == []
    diff = wizard.diff()
    assert "port = 465" in diff and secret not in diff and store.SECRET_MASK in diff
    assert wizard.changed()
    result = wizard.save()
    assert result.path == config_path and store.load(config_path).settings == wizard.settings
    assert not wizard.changed()


def test_labels_follow_the_language(monkeypatch: pytest.MonkeyPatch) -> None:
    english = _question(SENDER, Settings(), "email.from_address").label
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    assert _question(SENDER, Settings(), "email.from_address").label != english
    assert flow.step(StepId.SENDER).title == "Remetente e assinatura"


def test_detection_result_becomes_the_server_answers() -> None:
    answers = {"smtp.host": "mail.example.net", **flow.detected_answers(465, "ssl")}
    settings = _custom()
    assert flow.apply(SERVER, answers, settings) == []
    assert (settings.smtp.port, settings.smtp.security) == (465, Security.SSL)
    remaining = [q.name for q in flow.questions(SERVER, settings, answers) if q.name not in answers]
    assert remaining == ["smtp.provider", "smtp.trust_all"]


def test_test_message_uses_the_working_settings(config_path: Path) -> None:
    wizard = Wizard(store.load(config_path))
    wizard.go(StepId.SENDER)
    wizard.apply({"email.from_address": "alerts@example.com", "email.from_name": "Fleet"})
    wizard.go(StepId.TEST_SEND)
    assert wizard.apply({flow.TEST_RECIPIENT: "ops@example.net", flow.TEST_KIND: "billing"}) == []
    message = wizard.test_message()
    assert message["To"] == "ops@example.net" and "Fleet" in message["From"]
    assert wizard.status[StepId.TEST_SEND] == StepStatus.PENDING  # no send has run yet
    wizard.skip()
    assert wizard.statuses()[StepId.TEST_SEND] == StepStatus.SKIPPED
    assert not config_path.exists()  # a test send needs no save


def test_a_provider_with_a_login_starts_with_the_login_on() -> None:
    settings = _custom()
    settings.smtp.provider = "sendgrid"
    enabled = _question(AUTH, settings, "smtp.auth.enabled")
    assert enabled.default is True
    username = _question(AUTH, settings, "smtp.auth.username")
    assert username.help == "apikey"
    settings.smtp.provider = "own_server"
    assert _question(AUTH, settings, "smtp.auth.enabled").default is False
    settings.smtp.provider = "sendgrid"
    assert flow.apply(AUTH, {"smtp.auth.enabled": False}, settings) == []
    assert settings.smtp.auth.enabled is False


def test_wizard_asks_the_current_steps_questions_in_turn(config_path: Path) -> None:
    wizard = Wizard(store.load(config_path))
    wizard.settings.smtp.gateway = Gateway.CUSTOM
    wizard.go(StepId.AUTH)
    answers: dict = {}
    asked = []
    while (question := wizard.next_question(answers)) is not None:
        asked.append(question.name)
        given = {
            "smtp.auth.enabled": True,
            "smtp.auth.method": "password",
            "smtp.auth.username": "u",
        }
        value = given.get(question.name, "pw")
        assert wizard.check_answer(question.name, value, answers) == []
        answers[question.name] = value
    assert asked == [
        "smtp.auth.enabled", "smtp.auth.method", "smtp.auth.username", "smtp.auth.password"
    ]  # fmt: skip
    assert wizard.check_answer("smtp.auth.username", "", {"smtp.auth.enabled": True})
