"""The search service's OpenAPI document states its paths, errors, filters and limits."""

from __future__ import annotations

from typing import Any

import pytest

from search.config import Settings
from search.main import create_app
from servicekit.errors import PROBLEM_JSON
from servicekit.pagination import CURSOR_PATTERN
from servicekit.testing.openapi import operations, parameter


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(Settings(environment="test", log_json=False)).openapi()


def test_the_search_paths_of_the_spec_are_there(document):
    assert {"/v1/search/customers", "/v1/search/suggest"} <= set(document["paths"])


def test_every_search_operation_documents_its_errors_as_problems(document):
    searches = [(m, p, o) for m, p, o in operations(document) if p.startswith("/v1/search/")]
    searches = [(m, p, o) for m, p, o in searches if not p.endswith("/rebuild")]
    assert len(searches) == 2
    for method, path, operation in searches:
        assert {"401", "403", "422", "503"} <= set(operation["responses"]), f"{method} {path}"
        for status, answer in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert list(answer["content"]) == [PROBLEM_JSON], f"{method} {path} {status}"


def test_the_search_documents_its_filters_sorts_cursor_and_limits(document):
    search = document["paths"]["/v1/search/customers"]["get"]
    for name in ("q", "category", "owner", "active", "type", "segment", "city", "country", "sort", "limit"):
        parameter(search, "query", name)
    assert parameter(search, "query", "cursor")["schema"]["pattern"] == CURSOR_PATTERN
    assert parameter(search, "query", "q")["schema"]["maxLength"] == 200
    assert parameter(search, "query", "limit")["schema"]["maximum"] == 100
    assert set(parameter(search, "query", "sort")["schema"]["enum"]) == {
        "relevance",
        "name",
        "number",
        "updated",
    }


def test_the_rebuild_states_every_status(document):
    start = document["paths"]["/v1/search/rebuild"]["post"]
    assert set(start["responses"]) == {"202", "401", "403", "409", "503"}
    follow = document["paths"]["/v1/search/rebuild"]["get"]
    assert set(follow["responses"]) == {"200", "401", "403", "404"}
    for operation in (start, follow):
        for status, answer in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert list(answer["content"]) == [PROBLEM_JSON], status
