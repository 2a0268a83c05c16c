"""Schemathesis, with all its checks, finds nothing the search service's OpenAPI document does not say."""

from __future__ import annotations

import httpx

from servicekit.testing.fuzzing import fuzz_openapi
from servicekit.testing.plugin import TokenFactory


async def test_every_operation_answers_as_its_openapi_entry_says(
    api: httpx.AsyncClient, make_token: TokenFactory
):
    run = await fuzz_openapi(api.app, token=make_token("viewer"))  # type: ignore[attr-defined]
    assert run.found_nothing, run.output
