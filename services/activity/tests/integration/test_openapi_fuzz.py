"""Schemathesis, with all its checks, finds nothing the activity service's OpenAPI document does not say."""

from __future__ import annotations

import httpx

from servicekit.testing.fuzzing import fuzz_openapi
from servicekit.testing.plugin import TokenFactory

RULES_BEYOND_SCHEMA = (
    # What the copies hold: a customer the office sees, contacts of that customer.
    "customer_id",
    "contact_ids",
    # Relations between values: an end not before its start, `to` after `from`, a reference only with its
    # system; and, in an edit, what the stored kind carries (a status, a due time, a start and an end).
    "status",
    "due_at",
    "starts_at",
    "ends_at",
    "to",
    "project_reference",
    # A time at the very edge of the calendar whose offset takes it past year 1 or 9999 in UTC.
    "occurred_at",
    "from",
)
"""Fields whose 422 for schema-valid data is a rule no JSON Schema states (see servicekit.testing.fuzzing)."""


async def test_every_operation_answers_as_its_openapi_entry_says(
    api: httpx.AsyncClient, make_token: TokenFactory
) -> None:
    run = await fuzz_openapi(
        api.app,  # type: ignore[attr-defined]
        token=make_token("office_admin"),
        rules_beyond_schema=RULES_BEYOND_SCHEMA,
    )
    assert run.found_nothing, run.output
