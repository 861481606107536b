"""The key list derived from the model: dotted keys, their types, and conversion both ways."""

from __future__ import annotations

import dataclasses
import enum
import json
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mailgw.config.model import Settings
from mailgw.i18n import N_, _


class ValueParseError(ValueError):
    """A value given for a key cannot be read as that key's type."""


@dataclass(frozen=True)
class KeySpec:
    """One leaf key of the contract."""

    key: str  # dotted, e.g. "smtp.auth.username"
    type: type  # bool, int, float, str, list, or an Enum subclass
    default: Any
    doc: str
    reader: str
    secret: bool = False
    minimum: float | None = None
    maximum: float | None = None

    @property
    def table(self) -> str:
        return self.key.rpartition(".")[0]

    @property
    def name(self) -> str:
        return self.key.rpartition(".")[2]

    @property
    def choices(self) -> list[str] | None:
        if isinstance(self.type, type) and issubclass(self.type, enum.Enum):
            return [member.value for member in self.type]
        return None


def _walk(cls: type, prefix: str) -> Iterator[KeySpec]:
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(hint):
            yield from _walk(hint, key + ".")
            continue
        default = f.default_factory() if f.default is dataclasses.MISSING else f.default
        origin = typing.get_origin(hint) or hint
        yield KeySpec(
            key=key,
            type=origin,
            default=default.value if isinstance(default, enum.Enum) else default,
            doc=f.metadata.get("doc", ""),
            reader=f.metadata.get("reader", ""),
            secret=f.metadata.get("secret", False),
            minimum=f.metadata.get("minimum"),
            maximum=f.metadata.get("maximum"),
        )


KEYS: dict[str, KeySpec] = {spec.key: spec for spec in _walk(Settings, "")}
SECRET_KEYS = frozenset(key for key, spec in KEYS.items() if spec.secret)
TABLES: tuple[str, ...] = tuple(dict.fromkeys(spec.table for spec in KEYS.values() if spec.table))


def get_value(settings: Settings, key: str) -> Any:
    """The plain (TOML-ready) value of a dotted key."""
    obj: Any = settings
    for part in key.split("."):
        obj = getattr(obj, part)
    if isinstance(obj, enum.Enum):
        return obj.value
    return list(obj) if isinstance(obj, list) else obj


def set_value(settings: Settings, key: str, value: Any) -> None:
    """Set a dotted key from a plain value already of the right type."""
    spec = KEYS[key]
    *path, name = key.split(".")
    obj: Any = settings
    for part in path:
        obj = getattr(obj, part)
    if spec.choices is not None:
        value = spec.type(value)
    setattr(obj, name, value)


def to_dict(settings: Settings) -> dict[str, Any]:
    """Nested plain dict of every key, in contract order."""
    out: dict[str, Any] = {}
    for key in KEYS:
        *path, name = key.split(".")
        table = out
        for part in path:
            table = table.setdefault(part, {})
        table[name] = get_value(settings, key)
    return out


def key_spec(key: str) -> KeySpec:
    """The spec of a dotted key; ValueParseError naming it when the contract has no such key."""
    spec = KEYS.get(key)
    if spec is None:
        raise ValueParseError(
            _("unknown key {key}; `mailgw show` lists the keys").format(key=repr(key))
        )
    return spec


def parse_value(key: str, text: str) -> Any:
    """Read a command-line string as the type of `key` (for `mailgw set`)."""
    spec = key_spec(key)
    if spec.choices is not None:
        if text not in spec.choices:
            message = _("{key} must be one of {choices}, not {value}")
            choices = ", ".join(spec.choices)
            raise ValueParseError(message.format(key=key, choices=choices, value=repr(text)))
        return text
    if spec.type is bool:
        lowered = text.strip().lower()
        if lowered in {"true", "yes", "on", "1"}:
            return True
        if lowered in {"false", "no", "off", "0"}:
            return False
        message = _("{key} must be true or false, not {value}")
        raise ValueParseError(message.format(key=key, value=repr(text)))
    if spec.type is int:
        try:
            return int(text)
        except ValueError:
            message = _("{key} must be a whole number, not {value}")
            raise ValueParseError(message.format(key=key, value=repr(text))) from None
    if spec.type is float:
        try:
            return float(text)
        except ValueError:
            message = _("{key} must be a number of seconds, not {value}")
            raise ValueParseError(message.format(key=key, value=repr(text))) from None
    if spec.type is list:
        if text.strip().startswith("["):
            try:
                items = json.loads(text)
            except json.JSONDecodeError as exc:
                message = _("{key}: {reason} in the list {value}")
                shown = message.format(key=key, reason=exc.msg, value=repr(text))
                raise ValueParseError(shown) from None
        else:
            items = [part.strip() for part in text.split(",") if part.strip()]
        return [str(item) for item in items]
    # spaces around a host or an address are a typo; only the signature keeps its own
    return text if key in _VERBATIM_KEYS else text.strip()


