"""The wizard's questions as a form: one control per question, answers read back from them.

A value the person typed or chose is an answer; a value the form put there is a default, which
follows earlier answers (a provider fills host, port and security; a security change moves a
standard port), as the step model asks: `questions()` is asked again after every change.
"""

from __future__ import annotations

from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox, Input, RadioButton, RadioSet, Select, Static, TextArea

from mailgw.config.validate import Problem
from mailgw.delivery.setup_flow import Kind, Question
from mailgw.i18n import _
from mailgw.tui.widgets.field import Field, example
from mailgw.tui.widgets.menu import Menu
from mailgw.tui.widgets.password_field import KEEP_HINT
from mailgw.tui.widgets.toggles import Check, Radio

MAX_RADIOS = 3  # more choices than this go into a drop-down


def control_id(name: str) -> str:
    return "q-" + name.replace(".", "-")


class QuestionForm(Vertical):
    """The controls of one step's questions."""

    DEFAULT_CLASSES = "question-form"

    class Edited(Message):
        """A person changed a value: the owner asks the questions again."""

    def __init__(self, questions: list[Question], answers: dict[str, Any]) -> None:
        super().__init__()
        self.questions = questions
        self.answered: dict[str, Any] = dict(answers)
        self._shown: dict[str, Any] = {}  # what the form itself put in each control

    def compose(self) -> ComposeResult:
        for question in self.questions:
            label = "" if question.kind == Kind.BOOL else question.label  # the box says it
            # a question starts with its default: typing replaces it, as in a prompt
            control = self._control(question)
            yield Field(question.name, control, label=label, select_on_focus=True)
            if question.help:
                yield Static(question.help, classes="question-help", markup=False)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Labels sit above their controls here: scroll the whole field, label included, into
        view (scrolling to the control alone can leave its label just above the top edge)."""
        field = next((w for w in event.widget.ancestors_with_self if isinstance(w, Field)), None)
        if field is not None:
            field.scroll_visible(animate=False)

    def on_mount(self) -> None:
        for question in self.questions:
            value = self.answered.get(question.name, question.default)
            self._put(question, value)

    # ------------------------------------------------------------ controls

    def _control(self, question: Question) -> Widget:
        cid = control_id(question.name)
        if question.kind == Kind.CHOICE and len(question.choices) <= MAX_RADIOS:
            radios = [Radio(c.label, id=f"{cid}-{i}") for i, c in enumerate(question.choices)]
            return RadioSet(*radios, id=cid)
        if question.kind == Kind.CHOICE:
            options = [(c.label, c.value) for c in question.choices]
            return Menu(options, id=cid, allow_blank=False, compact=True)
        if question.kind == Kind.BOOL:
            return Check(question.label, id=cid)
        if question.kind == Kind.MULTILINE:
            return TextArea(id=cid, soft_wrap=True, tab_behavior="focus")
        if question.kind == Kind.SECRET:
            hint = _(KEEP_HINT) if question.has_current else ""
            return Input(id=cid, password=True, placeholder=hint)
        hint = example(question.example) if question.example else ""
        kind = "integer" if question.kind == Kind.INT else "text"
        return Input(id=cid, type=kind, placeholder=hint)

    def _put(self, question: Question, value: Any) -> None:
        """Show `value` in the question's control, remembered as the form's own."""
        control = self.query_one(f"#{control_id(question.name)}")
        self._shown[question.name] = value
        if isinstance(control, RadioSet):
            values = [c.value for c in question.choices]
            if value in values:
                index = values.index(value)
                control.query_one(f"#{control.id}-{index}", RadioButton).value = True
        elif isinstance(control, Select):
            control.value = value
        elif isinstance(control, Checkbox):
            control.value = bool(value)
        elif isinstance(control, TextArea):
            control.text = value or ""
        elif isinstance(control, Input) and question.kind != Kind.SECRET:
            control.value = "" if value is None else str(value)

    def value(self, question: Question) -> Any:
        """What the control holds now, as the question's kind."""
        control = self.query_one(f"#{control_id(question.name)}")
        if isinstance(control, RadioSet):
            pressed = control.pressed_index
            return question.choices[pressed].value if pressed >= 0 else question.default
        if isinstance(control, Select):
            return control.value
        if isinstance(control, Checkbox):
            return control.value
        if isinstance(control, TextArea):
            return control.text
        assert isinstance(control, Input)
        if question.kind == Kind.INT:
            return int(control.value) if control.value.isdigit() else 0
        if question.kind == Kind.SECRET:
            return None if control.value == "" and question.has_current else control.value
        return control.value.strip()

    # ------------------------------------------------------------ answers

    def answers(self) -> dict[str, Any]:
        """Every question's value: the person's answers and the defaults shown."""
        return {q.name: self.value(q) for q in self.questions}

    def set_answers(self, answers: dict[str, Any]) -> None:
        """Answers that come from elsewhere (a detect result): shown and kept as answers."""
        for question in self.questions:
            if question.name in answers:
                self._put(question, answers[question.name])
                self.answered[question.name] = answers[question.name]

    def follow(self, questions: list[Question]) -> None:
        """New defaults for the controls nobody touched (same questions, same order)."""
        self.questions = questions
        for question in questions:
            if question.name not in self.answered and question.kind != Kind.SECRET:
                if self.value(question) != question.default:
                    self._put(question, question.default)

    def show_problems(self, problems: list[Problem]) -> None:
        for field in self.query(Field):
            field.show_problems(problems)

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(RadioSet.Changed)
    @on(Select.Changed)
    @on(TextArea.Changed)
    def _changed(self, event: Message) -> None:
        control = getattr(event, "control", None) or getattr(event, "text_area", None)
        question = self._question_of(control)
        if question is None:
            return
        value = self.value(question)
        if question.name in self._shown and value == self._shown[question.name]:
            return  # the form's own change arriving
        self.answered[question.name] = value
        self._shown.pop(question.name, None)
        self.post_message(self.Edited())

    def _question_of(self, control: object) -> Question | None:
        widget_id = getattr(control, "id", None)
        return next((q for q in self.questions if control_id(q.name) == widget_id), None)
