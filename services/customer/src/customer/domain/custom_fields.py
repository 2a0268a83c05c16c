"""Custom fields (SPEC §3): an office defines extra fields for its customers; values must fit them.

Values are validated and normalised on the way in, so what is stored always has one JSON form per type:
text → a stripped string, number → an int or a float, date → an ISO `YYYY-MM-DD` string, bool → true or
false, select → exactly one of the options as spelt in the definition. Input is a little lenient where
forms and spreadsheets need it (`"42"` for a number, `"true"` for a bool, `"gold"` for the option
`Gold`, a blank string for "no value"); what is stored never is.

A definition change must never silently break stored values: a stored value counts as broken under a
changed definition unless validating it again gives back exactly the same value. So a type change is
possible only where every stored value already has the new type's form (select → text, text → select
when every value is an option), and removing an option only when no customer has it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal, TypeVar, get_args

from domainkit import InvalidField

FieldType = Literal["text", "number", "date", "bool", "select"]
FIELD_TYPES: tuple[str, ...] = get_args(FieldType)

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_LABEL_LENGTH = 100
MAX_TEXT_LENGTH = 2000
MAX_OPTIONS = 200
MAX_OPTION_LENGTH = 100
MAX_POSITION = 10_000

_INTEGER = re.compile(r"^[+-]?[0-9]+$", re.ASCII)
_DECIMAL = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$", re.ASCII)
_CALENDAR_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", re.ASCII)
_T = TypeVar("_T")


@dataclass(frozen=True)
class FieldDefinition:
    key: str
    label: str
    type: FieldType
    options: tuple[str, ...] = ()
    required: bool = False
    position: int = 0
    version: int = 1


class ValueRefused(ValueError):
    """A custom-field value that does not fit its definition; the message says why."""


# --- definitions -------------------------------------------------------------------------------------


def new_definition(
    *,
    key: str,
    label: str,
    type: str,
    options: Iterable[str] = (),
    required: bool = False,
    position: int = 0,
) -> FieldDefinition:
    """A checked definition: key `^[a-z][a-z0-9_]{0,39}$`, label 1..100 characters, a known type,
    options only for select (at least one, no two alike ignoring case), position 0..10000."""
    if not KEY_PATTERN.fullmatch(key):
        raise InvalidField(
            "key", "must start with a lowercase letter and hold only a-z, 0-9 and _ (at most 40 characters)"
        )
    return _checked(
        FieldDefinition(
            key=key,
            label=label,
            type=_field_type(type),
            options=tuple(options),
            required=required,
            position=position,
        )
    )


CHANGEABLE = frozenset({"label", "type", "options", "required", "position"})


def change_definition(definition: FieldDefinition, changes: Mapping[str, object]) -> FieldDefinition:
    """The definition with `changes` applied and checked, one version on; the same definition when
    nothing really changes. Changing the type away from select drops the options unless new ones are
    given (which the checks then refuse)."""
    unknown = set(changes) - CHANGEABLE
    if unknown:
        raise InvalidField(sorted(unknown)[0], "cannot be changed")
    for name, value in changes.items():
        if value is None:
            raise InvalidField(name, "cannot be cleared" if name != "options" else "send [] for no options")
    new_type = _field_type(changes["type"]) if "type" in changes else definition.type
    if "options" in changes:
        options = changes["options"]
        if not isinstance(options, list | tuple):
            raise InvalidField("options", "must be a list of options")
    else:
        # Options belong to select only: a field that stops being one loses them.
        options = definition.options if new_type == "select" else ()
    changed = _checked(
        replace(
            definition,
            label=_as(str, changes.get("label", definition.label), "label"),
            type=new_type,
            options=tuple(options),
            required=_as(bool, changes.get("required", definition.required), "required"),
            position=_as(int, changes.get("position", definition.position), "position"),
        )
    )
    if changed == definition:
        return definition
    return replace(changed, version=definition.version + 1)


def removed_options(before: FieldDefinition, after: FieldDefinition) -> tuple[str, ...]:
    """The options of `before` that `after` no longer has (as spelt, compared exactly)."""
    kept = set(after.options)
    return tuple(o for o in before.options if o not in kept)


def _field_type(value: object) -> FieldType:
    if value not in FIELD_TYPES:
        raise InvalidField("type", f"must be one of {', '.join(FIELD_TYPES)}")
    return value  # type: ignore[return-value]


_KIND_NAMES = {str: "text", bool: "true or false", int: "a whole number"}


def _as(kind: type[_T], value: object, field: str) -> _T:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InvalidField(field, f"must be {_KIND_NAMES.get(kind, kind.__name__)}")
    return value


def _checked(definition: FieldDefinition) -> FieldDefinition:
    label = definition.label.strip()
    if not label:
        raise InvalidField("label", "must not be blank")
    if len(label) > MAX_LABEL_LENGTH:
        raise InvalidField("label", f"must be at most {MAX_LABEL_LENGTH} characters")
    if not 0 <= definition.position <= MAX_POSITION:
        raise InvalidField("position", f"must be between 0 and {MAX_POSITION}")
    options = tuple(_option(n, o) for n, o in enumerate(definition.options))
    if definition.type != "select":
        if options:
            raise InvalidField("options", "only a select field has options")
    else:
        if not options:
            raise InvalidField("options", "a select field needs at least one option")
        if len(options) > MAX_OPTIONS:
            raise InvalidField("options", f"at most {MAX_OPTIONS} options")
        seen: set[str] = set()
        for n, option in enumerate(options):
            if option.casefold() in seen:
                raise InvalidField(f"options.{n}", f"{option} is already an option")
            seen.add(option.casefold())
    return replace(definition, label=label, options=options)


def _option(position: int, option: object) -> str:
    if not isinstance(option, str):
        raise InvalidField(f"options.{position}", "must be text")
    cleaned = option.strip()
    if not cleaned:
        raise InvalidField(f"options.{position}", "must not be blank")
    if len(cleaned) > MAX_OPTION_LENGTH:
        raise InvalidField(f"options.{position}", f"must be at most {MAX_OPTION_LENGTH} characters")
    return cleaned


# --- values ------------------------------------------------------------------------------------------


def validate_values(
    definitions: Mapping[str, FieldDefinition], values: Mapping[str, object], *, creating: bool
) -> dict[str, object]:
    """Validated, normalised values (number → int or float, date → ISO `YYYY-MM-DD` string, bool → bool,
    text → stripped str ≤ 2000 chars, select → one of options). Unknown key → InvalidField(
    f"custom_fields.{key}", "is not a custom field of this office"); wrong type → InvalidField naming
    `custom_fields.<key>` with a clear message; None clears a value (allowed unless required), and so
    does a blank string; when `creating`, every required field must be present and not None
    (InvalidField naming it)."""
    result: dict[str, object] = {}
    for key, value in values.items():
        definition = definitions.get(key)
        if definition is None:
            raise InvalidField(f"custom_fields.{key}", "is not a custom field of this office")
        try:
            normalised = normalise_value(definition, value)
        except ValueRefused as refused:
            raise InvalidField(f"custom_fields.{key}", str(refused)) from None
        if normalised is None and definition.required:
            message = "is required" if creating else "is required and cannot be cleared"
            raise InvalidField(f"custom_fields.{key}", f"{message} ({definition.label})")
        result[key] = normalised
    if creating:
        for definition in sorted(definitions.values(), key=lambda d: (d.position, d.key)):
            if definition.required and result.get(definition.key) is None:
                raise InvalidField(f"custom_fields.{definition.key}", f"is required ({definition.label})")
    return result


def normalise_value(definition: FieldDefinition, value: object) -> object:
    """The stored form of one value; None for no value. Raises ValueRefused saying what is wrong."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    match definition.type:
        case "text":
            return _text(value)
        case "number":
            return _number(value)
        case "date":
            return _date(value)
        case "bool":
            return _bool(value)
        case "select":
            return _select(value, definition.options)
    raise ValueRefused(f"has an unknown type {definition.type}")  # pragma: no cover - FieldType is closed


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueRefused("must be text")
    cleaned = value.strip()
    if len(cleaned) > MAX_TEXT_LENGTH:
        raise ValueRefused(f"must be at most {MAX_TEXT_LENGTH} characters")
    return cleaned


