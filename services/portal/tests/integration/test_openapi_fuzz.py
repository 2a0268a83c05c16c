"""Schemathesis, with all its checks, finds nothing the portal service's OpenAPI document does not say: the
staff endpoints with an office admin's token, the portal user's endpoints with a portal token, and the
sign-in endpoints with no valid token at all."""

from __future__ import annotations

from portal_api_helpers import Platform
from servicekit.testing.fuzzing import fuzz_openapi
from servicekit.testing.plugin import TokenFactory

RULES_BEYOND_SCHEMA = (
    # The office's own catalogs and contacts, and the links' tokens, are stored data.
    "catalog_ids.*",
    "contact_id",
    "token",
    # The common-password list.
    "password",
    # A contact's phone and email, checked by the contact service (numbering plans, address syntax).
    "phone",
    "email",
)


async def test_the_staff_operations_answer_as_their_openapi_entries_say(
    platform: Platform, make_token: TokenFactory
) -> None:
    run = await fuzz_openapi(
        platform.portal.app,  # type: ignore[attr-defined]
        token=make_token("office_admin"),
        exclude_path_regex="^/v1/portal/(me|auth)",
        rules_beyond_schema=RULES_BEYOND_SCHEMA,
    )
    assert run.found_nothing, run.output


async def test_the_portal_user_and_sign_in_operations_answer_as_their_openapi_entries_say(
    platform: Platform,
) -> None:
    _, _, tokens = await platform.portal_user(["edit_company"])
    run = await fuzz_openapi(
        platform.portal.app,  # type: ignore[attr-defined]
        token=tokens["access_token"],
        include_path_regex="^/v1/portal/(me|auth)",
        rules_beyond_schema=RULES_BEYOND_SCHEMA,
    )
    assert run.found_nothing, run.output
