"""The customer service's OpenAPI document states its errors, headers, formats and limits."""

from __future__ import annotations

from typing import Any

import pytest

from customer.api import schemas
from customer.config import Settings
from customer.main import create_app
from servicekit.errors import PROBLEM_JSON
from servicekit.etag import IF_MATCH_PATTERN
from servicekit.idempotency import KEY_PATTERN
from servicekit.pagination import CURSOR_MAX_LENGTH, CURSOR_PATTERN
from servicekit.testing.openapi import operations, parameter


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(Settings(environment="test", log_json=False)).openapi()


def test_every_operation_behind_a_bearer_token_documents_401_with_its_challenge(document):
    behind_token = [(m, p, o) for m, p, o in operations(document) if o.get("security")]
    assert len(behind_token) > 30
    for method, path, operation in behind_token:
        unauthorized = operation["responses"].get("401")
        assert unauthorized is not None, f"{method} {path}"
        assert "WWW-Authenticate" in unauthorized["headers"], f"{method} {path}"


def test_every_error_of_the_api_is_a_problem_document(document):
    for method, path, operation in operations(document):
        if not operation.get("security"):
            continue  # the health probes answer their own status document
        for status, answer in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert list(answer["content"]) == [PROBLEM_JSON], f"{method} {path} {status}"
                assert answer["content"][PROBLEM_JSON]["schema"]["required"] == [
                    "type",
                    "title",
                    "status",
                    "detail",
                ]


def test_every_operation_with_parameters_or_a_body_documents_its_422_and_one_with_a_body_its_400(document):
    for method, path, operation in operations(document):
        if operation.get("parameters") or "requestBody" in operation:
            assert "422" in operation["responses"], f"{method} {path}"
        if "requestBody" in operation:
            assert "400" in operation["responses"], f"{method} {path}"
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_patching_a_customer_requires_if_match_and_documents_428_and_412(document):
    patch = document["paths"]["/v1/customers/{customer_id}"]["patch"]
    if_match = parameter(patch, "header", "If-Match")
    assert if_match["required"] is True
    assert if_match["schema"]["pattern"] == IF_MATCH_PATTERN
    assert {"412", "428"} <= set(patch["responses"])


def test_changes_that_honour_if_match_document_its_format_and_412(document):
    for method, path, operation in operations(document):
        names = [p["name"].lower() for p in operation.get("parameters", []) if p["in"] == "header"]
        if "if-match" in names:
            assert "pattern" in parameter(operation, "header", "If-Match")["schema"], f"{method} {path}"
            assert {"400", "412"} <= set(operation["responses"]), f"{method} {path}"


def test_creating_a_customer_documents_the_idempotency_key_and_its_replay_header(document):
    post = document["paths"]["/v1/customers"]["post"]
    key = parameter(post, "header", "Idempotency-Key")
    assert key["schema"]["pattern"] == KEY_PATTERN
    assert "Idempotent-Replayed" in post["responses"]["201"]["headers"]
    assert {"ETag", "Location"} <= set(post["responses"]["201"]["headers"])


def test_every_list_documents_its_cursor_format_and_page_size(document):
    lists = [
        (m, p, o)
        for m, p, o in operations(document)
        if any(q["name"] == "cursor" for q in o.get("parameters", []))
    ]
    assert {p for _, p, _ in lists} == {
        "/v1/customers",
        "/v1/customers/{customer_id}/history",
        "/v1/customers/{customer_id}/links",
        "/v1/imports",
    }
    for method, path, operation in lists:
        cursor = parameter(operation, "query", "cursor")["schema"]
        assert cursor["maxLength"] == CURSOR_MAX_LENGTH, f"{method} {path}"
        assert cursor["pattern"] == CURSOR_PATTERN, f"{method} {path}"
        limit = parameter(operation, "query", "limit")["schema"]
        assert limit["minimum"] == 1, f"{method} {path}"
        assert limit["maximum"] >= limit["default"], f"{method} {path}"


def test_the_customer_create_schema_states_the_size_of_every_list_and_map(document):
    create = document["components"]["schemas"]["CustomerCreate"]["properties"]
    assert create["tax_ids"]["maxItems"] == schemas.MAX_TAX_IDS
    assert create["category_ids"]["maxItems"] == schemas.MAX_CATEGORY_IDS
    assert create["addresses"]["maxItems"] == schemas.MAX_ADDRESSES
    assert create["custom_fields"]["maxProperties"] == schemas.MAX_CUSTOM_FIELDS
    assert create["external_ids"]["maxProperties"] == schemas.MAX_EXTERNAL_IDS
    assert create["external_ids"]["additionalProperties"] is False


def test_optional_headers_and_query_parameters_are_never_documented_as_null(document):
    for method, path, operation in operations(document):
        for given in operation.get("parameters", []):
            assert "'type': 'null'" not in str(given["schema"]), f"{method} {path} {given['name']}"
