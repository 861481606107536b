"""One run of the first-run wizard: position, working settings, and each step's state."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from mailgw.config import editing, store
from mailgw.config.editing import EditSession
from mailgw.config.model import Settings
from mailgw.config.validate import Problem, errors, validate
from mailgw.delivery.messages import build_message
from mailgw.delivery.setup_flow import (
    STEPS,
    TEST_KIND,
    TEST_RECIPIENT,
    Question,
    Step,
    StepId,
    StepStatus,
    active_steps,
    applies,
    apply,
    check_answer,
    next_question,
    questions,
    step,
)


@dataclass
class Wizard:
    """One run of the wizard: the loaded file, the working settings, the position, step states."""

    loaded: store.LoadedConfig
    settings: Settings = field(init=False)
    position: StepId = StepId.GATEWAY
    status: dict[StepId, StepStatus] = field(init=False)
    test_recipient: str = ""
    test_kind: str = "test"

    def __post_init__(self) -> None:
        self.settings = self.loaded.settings.copy()
        self.status = {s.id: StepStatus.PENDING for s in STEPS}

    @property
    def current(self) -> Step:
        return step(self.position)

    def active(self, answers: dict[str, Any] | None = None) -> list[Step]:
        return active_steps(self.with_answers(answers))

    def with_answers(self, answers: dict[str, Any] | None) -> Settings:
        """The settings as the current step's `answers` (not applied yet) would make them: the
        step list and the count follow a gateway as soon as it is chosen, not after F9."""
        if not answers:
            return self.settings
        preview = self.settings.copy()
        apply(self.current, answers, preview)
        return preview

    def number(
        self, which: Step | None = None, answers: dict[str, Any] | None = None
    ) -> tuple[int, int]:
        """1-based position of `which` (default: the current step) among the active steps."""
        active = [s.id for s in self.active(answers)]
        return active.index((which or self.current).id) + 1, len(active)

    def questions(self, answers: dict[str, Any] | None = None) -> list[Question]:
        """The current step's questions, defaults following `answers` so far."""
        return questions(self.current, self.settings, answers)

    def next_question(self, answers: dict[str, Any]) -> Question | None:
        """The current step's first unanswered question, or None when all are answered."""
        return next_question(self.current, self.settings, answers)

    def check_answer(self, name: str, value: Any, answers: dict[str, Any]) -> list[Problem]:
        """Problems of one answer of the current step, judged with the answers so far."""
        return check_answer(self.current, name, value, self.settings, answers)

    def apply(self, answers: dict[str, Any]) -> list[Problem]:
        """Apply answers to the current step; without errors it is marked done (not moved on).

        The test-send step only records recipient and kind: it is done once a send has run
        (`complete()`).
        """
        problems = apply(self.current, answers, self.settings)
        if errors(problems):
            return problems
        if self.current.id == StepId.TEST_SEND:
            self.test_recipient = answers.get(TEST_RECIPIENT, self.test_recipient)
            self.test_kind = answers.get(TEST_KIND, self.test_kind)
        else:
            self.status[self.position] = StepStatus.DONE
        return problems

    def set(self, values: dict[str, Any]) -> None:
        """Settings no question asks (a pinned certificate), through the editing layer's rules."""
        editing.apply(self.settings, values, self.loaded.settings)

    def complete(self) -> None:
        """Mark the current step done (review, save, a test send that was run) and move on."""
        self.status[self.position] = StepStatus.DONE
        self.forward()

    def skip(self) -> None:
        """Leave the current step's settings as they are and move on; it can be revisited."""
        if self.status[self.position] != StepStatus.DONE:
            self.status[self.position] = StepStatus.SKIPPED
        self.forward()

    def forward(self) -> bool:
        """Move to the next step that applies; False when already at the last."""
        return self._move(+1)

    def back(self) -> bool:
        """Move to the previous step that applies; False when already at the first."""
        return self._move(-1)

    def go(self, step_id: StepId | str) -> None:
        """Revisit any step that applies."""
        target = step(step_id)
        if not applies(target, self.settings):
            raise ValueError(f"step {target.id.value} does not apply to this gateway")
        self.position = target.id

    def _move(self, delta: int) -> bool:
        order = [s.id for s in STEPS]
        index = order.index(self.position) + delta
        while 0 <= index < len(order):
            if applies(STEPS[index], self.settings):
                self.position = order[index]
                return True
            index += delta
        return False

    def statuses(self, answers: dict[str, Any] | None = None) -> dict[StepId, StepStatus]:
        """Each step's state; a step that does not apply to the gateway shows so."""
        settings = self.with_answers(answers)
        return {
            s.id: self.status[s.id] if applies(s, settings) else StepStatus.NOT_APPLICABLE
            for s in STEPS
        }

    def test_message(self) -> EmailMessage:
        """The sample mail of the test-send step; raises MessageInvalid for a bad recipient."""
        return build_message(self.settings, self.test_kind, self.test_recipient)

    def problems(self) -> list[Problem]:
        """Every problem of the working settings, as a save would judge them."""
        return validate(self.settings, self.loaded.path, saving=True)

    def blocking(self) -> list[Problem]:
        return errors(self.problems())

    def diff(self) -> str:
        """The masked TOML diff a save would make ("" when nothing changes)."""
        return store.masked_diff(self.loaded, self.settings)

    def edited_values(self) -> dict[str, Any]:
        """The keys this run changed, with their values (for the console to take over)."""
        return {c.key: c.new for c in store.changes(self.loaded, self.settings)}

    def changed(self) -> bool:
        return bool(store.changes(self.loaded, self.settings)) or not self.loaded.exists

    def save(self, *, force: bool = False) -> store.SaveResult:
        """Save through the editing layer; refuses (EditRefused) while an error remains."""
        session = EditSession(self.loaded.path, loaded=self.loaded, settings=self.settings)
        return session.save(force=force)
