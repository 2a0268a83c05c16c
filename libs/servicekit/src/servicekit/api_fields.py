"""Request-model fields a client may leave out but may not send as null.

In a PATCH, leaving a field out keeps it and null clears it; but some fields cannot be empty (a name, a
type, a list). Such a field is typed without `None`, so the schema and the validator refuse null with a 422
naming it, and it defaults to None only so that "not sent" needs no value: models read `model_fields_set`
to know what was sent, never the default. The default is kept out of the OpenAPI schema, which would
otherwise advertise a null the field refuses.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field


def _without_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def not_null(**field_options: Any) -> Any:
    """`Field(...)` for an optional, non-nullable request field (see the module docstring)."""
    return Field(default=None, json_schema_extra=_without_default, **field_options)
