"""Schemathesis, with all its checks, finds nothing the contact service's OpenAPI document does not say."""

from __future__ import annotations

import uuid

import httpx
import pytest

from servicekit.auth import issue_token
from servicekit.local_copies import LocalCopies
from servicekit.settings import JwtSettings
from servicekit.testing.fuzzing import fuzz_openapi
from servicekit.testing.plugin import TokenFactory
from servicekit.testing.states import a_customer

RULES_BEYOND_SCHEMA = (
    # The numbering plans (phonenumbers) and the address syntax (email-validator), and the customer's
    # country that reads a national number.
    "phone",
    "email",
    # Reports and work orders go by email: the flag needs an email, sent now or stored.
    "receives_service_reports",
    "receives_work_orders",
)
"""Fields whose 422 for schema-valid data is a rule no JSON Schema states (see servicekit.testing.fuzzing)."""


@pytest.fixture
async def every_id_a_customer(api: httpx.AsyncClient, settings, office_id: str) -> None:
    """The customer service answers every customer id the fuzzer draws with a customer of the office, so
    creates get past `customer_id` and the stateful phase reaches the contacts they make. (That an unknown
    customer is a 422 naming `customer_id` is tested against the real customer service.)"""

    def answer(request: httpx.Request) -> httpx.Response:
        customer_id = uuid.UUID(request.url.path.rsplit("/", 1)[1])
        state = a_customer(office_id, customer_id, 1)
        return httpx.Response(200, content=state.model_dump_json(by_alias=True))

    runtime = api.app.state.runtime  # type: ignore[attr-defined]
    before = runtime.copies
    runtime.copies = LocalCopies(settings, client=httpx.AsyncClient(transport=httpx.MockTransport(answer)))
    await before.close()


@pytest.mark.usefixtures("every_id_a_customer")
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
    token = issue_token(JwtSettings(), subject="activity", office_id=None, kind="service")
    run = await fuzz_openapi(api.app, token=token, include_path_regex="^/internal/")  # type: ignore[attr-defined]
    assert run.found_nothing, run.output
