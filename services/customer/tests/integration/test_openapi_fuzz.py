"""Schemathesis, with all its checks, finds nothing the customer service's OpenAPI document does not say."""

from __future__ import annotations

import httpx

from servicekit.auth import issue_token
from servicekit.settings import JwtSettings
from servicekit.testing.fuzzing import fuzz_openapi
from servicekit.testing.plugin import TokenFactory

RULES_BEYOND_SCHEMA = (
    # Check digits and national formats (python-stdnum), and the sanity rules of every number.
    "organisation_number",
    "vat_number",
    "personal_identity_number",  # also: which kind of number a customer has follows its stored type
    "tax_ids.*.number",
    # What the office holds: its numbering settings, its active categories, its custom fields.
    "customer_number",
    "category_ids.*",
    "custom_fields.*",
    # Relations with stored values: one of a number's minimum and maximum length may be stored and the
    # other sent; only a select field has options, and its type may be the stored one.
    "customer_number_min_length",
    "customer_number_max_length",
    "options",
    # An address names a contact of its customer, which the contact service must know.
    "contact_id",
    "addresses.*.contact_id",
)
"""Fields whose 422 for schema-valid data is a rule no JSON Schema states (see servicekit.testing.fuzzing)."""


async def test_every_public_operation_answers_as_its_openapi_entry_says(
    api: httpx.AsyncClient, make_token: TokenFactory
) -> None:
    run = await fuzz_openapi(
        api.app,  # type: ignore[attr-defined]
        token=make_token("office_admin"),
        exclude_path_regex="^/internal/",
        rules_beyond_schema=RULES_BEYOND_SCHEMA,
    )
    assert run.found_nothing, run.output


async def test_every_internal_operation_answers_service_tokens_as_its_openapi_entry_says(
    api: httpx.AsyncClient,
) -> None:
    token = issue_token(JwtSettings(), subject="search", office_id=None, kind="service")
    run = await fuzz_openapi(api.app, token=token, include_path_regex="^/internal/")  # type: ignore[attr-defined]
    assert run.found_nothing, run.output
