"""The first-run wizard's steps: what each asks, its defaults, and validation of its own keys.

Pure: no printing, no prompts, no network. Both fronts drive it (the plain line prompts of
`mailgw setup --plain` and the TUI wizard): ask `questions(step, settings, answers)` again after
every answer (defaults follow earlier answers: a provider fills host, port and security; a
security change moves a standard port), check each answer with `check_answer`, then `apply` the
step. `setup_wizard.Wizard` holds a run's position, working settings and step states.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from mailgw.config import editing
from mailgw.config.model import Gateway, Security, Settings
from mailgw.config.schema import KEYS, get_value, set_value
from mailgw.config.validate import (
    OAUTH2,
    Problem,
    Severity,
    address_problems,
    errors,
    validate,
)
from mailgw.delivery.setup_questions import (
    BUILDERS,
    DETECT,
    TEST_KIND,
    TEST_RECIPIENT,
    AnswerInvalid,
    Choice,
    Kind,
    Question,
    parse_answer,
)
from mailgw.i18n import N_, _


class StepId(str, enum.Enum):
    """The steps of first-time setup, in order."""

    GATEWAY = "gateway"
    SERVER = "server"
    AUTH = "auth"
    SENDER = "sender"
    TEST_SEND = "test_send"
    REVIEW = "review"
    SAVE = "save"


class StepStatus(str, enum.Enum):
    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class Step:
    """One step: its id, title and help (msgids, translated by the properties), keys it edits."""

    id: StepId
    title_id: str
    help_id: str
    keys: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return _(self.title_id)

    @property
    def help(self) -> str:
        return _(self.help_id)


STEPS: tuple[Step, ...] = (
    Step(
        StepId.GATEWAY,
        N_("Gateway"),
        N_("Choose how the platform's email leaves: its managed gateway or your own SMTP server."),
        ("smtp.gateway",),
    ),
    Step(
        StepId.SERVER,
        N_("SMTP server"),
        N_("Where your SMTP server is and how the connection is protected."),
        ("smtp.provider", "smtp.host", "smtp.security", "smtp.port", "smtp.trust_all"),
    ),
    Step(
        StepId.AUTH,
        N_("Authentication"),
        N_("The login the server asks for, if any."),
        (
            "smtp.auth.enabled",
            "smtp.auth.method",
            "smtp.auth.username",
            "smtp.auth.password",
            *(key for key in KEYS if key.startswith(OAUTH2)),
        ),
    ),
    Step(
        StepId.SENDER,
        N_("Sender and signature"),
        N_("The From address, the name shown next to it, and the text at the end of every mail."),
        ("email.from_address", "email.from_name", "email.signature"),
    ),
    Step(
        StepId.TEST_SEND,
        N_("Test send"),
        N_("Send a sample message with these settings before saving them."),
    ),
    Step(StepId.REVIEW, N_("Review"), N_("What will change in the config file (password masked).")),
    Step(StepId.SAVE, N_("Save"), N_("Write the settings to the config file (a backup is kept).")),
)
_BY_ID = {step.id: step for step in STEPS}
_CUSTOM_ONLY = frozenset({StepId.SERVER, StepId.AUTH})


def steps() -> tuple[Step, ...]:
    """Every step, in order (including those that may not apply)."""
    return STEPS


def step(step_id: StepId | str) -> Step:
    return _BY_ID[StepId(step_id)]


def applies(step: Step, settings: Settings) -> bool:
    """Server and authentication apply only to a custom server."""
    return step.id not in _CUSTOM_ONLY or settings.smtp.gateway == Gateway.CUSTOM


def active_steps(settings: Settings) -> list[Step]:
    """The steps that apply to `settings`, in order."""
    return [s for s in STEPS if applies(s, settings)]


def step_for_key(key: str) -> Step | None:
    """The step that edits `key` (to send a person back to fix a problem), or None."""
    return next((s for s in STEPS if key in s.keys), None)


# ---------------------------------------------------------------- drafts


def draft(step: Step, answers: dict[str, Any], settings: Settings) -> Settings:
    """A copy of `settings` with this step's answers applied through the editing layer's rules
    (a preset fills the server, security moves a standard port, ...), as every front does."""
    out = settings.copy()
    # None keeps the current value (a password left empty)
    values = {k: v for k, v in answers.items() if k in step.keys and v is not None}
    editing.apply(out, values)
    if step.id == StepId.AUTH and "smtp.auth.enabled" not in values:
        editing.login_by_default(out)  # the question's default, for a preset chosen earlier
    return out


# ---------------------------------------------------------------- questions


def questions(
    step: Step, settings: Settings, answers: dict[str, Any] | None = None
) -> list[Question]:
    """The questions of `step`; defaults come from `settings` with `answers` so far applied."""
    answers = answers or {}
    current = draft(step, answers, settings)
    build = BUILDERS.get(step.id.value)
    return build(current, answers) if build else []


def next_question(step: Step, settings: Settings, answers: dict[str, Any]) -> Question | None:
    """The first question of `step` not answered yet, or None when the step is complete."""
    return next((q for q in questions(step, settings, answers) if q.name not in answers), None)


# ---------------------------------------------------------------- answers


CannotSave = editing.EditRefused  # a save asked while an error remains


def detected_answers(port: int, security: str) -> dict[str, Any]:
    """The server step's answers that apply a detection result (host stays as answered)."""
    return {"smtp.security": Security(security).value, "smtp.port": port}


def check_answer(
    step: Step, name: str, value: Any, settings: Settings, answers: dict[str, Any]
) -> list[Problem]:
    """Problems of one answer, judged with the step's answers so far (for re-asking at once)."""
    if name == TEST_RECIPIENT:
        return _recipient_problems(value)
    if name not in step.keys:
        return []
    current = draft(step, {**answers, name: value}, settings)
    return [p for p in validate(current) if p.key == name]


def _recipient_problems(address: str) -> list[Problem]:
    if not address:
        return [Problem(TEST_RECIPIENT, Severity.ERROR, _("type the address to send the test to"))]
    return address_problems(TEST_RECIPIENT, address)


def apply(step: Step, answers: dict[str, Any], settings: Settings) -> list[Problem]:
    """Apply the step's answers to `settings` unless they hold an error; return the step's problems.

    Only the step's own keys are judged (a problem of another step waits for that step or the
    review). With an error nothing is changed, so a skipped step never leaves a half-made value.
    """
    if step.id == StepId.TEST_SEND:
        return _recipient_problems(answers.get(TEST_RECIPIENT, ""))
    candidate = draft(step, answers, settings)
    problems = [p for p in validate(candidate) if p.key in step.keys]
    if not errors(problems):  # with the keys the editing layer's rules moved along
        for key in KEYS:
            set_value(settings, key, get_value(candidate, key))
    return problems


__all__ = [
    "DETECT",
    "STEPS",
    "TEST_KIND",
    "TEST_RECIPIENT",
    "AnswerInvalid",
    "CannotSave",
    "Choice",
    "Kind",
    "Question",
    "Step",
    "StepId",
    "StepStatus",
    "active_steps",
    "applies",
    "apply",
    "check_answer",
    "detected_answers",
    "draft",
    "next_question",
    "parse_answer",
    "questions",
    "step",
    "step_for_key",
    "steps",
]
