"""One binding between every form control and its key in the editing layer.

A control's change goes into `EditSession` (text through the key's spec, choices as values);
the model then comes back into every control whose shown value differs from it. A control is
never rewritten with what it already reads as (typing is never undone), and a value put in by
the model posts no change message, so every change message is the person's.
"""

from __future__ import annotations

from typing import Any

from textual.dom import DOMNode
from textual.message import Message
from textual.widgets import Checkbox, Input, RadioButton, RadioSet, Select, TextArea

from mailgw.config.editing import EditSession
from mailgw.config.schema import KEYS, ValueParseError, get_value, parse_value
from mailgw.tui.widgets.field import Field
from mailgw.tui.widgets.password_field import PasswordField


def bound_field(node: DOMNode | None) -> Field | None:
    """The field of a setting that `node` belongs to, or None (a recipient, a file name...)."""
    while node is not None:
        if isinstance(node, Field):
            return node if node.key in KEYS else None
        node = node.parent
    return None


def write(session: EditSession, field: Field, event: Message) -> bool:
    """Put what the control shows now into the session; False when that is already the model.

    The control is read, not the message: messages queue up while a person types on, so one
    handled after the next key carries older text than the field shows, and the show that
    follows its write would put that older text back (typed characters lost or out of
    order). A Select also posts its first value when it mounts, after the model may already
    have put the file's value in: read now, it is the model's, and nothing is edited.
    """
    control, key = field.control, field.key
    value: Any
    if isinstance(control, PasswordField):
        value = control.password()
    elif isinstance(event, (Input.Changed, TextArea.Changed)):
        text = event.input.value if isinstance(event, Input.Changed) else event.text_area.text
        if key in session.text_errors or not _reads_as(key, text, _model(session, key)):
            session.set_text(key, text)
            return True
        return False
    elif isinstance(event, Checkbox.Changed):
        value = event.checkbox.value
    elif isinstance(event, RadioSet.Changed):
        if not event.pressed.value:
            return False  # pressed, then another one before this was handled: that one counts
        value = event.pressed.name  # the event's button: the set's own state may lag behind
    elif isinstance(event, Select.Changed) and isinstance(event.select.value, str):
        value = event.select.value
    else:
        return False
    if value == _model(session, key):
        return False
    session.set(key, value)
    return True


def _model(session: EditSession, key: str) -> Any:
    return get_value(session.settings, key)  # plain: an enum's value


def show(session: EditSession, field: Field, *, fresh: bool = False) -> None:
    """Show the model's value in the control, unless the control already shows it.

    `fresh`: the file was just read or written; a password field starts empty again.
    """
    key, control = field.key, field.control
    if key in session.text_errors:
        return  # text that is not yet a value stays as typed
    value = _model(session, key)
    if isinstance(control, PasswordField):
        if fresh or control.password() != value:
            control.load(value)
    elif isinstance(control, Input):
        if not _reads_as(key, control.value, value):
            with control.prevent(Input.Changed):
                control.value = _text(value)
    elif isinstance(control, TextArea):
        if control.text != value:
            with control.prevent(TextArea.Changed):
                control.text = value
    elif isinstance(control, Checkbox):
        if control.value != value:
            with control.prevent(Checkbox.Changed):
                control.value = bool(value)
    elif isinstance(control, RadioSet):
        _press(control, str(value))
    elif isinstance(control, Select) and control.value != value:
        with control.prevent(Select.Changed):
            control.value = value  # every Select offers the values its key can hold


def _press(radio_set: RadioSet, value: str) -> None:
    """Press the button named `value`; the set turns the others off itself."""
    for index, button in enumerate(radio_set.query(RadioButton)):
        if button.name == value and not button.value:
            with radio_set.prevent(RadioSet.Changed):
                button.value = True
            # the set moves its cursor on its own Changed, prevented here: arrows start from it
            radio_set._selected = index


def _reads_as(key: str, text: str, value: Any) -> bool:
    try:
        return parse_value(key, text) == value
    except ValueParseError:
        return False


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
