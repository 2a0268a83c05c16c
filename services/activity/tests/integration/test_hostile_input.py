"""A hostile client gets a 4xx problem naming the field for every kind of bad input, never a 500, and
nothing is stored."""

from __future__ import annotations

import uuid

import pytest

from activity_api_helpers import auth, log, new_customer


def problem_field(response) -> str:
    assert response.headers["content-type"] == "application/problem+json", response.text
    assert "errors" in response.json(), response.text
    return response.json()["errors"][0]["field"]


@pytest.fixture
async def customer_id(customer_api, make_token) -> str:
    return (await new_customer(customer_api, make_token("manager")))["id"]


async def nothing_stored(api, token) -> None:
    assert (await api.get("/v1/activities", headers=auth(token))).json()["items"] == []


@pytest.mark.parametrize(
    ("raw_body", "field"),
    [
        (b'{"kind": "note", "subject": "Nul\\u0000here", "customer_id": "%s"}', "subject"),
        (b'{"kind": "note", "subject": "A", "body": "half \\ud800 a pair", "customer_id": "%s"}', "body"),
        (
            b'{"kind": "note", "subject": "A", "project": {"system": "erp", "reference": "\\u0000"}, "customer_id": "%s"}',
            "project.reference",
        ),
    ],
)
async def test_text_postgresql_cannot_store_is_refused_naming_the_field(
    api, make_token, customer_id, raw_body, field
):
    token = make_token("manager")
    response = await api.post(
        "/v1/activities",
        content=raw_body.replace(b"%s", customer_id.encode()),
        headers=auth(token, **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 422
    assert problem_field(response) == field
    await nothing_stored(api, token)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "email"}, "kind"),
        ({"customer_id": "not-a-uuid"}, "customer_id"),
        ({"subject": 42}, "subject"),
        ({"subject": "x" * 301}, "subject"),
        ({"body": "x" * 20_001}, "body"),
        ({"contact_ids": ["not-a-uuid"]}, "contact_ids.0"),
        ({"contact_ids": [str(uuid.uuid4()) for _ in range(51)]}, "contact_ids"),
        ({"contact_ids": "one"}, "contact_ids"),
        ({"project": {"system": "ERP!", "reference": "1"}}, "project.system"),
        ({"project": {"system": "erp", "reference": "x" * 101}}, "project.reference"),
        ({"project": {"system": "erp"}}, "project.reference"),
        ({"project": {"system": "erp", "reference": "1", "title": "x"}}, "project.title"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2026-12-01T09:00:00"}, "occurred_at"),
        ({"occurred_at": "0001-01-01T00:00:00+01:00"}, "occurred_at"),
        ({"kind": "task", "due_at": "9999-12-31T23:30:00-01:00"}, "due_at"),
        ({"occurred_at": 1733043600}, "occurred_at"),
        ({"colour": "red"}, "colour"),
        ({"subject": None}, "subject"),
        ({"contact_ids": None}, "contact_ids"),
        ({"occurred_at": None}, "occurred_at"),
        ({"kind": "task", "status": None}, "status"),
        ({"kind": "task", "status": "started"}, "status"),
    ],
)
async def test_every_kind_of_bad_field_is_a_422_naming_it(api, make_token, customer_id, change, field):
    token = make_token("manager")
    body = {"kind": "note", "subject": "Called", "customer_id": customer_id, **change}
    response = await api.post("/v1/activities", json=body, headers=auth(token))
    assert response.status_code == 422, response.text
    assert problem_field(response) == field
    await nothing_stored(api, token)


@pytest.mark.parametrize("content", [b'{"kind": "note",', b"[1, 2]", b"\xff\xfe", b"", b"null"])
async def test_a_body_that_is_no_json_object_is_refused(api, make_token, content):
    token = make_token("manager")
    response = await api.post(
        "/v1/activities", content=content, headers=auth(token, **{"Content-Type": "application/json"})
    )
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    await nothing_stored(api, token)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/activities?author=a%00b", "author"),
        ("/v1/activities?from=0001-01-01T00:00:00%2B05:00", "from"),
        ("/v1/activities/export?customer_id=nope", "customer_id"),
        ("/v1/activities?cursor=" + "A" * 1001, "cursor"),
    ],
)
async def test_bad_query_and_path_values_are_refused_naming_the_parameter(api, make_token, path, field):
    response = await api.get(path, headers=auth(make_token("viewer")))
    assert response.status_code == 422, response.text
    assert problem_field(response) == field


@pytest.mark.parametrize("path", ["/v1/activities/not-a-uuid", "/v1/activities/a%00b", "/v1/activities/1"])
async def test_an_id_that_is_no_activity_id_names_no_activity(api, make_token, path):
    response = await api.get(path, headers=auth(make_token("viewer")))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE", "PUT"])
async def test_the_export_takes_only_get(api, make_token, method):
    response = await api.request(method, "/v1/activities/export", headers=auth(make_token("office_admin")))
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"


async def test_a_bad_if_match_is_a_400_naming_it_and_a_bad_idempotency_key_a_422(
    api, make_token, customer_id
):
    token = make_token("manager")
    note = await log(api, token, customer_id)
    response = await api.patch(
        f"/v1/activities/{note['id']}", json={"subject": "x"}, headers=auth(token, **{"If-Match": "3"})
    )
    assert (response.status_code, problem_field(response)) == (400, "If-Match")
    sent = {"kind": "note", "subject": "A", "customer_id": customer_id}
    keyed = await api.post(
        "/v1/activities", json=sent, headers=auth(token, **{"Idempotency-Key": "with space"})
    )
    assert (keyed.status_code, problem_field(keyed)) == (422, "Idempotency-Key")
