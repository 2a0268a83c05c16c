"""Request-model fields: what a client may leave out, and text that must not be blank.

In a PATCH, leaving a field out keeps it and null clears it; but some fields cannot be empty (a name, a
type, a list). Such a field is typed without `None`, so the schema and the validator refuse null with a 422
naming it, and it defaults to None only so that "not sent" needs no value: models read `model_fields_set`
to know what was sent, never the default. The default is kept out of the OpenAPI schema, which would
otherwise advertise a null the field refuses.

Text that must not be blank carries `NOT_BLANK` as its pattern, in the schema and in the validator alike:
it must hold one character that is whitespace to no one. Python's `str.strip`, pydantic's stripping and
JavaScript's `trim` each count a slightly different set of characters as whitespace, so "not blank" by one
could be blank by another; with this pattern it is not blank by any of them, and the document says exactly
what the service accepts.

`WholeNumber` is an integer as JSON Schema counts them: `3` and `3.0` (a JSON number with no fraction is an
integer there), never `true` or `"3"`, which pydantic's strict int and its lax int disagree with each way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, Strict

_WHITESPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
NOT_BLANK = f"[^{_WHITESPACE}]"
"""Holds a character that Python, pydantic (Rust) and JavaScript all agree is not whitespace."""


def _whole_float_as_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_float_as_int), Strict()]


def _without_default(extra: Mapping[str, Any]) -> Callable[[dict[str, Any]], None]:
    def edit(schema: dict[str, Any]) -> None:
        schema.pop("default", None)
        schema.update(extra)

    return edit


def not_null(*, schema: Mapping[str, Any] | None = None, **field_options: Any) -> Any:
    """`Field(...)` for an optional, non-nullable request field (see the module docstring); `schema` adds
    to the field's JSON Schema."""
    return Field(default=None, json_schema_extra=_without_default(schema or {}), **field_options)
