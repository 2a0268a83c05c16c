"""The contact service's OpenAPI document states its errors, headers, formats and limits."""

from __future__ import annotations

from typing import Any

import pytest

from contact.api import schemas
from contact.config import Settings
from contact.main import create_app
from servicekit.errors import PROBLEM_JSON
from servicekit.etag import IF_MATCH_PATTERN
from servicekit.idempotency import KEY_PATTERN
from servicekit.pagination import CURSOR_MAX_LENGTH, CURSOR_PATTERN
from servicekit.testing.openapi import operations, parameter


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(Settings(environment="test", log_json=False)).openapi()


def test_the_paths_of_the_spec_are_there(document):
    assert {
        "/v1/contacts",
        "/v1/contacts/{contact_id}",
        "/v1/contacts/{contact_id}/deactivate",
        "/v1/contacts/{contact_id}/reactivate",
        "/internal/v1/contacts",
        "/internal/v1/contacts/{contact_id}",
    } <= set(document["paths"])


def test_every_operation_behind_a_bearer_token_documents_401_and_every_error_is_a_problem(document):
    behind_token = [(m, p, o) for m, p, o in operations(document) if o.get("security")]
    assert len(behind_token) == 12  # with the portal user's edit, the export and the import's batch
    for method, path, operation in behind_token:
        assert "WWW-Authenticate" in operation["responses"]["401"]["headers"], f"{method} {path}"
        for status, answer in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert list(answer["content"]) == [PROBLEM_JSON], f"{method} {path} {status}"


def test_what_reads_a_missing_customer_from_its_owner_documents_503(document):
    for method, path in (
        ("post", "/v1/contacts"),
        ("get", "/v1/contacts"),
        ("patch", "/v1/contacts/{contact_id}"),
    ):
        assert "503" in document["paths"][path][method]["responses"], f"{method} {path}"


def test_patching_a_contact_requires_if_match_and_documents_428_and_412(document):
    patch = document["paths"]["/v1/contacts/{contact_id}"]["patch"]
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


def test_creating_a_contact_documents_the_idempotency_key_and_its_replay_header(document):
    post = document["paths"]["/v1/contacts"]["post"]
    assert parameter(post, "header", "Idempotency-Key")["schema"]["pattern"] == KEY_PATTERN
    assert {"ETag", "Location", "Idempotent-Replayed"} <= set(post["responses"]["201"]["headers"])


def test_the_list_documents_its_filters_cursor_and_page_size(document):
    listing = document["paths"]["/v1/contacts"]["get"]
    cursor = parameter(listing, "query", "cursor")["schema"]
    assert (cursor["maxLength"], cursor["pattern"]) == (CURSOR_MAX_LENGTH, CURSOR_PATTERN)
    limit = parameter(listing, "query", "limit")["schema"]
    assert (limit["minimum"], limit["maximum"]) == (1, 200)
    assert parameter(listing, "query", "include_inactive")["schema"]["default"] is False
    assert parameter(listing, "query", "customer_id")["schema"]["format"] == "uuid"


def test_the_contact_schemas_state_sizes_required_fields_and_the_answer(document):
    components = document["components"]["schemas"]
    create = components["ContactCreate"]
    assert set(create["required"]) == {"customer_id", "first_name", "last_name"}
    assert create["properties"]["roles"]["maxItems"] == schemas.MAX_ROLES
    assert create["properties"]["keywords"]["maxItems"] == schemas.MAX_KEYWORDS
    assert create["properties"]["external_ids"]["maxProperties"] == schemas.MAX_EXTERNAL_IDS
    assert create["properties"]["external_ids"]["additionalProperties"] is False
    assert "customer_id" not in components["ContactPatch"]["properties"]
    assert "customer_active" in components["ContactOut"]["required"]


def test_optional_headers_and_query_parameters_are_never_documented_as_null(document):
    for method, path, operation in operations(document):
        for given in operation.get("parameters", []):
            assert "'type': 'null'" not in str(given["schema"]), f"{method} {path} {given['name']}"