_VERBATIM_KEYS = frozenset({"email.signature"})


def coerce_value(key: str, raw: Any) -> Any:
    """Check a value read from TOML against the key's type; raise ValueParseError if it differs."""
    spec = KEYS[key]
    expected = spec.type
    if spec.choices is not None:
        if raw not in spec.choices:
            message = _("{key} must be one of {choices}, not {value}")
            choices = ", ".join(spec.choices)
            raise ValueParseError(message.format(key=key, choices=choices, value=repr(raw)))
        return raw
    if expected is float and isinstance(raw, int) and not isinstance(raw, bool):
        return float(raw)
    if expected is list and isinstance(raw, list):
        if not all(isinstance(item, str) for item in raw):
            raise ValueParseError(_("{key} must be a list of strings").format(key=key))
        return [str(item) for item in raw]
    if expected is int and isinstance(raw, bool):
        message = _("{key} must be a whole number, not {value}")
        raise ValueParseError(message.format(key=key, value=repr(raw)))
    if not isinstance(raw, expected):
        shown = _("something else") if spec.secret else repr(raw)  # never echo a password
        message = _("{key} must be {type}, not {value}")
        raise ValueParseError(message.format(key=key, type=_type_word(expected), value=shown))
    # tomlkit items subclass the builtins; hand back plain values
    return expected(raw) if expected in (str, int, bool) else raw


def _type_word(expected: type) -> str:
    word = {
        bool: N_("true or false"),
        int: N_("a whole number"),
        float: N_("a number"),
        str: N_("a string"),
        list: N_("a list"),
    }.get(expected)
    return _(word) if word else expected.__name__


def json_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of the file, for platforms that do not speak Python."""
    root: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://x-gpsmail.com/schemas/mailgw/email-gateway-1.json",
        "title": "mailgw email-gateway configuration (schema_version 1)",
        "type": "object",
        "properties": {},
        "additionalProperties": True,  # the platform may keep keys of its own
    }
    for spec in KEYS.values():
        node = root
        for part in spec.key.split(".")[:-1]:
            node = node["properties"].setdefault(
                part,
                {"type": "object", "properties": {}, "additionalProperties": True},
            )
        node["properties"][spec.name] = _json_type(spec)
    return root


def _json_type(spec: KeySpec) -> dict[str, Any]:
    node: dict[str, Any] = {"description": spec.doc, "default": spec.default}
    if spec.choices is not None:
        node.update(type="string", enum=spec.choices)
    elif spec.type is bool:
        node["type"] = "boolean"
    elif spec.type is int:
        node["type"] = "integer"
    elif spec.type is float:
        node["type"] = "number"
    elif spec.type is list:
        node.update(type="array", items={"type": "string"})
    else:
        node["type"] = "string"
    if spec.minimum is not None:
        node["minimum"] = spec.minimum
    if spec.maximum is not None:
        node["maximum"] = spec.maximum
    return node


def key_table_markdown() -> str:
    """The table of every key for config/README.md (kept in step with KEYS by a test)."""
    rows = [
        "| Key | Type | Default | Read by | Meaning |",
        "|---|---|---|---|---|",
    ]
    for spec in KEYS.values():
        meaning = spec.doc.replace("|", "\\|")
        rows.append(
            f"| `{spec.key}` | {_type_label(spec)} | {_default_label(spec)} | {spec.reader} | "
            f"{meaning} |"
        )
    return "\n".join(rows) + "\n"


def _type_label(spec: KeySpec) -> str:
    if spec.choices is not None:
        return " \\| ".join(f'`"{choice}"`' for choice in spec.choices)
    label = {bool: "bool", int: "integer", float: "number", str: "string", list: "list of strings"}
    text = label.get(spec.type, spec.type.__name__)
    if spec.minimum is not None and spec.maximum is not None:
        text += f" ({spec.minimum:g}-{spec.maximum:g})"
    elif spec.minimum is not None:
        text += f" (>= {spec.minimum:g})"
    return text


def _default_label(spec: KeySpec) -> str:
    return f"`{json.dumps(spec.default, ensure_ascii=False)}`"
