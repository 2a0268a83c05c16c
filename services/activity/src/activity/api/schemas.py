"""The activity API's JSON shapes, and their translation into commands.

Requests: every field may be left out of a PATCH; one that cannot be empty (`subject`, `contact_ids`,
`occurred_at`, `status`) may not be sent as null either, and the kind and the customer are not in a PATCH
at all (they are fixed once logged). Times must carry their zone (`2026-12-01T09:00:00+01:00` or `...Z`).
The answer model is the contract's `ActivityState`, so a field is written once for events and answers,
plus whether the customer is active.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
)
from pydantic.config import JsonDict

from activity.domain.activity import (
    MAX_BODY_LENGTH,
    MAX_CONTACTS,
    MAX_SUBJECT_LENGTH,
    ActivityKind,
    ProjectReference,
    Status,
)
from activity.domain.commands import ActivityDetails
from contracts.activity import ActivityState
from servicekit.api_fields import NOT_BLANK, not_null

SYSTEM_PATTERN = r"^[a-z][a-z0-9_-]{0,39}$"
"""As the customer service's project links name their systems."""
MAX_REFERENCE_LENGTH = 100
"""As `contracts.activity.ProjectReference` allows."""


def _storable_moment(moment: datetime) -> datetime:
    # The database keeps times in UTC; a time at the very edge of the calendar (year 1 or 9999) with an
    # offset has no UTC form that Python can hold, and would fail when read back.
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("must be a time between the years 1 and 9999 in UTC") from None


_RFC_3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _written_out(value: object) -> object:
    # A time is written out as the schema's date-time says (RFC 3339, with its zone): pydantic alone
    # would also take a number, or text such as "0.5", as seconds since 1970.
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC_3339.fullmatch(value)):
        return value
    raise ValueError("must be a date and time with its zone, such as 2026-12-01T09:00:00+01:00")


Moment = Annotated[AwareDatetime, BeforeValidator(_written_out), AfterValidator(_storable_moment)]
"""A point in time with its zone, e.g. 2026-12-01T09:00:00+01:00; answered in UTC."""
Subject = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_SUBJECT_LENGTH, pattern=NOT_BLANK),
]
Body = Annotated[str, StringConstraints(max_length=MAX_BODY_LENGTH)]
SystemName = Annotated[str, StringConstraints(pattern=SYSTEM_PATTERN)]
Reference = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=MAX_REFERENCE_LENGTH, pattern=NOT_BLANK
    ),
]


class ProjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system: SystemName = Field(description="The app the project lives in, e.g. projects, erp")
    reference: Reference = Field(description="The project's (or order's) id in that system")


class _ActivityFields(BaseModel):
    """Every field a client may send to log or edit an activity."""

    model_config = ConfigDict(extra="forbid")

    subject: Subject = not_null()
    body: Body | None = None
    contact_ids: list[uuid.UUID] = not_null(
        max_length=MAX_CONTACTS,
        description="Contacts involved: each a contact of the activity's customer, named once.",
        schema={"uniqueItems": True},
    )
    project: ProjectIn | None = Field(default=None, description="The project the activity belongs to.")
    occurred_at: Moment = not_null(description="When it happened; now when a new activity leaves it out.")
    due_at: Moment | None = Field(default=None, description="Tasks only: when it is due.")
    starts_at: Moment | None = Field(default=None, description="Calendar entries only (and required there).")
    ends_at: Moment | None = Field(default=None, description="Calendar entries only: not before starts_at.")
    status: Status = not_null(
        description="Tasks and calendar entries only: planned (the default) or done, which records who "
        "and when."
    )

    def details(self) -> ActivityDetails:
        """The fields the client sent, in the domain's types; the rest NOT_SENT."""
        values: dict[str, Any] = {}
        for name in self.model_fields_set - {"kind", "customer_id"}:
            value = getattr(self, name)
            match name:
                case "contact_ids":
                    values[name] = tuple(value)
                case "project":
                    values[name] = ProjectReference(value.system, value.reference) if value else None
                case _:
                    values[name] = value
        return ActivityDetails(**values)


def _only_with(kinds: list[JsonValue], fields: list[str]) -> JsonDict:
    """For other kinds than `kinds`, the `fields` must be left out or null."""
    return {
        "if": {"properties": {"kind": {"not": {"enum": kinds}}}},
        "then": {"properties": {field: {"type": "null"} for field in fields}},
    }


_KIND_RULES: JsonDict = {
    "allOf": [
        _only_with(["task"], ["due_at"]),
        _only_with(["calendar"], ["starts_at", "ends_at"]),
        {
            "if": {"properties": {"kind": {"not": {"enum": ["task", "calendar"]}}}},
            "then": {"not": {"required": ["status"]}},
        },
        {
            "if": {"properties": {"kind": {"const": "calendar"}}},
            "then": {"required": ["starts_at"], "properties": {"starts_at": {"type": "string"}}},
        },
    ]
}
"""What each kind carries, as far as a schema can say it: a due time only on tasks, a start and end only on
calendar entries (which need a start), a status only on both."""


class ActivityCreate(_ActivityFields):
    """A new activity on a customer, logged by the caller."""

    model_config = ConfigDict(json_schema_extra=_KIND_RULES)

    kind: ActivityKind
    customer_id: uuid.UUID = Field(description="A customer your office sees (its own, or a global one).")
    subject: Subject


class ActivityPatch(_ActivityFields):
    """Only the fields to change; null clears one that may be empty."""


class ActivityOut(ActivityState):
    """The activity as the API answers it: its event state, and whether its customer is active (an
    inactive customer still takes activities)."""

    customer_active: bool = Field(description="false when the customer has been deactivated.")


def answer_of(state: ActivityState, *, customer_active: bool) -> ActivityOut:
    return ActivityOut.model_validate({**state.model_dump(), "customer_active": customer_active})