def _number(value: object) -> int | float:
    if isinstance(value, bool):
        raise ValueRefused("must be a number, not true or false")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueRefused("must be a finite number")
        return value
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return int(text)
        if not _DECIMAL.fullmatch(text):
            raise ValueRefused(f"must be a number, not {value!r}")
        number = float(text)
        if not math.isfinite(number):
            raise ValueRefused("must be a finite number")
        return number
    raise ValueRefused("must be a number")


def _date(value: object) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueRefused("must be a date as YYYY-MM-DD")
    text = value.strip()
    # Only the calendar form: fromisoformat alone would also take week dates and compact forms.
    if _CALENDAR_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    raise ValueRefused(f"must be a date as YYYY-MM-DD, not {value!r}")


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "true":
            return True
        if text == "false":
            return False
    raise ValueRefused("must be true or false")


def _select(value: object, options: tuple[str, ...]) -> str:
    if isinstance(value, str):
        wanted = value.strip().casefold()
        for option in options:
            if option.casefold() == wanted:
                return option
    raise ValueRefused(f"must be one of: {', '.join(options)}")


def is_valid_stored(definition: FieldDefinition, stored: object) -> bool:
    """Whether a stored value is still valid under `definition`: validating it gives back exactly it
    (same type and value), so nothing about it would change. A stored null is no value and never broken."""
    if stored is None:
        return True
    try:
        normalised = normalise_value(definition, stored)
    except ValueRefused:
        return False
    return type(normalised) is type(stored) and normalised == stored


def values_broken_by(new: FieldDefinition, stored: Iterable[object]) -> int:
    """How many of the stored values would not be valid under the changed definition."""
    return sum(1 for value in stored if not is_valid_stored(new, value))
