"""The activity service's OpenAPI document states its errors, headers, formats and limits."""

from __future__ import annotations

from typing import Any

import pytest

from activity.config import Settings
from activity.domain.activity import MAX_CONTACTS
from activity.main import create_app
from servicekit.errors import PROBLEM_JSON
from servicekit.etag import IF_MATCH_PATTERN
from servicekit.idempotency import KEY_PATTERN
from servicekit.pagination import CURSOR_MAX_LENGTH, CURSOR_PATTERN
from servicekit.testing.openapi import operations, parameter


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(Settings(environment="test", log_json=False)).openapi()


def test_the_paths_are_those_of_the_spec(document):
    assert {(m, p) for m, p, _ in operations(document) if p.startswith("/v1/")} == {
        ("GET", "/v1/activities"),
        ("POST", "/v1/activities"),
        ("GET", "/v1/activities/{activity_id}"),
        ("PATCH", "/v1/activities/{activity_id}"),
        ("DELETE", "/v1/activities/{activity_id}"),
        ("GET", "/v1/activities/export"),
    }


def test_every_operation_behind_a_bearer_token_documents_401_and_every_error_is_a_problem(document):
    behind_token = [(m, p, o) for m, p, o in operations(document) if o.get("security")]
    assert len(behind_token) == 6
    for method, path, operation in behind_token:
        assert "WWW-Authenticate" in operation["responses"]["401"]["headers"], f"{method} {path}"
        for status, answer in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert list(answer["content"]) == [PROBLEM_JSON], f"{method} {path} {status}"


def test_operations_that_may_read_a_customer_or_contact_from_its_owner_document_503(document):
    for method, path in [
        ("post", "/v1/activities"),
        ("get", "/v1/activities"),
        ("patch", "/v1/activities/{activity_id}"),
        ("get", "/v1/activities/export"),
    ]:
        assert "Retry-After" in document["paths"][path][method]["responses"]["503"]["headers"], (
            f"{method} {path}"
        )


def test_editing_requires_if_match_and_deleting_honours_it(document):
    item = document["paths"]["/v1/activities/{activity_id}"]
    if_match = parameter(item["patch"], "header", "If-Match")
    assert if_match["required"] is True
    assert if_match["schema"]["pattern"] == IF_MATCH_PATTERN
    assert {"412", "428"} <= set(item["patch"]["responses"])
    assert {"400", "412"} <= set(item["delete"]["responses"])


def test_logging_documents_the_idempotency_key_and_its_replay_header(document):
    post = document["paths"]["/v1/activities"]["post"]
    assert parameter(post, "header", "Idempotency-Key")["schema"]["pattern"] == KEY_PATTERN
    assert {"ETag", "Location", "Idempotent-Replayed"} <= set(post["responses"]["201"]["headers"])


def test_the_list_documents_its_filters_cursor_and_page_size(document):
    get = document["paths"]["/v1/activities"]["get"]
    names = {p["name"] for p in get["parameters"]}
    assert names == {
        "customer_id",
        "contact_id",
        "kind",
        "status",
        "project_system",
        "project_reference",
        "author",
        "from",
        "to",
        "sort",
        "limit",
        "cursor",
    }
    cursor = parameter(get, "query", "cursor")["schema"]
    assert (cursor["maxLength"], cursor["pattern"]) == (CURSOR_MAX_LENGTH, CURSOR_PATTERN)
    assert parameter(get, "query", "limit")["schema"]["maximum"] == 200
    assert parameter(get, "query", "kind")["schema"]["type"] == "array"
    assert parameter(get, "query", "from")["schema"]["format"] == "date-time"


def test_the_export_is_documented_as_csv_with_its_filters(document):
    export = document["paths"]["/v1/activities/export"]["get"]
    assert list(export["responses"]["200"]["content"]) == ["text/csv"]
    assert "Content-Disposition" in export["responses"]["200"]["headers"]
    assert {p["name"] for p in export["parameters"]} == {"customer_id", "author", "from", "to"}


def test_the_create_schema_states_what_each_kind_carries_and_its_limits(document):
    create = document["components"]["schemas"]["ActivityCreate"]
    assert set(create["required"]) == {"kind", "customer_id", "subject"}
    assert create["properties"]["contact_ids"]["maxItems"] == MAX_CONTACTS
    assert create["properties"]["contact_ids"]["uniqueItems"] is True
    assert len(create["allOf"]) == 4
    patch = document["components"]["schemas"]["ActivityPatch"]
    assert "kind" not in patch["properties"]
    assert "customer_id" not in patch["properties"]


def test_optional_headers_and_query_parameters_are_never_documented_as_null(document):
    for method, path, operation in operations(document):
        for given in operation.get("parameters", []):
            assert "'type': 'null'" not in str(given["schema"]), f"{method} {path} {given['name']}"
