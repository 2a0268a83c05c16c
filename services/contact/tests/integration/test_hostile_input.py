"""A hostile client gets a 4xx problem naming the field for every kind of bad input (nulls, wrong types,
text PostgreSQL cannot store, oversized lists, tampered cursors), never a 500, and nothing is stored."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from contact.api.schemas import MAX_EXTERNAL_IDS, MAX_KEYWORDS, MAX_ROLES
from contact_api_helpers import auth, create_contact, create_customer, listed


def problem_field(response) -> str:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return response.json()["errors"][0]["field"]


@pytest.fixture
async def customer_id(customer_api, make_token) -> str:
    return (await create_customer(customer_api, make_token("manager")))["id"]


async def post(api, token, customer: str, **body):
    return await api.post(
        "/v1/contacts",
        json={"customer_id": customer, "first_name": "Kari", "last_name": "Nordmann", **body},
        headers=auth(token),
    )


@pytest.mark.parametrize(
    "field",
    [
        "customer_id",
        "first_name",
        "last_name",
        "roles",
        "keywords",
        "main",
        "receives_service_reports",
        "receives_work_orders",
        "external_ids",
    ],
)
async def test_null_for_a_field_that_cannot_be_null_is_refused(api, make_token, customer_id, field):
    token = make_token("manager")
    response = await post(api, token, customer_id, **{field: None})
    assert response.status_code == 422
    assert problem_field(response) == field
    assert await listed(api, token, include_inactive="true") == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer_id": "not-a-uuid"}, "customer_id"),
        ({"customer_id": 17}, "customer_id"),
        ({"first_name": 42}, "first_name"),
        ({"last_name": ["Nordmann"]}, "last_name"),
        ({"email": 1}, "email"),
        ({"phone": 41234567}, "phone"),
        ({"title": {"x": 1}}, "title"),
        ({"roles": "buyer"}, "roles"),
        ({"roles": [1]}, "roles.0"),
        ({"keywords": {"a": 1}}, "keywords"),
        ({"main": 1}, "main"),
        ({"main": "true"}, "main"),
        ({"receives_service_reports": 0}, "receives_service_reports"),
        ({"receives_work_orders": "yes"}, "receives_work_orders"),
        ({"language": 7}, "language"),
        ({"external_ids": ["erp"]}, "external_ids"),
        ({"external_ids": {"erp": 10042}}, "external_ids.erp"),
    ],
)
async def test_a_value_of_the_wrong_type_is_refused_naming_the_field(
    api, make_token, customer_id, body, field
):
    token = make_token("manager")
    response = await post(api, token, customer_id, **body)
    assert response.status_code == 422, response.text
    assert problem_field(response) == field
    assert await listed(api, token, include_inactive="true") == []


async def test_a_body_that_is_not_an_object_or_not_json_is_refused(api, make_token):
    token = make_token("manager")
    for content in (b"[1, 2]", b'"contact"', b"{not json"):
        response = await api.post(
            "/v1/contacts", content=content, headers=auth(token, **{"Content-Type": "application/json"})
        )
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("raw_body", "field"),
    [
        (b'"first_name": "Ka\\u0000ri"', "first_name"),
        (b'"email": "kari\\u0000@bygg.no"', "email"),
        (b'"title": "Half \\ud800 a pair"', "title"),
        (b'"keywords": ["\\udfff"]', "keywords.0"),
        (b'"external_ids": {"erp": "1\\u0000"}', "external_ids.erp"),
    ],
)
async def test_text_postgresql_cannot_store_is_refused_naming_the_field(
    api, make_token, customer_id, raw_body, field
):
    token = make_token("manager")
    body = b'{"customer_id": "%s", "last_name": "N", "first_name": "K", ' % customer_id.encode()
    body = body.replace(b'"first_name": "K", ', b"") if b"first_name" in raw_body else body
    response = await api.post(
        "/v1/contacts",
        content=body + raw_body + b"}",
        headers=auth(token, **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 422, response.text
    assert problem_field(response) == field
    assert await listed(api, token, include_inactive="true") == []


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/contacts?customer_id=a%00b", "customer_id"),
        ("/v1/contacts?include_inactive=perhaps", "include_inactive"),
        ("/v1/contacts?limit=0", "limit"),
        ("/v1/contacts?limit=201", "limit"),
    ],
)
async def test_bad_query_or_path_parameters_are_refused_naming_them(api, make_token, path, field):
    response = await api.get(path, headers=auth(make_token("manager")))
    assert response.status_code == 422
    assert problem_field(response) == field


async def test_a_path_that_is_no_contact_id_names_nothing(api, make_token):
    # As for activities: /v1/contacts/export is a path of its own, so only a UUID is a contact id.
    response = await api.get("/v1/contacts/not-a-uuid", headers=auth(make_token("manager")))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("field", "too_many"),
    [
        ("roles", [f"r{n}" for n in range(MAX_ROLES + 1)]),
        ("keywords", [f"k{n}" for n in range(MAX_KEYWORDS + 1)]),
        ("external_ids", {f"s{n}": "1" for n in range(MAX_EXTERNAL_IDS + 1)}),
    ],
)
async def test_lists_and_maps_above_their_documented_maximum_are_refused(
    api, make_token, customer_id, field, too_many
):
    token = make_token("manager")
    response = await post(api, token, customer_id, **{field: too_many})
    assert response.status_code == 422
    assert problem_field(response) == field


def _cursor(position: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "x" * 1001,
        _cursor(["nordmann", "kari"]),
        _cursor(["nordmann", "kari", "not-a-uuid"]),
        _cursor([1, "kari", str(uuid.uuid4())]),
        _cursor(["a\x00b", "kari", str(uuid.uuid4())]),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
async def test_a_tampered_cursor_is_refused(api, make_token, cursor):
    response = await api.get("/v1/contacts", params={"cursor": cursor}, headers=auth(make_token("manager")))
    assert response.status_code == 422, response.text
    assert problem_field(response) == "cursor"


@pytest.mark.parametrize(
    ("if_match", "status"), [('"abc"', 412), ('W/"1x"', 412), ('"1", "2"', 412), ("1", 400)]
)
async def test_an_if_match_that_is_not_ours_changes_nothing(api, make_token, customer_id, if_match, status):
    token = make_token("manager")
    url = (await create_contact(api, token, customer_id)).headers["Location"]
    response = await api.patch(url, json={"title": "X"}, headers=auth(token, **{"If-Match": if_match}))
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert (await api.get(url, headers=auth(token))).json()["version"] == 1


async def test_a_portal_or_service_token_is_refused_on_the_staff_api(api, make_token):
    from servicekit.auth import issue_token
    from servicekit.settings import JwtSettings

    service = issue_token(JwtSettings(), subject="search", office_id=None, kind="service")
    response = await api.get("/v1/contacts", headers=auth(service))
    assert response.status_code == 403
