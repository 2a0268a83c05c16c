"""A hostile client gets a 4xx problem naming the field for every kind of bad input, never a 500, and
nothing is stored."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest

from customer.api.schemas import (
    MAX_ADDRESSES,
    MAX_CATEGORY_IDS,
    MAX_CUSTOM_FIELDS,
    MAX_EXTERNAL_IDS,
    MAX_TAX_IDS,
)
from customer_api_helpers import auth, create
from servicekit.settings import DEVELOPMENT_JWT_SECRET


def problem_field(response) -> str:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return response.json()["errors"][0]["field"]


async def nothing_stored(api, token) -> None:
    assert (await api.get("/v1/customers", headers=auth(token))).json()["items"] == []


@pytest.mark.parametrize(
    ("raw_body", "field"),
    [
        (b'{"name": "Nul\\u0000AS"}', "name"),
        (b'{"name": "Half \\ud800 a pair"}', "name"),
        (b'{"name": "A", "custom_fields": {"\\u0000": "x"}}', "custom_fields.\\x00"),
        (b'{"name": "A", "external_ids": {"erp": "1\\u0000"}}', "external_ids.erp"),
        (b'{"name": "A", "addresses": [{"kind": "postal", "city": "\\udfff"}]}', "addresses.0.city"),
    ],
)
async def test_text_postgresql_cannot_store_is_refused_naming_the_field(api, make_token, raw_body, field):
    token = make_token("office_admin")
    response = await api.post(
        "/v1/customers", content=raw_body, headers=auth(token, **{"Content-Type": "application/json"})
    )
    assert response.status_code == 422
    assert problem_field(response) == field
    await nothing_stored(api, token)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/customers?q=a%00b", "q"),
        ("/v1/custom-fields/a%00b", "key"),
        ("/v1/customers/by-external-id/erp/a%00b", "value"),
    ],
)
async def test_a_nul_in_the_query_or_the_path_is_refused_naming_the_parameter(api, make_token, path, field):
    response = await api.get(path, headers=auth(make_token("office_admin")))
    assert response.status_code == 422
    assert problem_field(response) == field


@pytest.mark.parametrize(
    "field",
    ["type", "vat_mode", "tax_ids", "category_ids", "custom_fields", "external_ids", "global", "addresses"],
)
async def test_null_for_a_field_that_cannot_be_null_is_refused(api, make_token, field):
    token = make_token("office_admin")
    response = await api.post("/v1/customers", json={"name": "A", field: None}, headers=auth(token))
    assert response.status_code == 422
    assert problem_field(response) == field
    await nothing_stored(api, token)


async def test_null_for_a_settings_or_address_field_that_cannot_be_null_is_refused(api, make_token):
    token = make_token("office_admin")
    settings = await api.patch("/v1/settings", json={"customer_numbering": None}, headers=auth(token))
    assert (settings.status_code, problem_field(settings)) == (422, "customer_numbering")
    customer = (await create(api, token, addresses=[{"kind": "postal"}])).json()
    address_path = f"/v1/customers/{customer['id']}/addresses/{customer['addresses'][0]['id']}"
    address = await api.patch(address_path, json={"kind": None}, headers=auth(token))
    assert (address.status_code, problem_field(address)) == (422, "kind")


@pytest.mark.parametrize(
    ("path", "method", "body", "field"),
    [
        ("/v1/customers", "post", {"name": "A", "global": 1}, "global"),
        (
            "/v1/customers",
            "post",
            {"name": "A", "addresses": [{"kind": "postal", "headquarters": 0}]},
            "addresses.0.headquarters",
        ),
        ("/v1/settings", "patch", {"organisation_number_unique": 1}, "organisation_number_unique"),
        ("/v1/settings", "patch", {"customer_number_min_length": "3"}, "customer_number_min_length"),
        ("/v1/custom-fields", "post", {"key": "k", "label": "K", "type": "text", "required": 0}, "required"),
    ],
)
async def test_booleans_and_numbers_must_be_sent_as_such(api, make_token, path, method, body, field):
    token = make_token("office_admin")
    response = await getattr(api, method)(path, json=body, headers=auth(token))
    assert response.status_code == 422, response.text
    assert problem_field(response) == field


def _cursor(position: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "x" * 1001,
        _cursor(["name"]),
        _cursor(["name", "not-a-uuid"]),
        _cursor([1, str(uuid.uuid4())]),
        _cursor(["a\x00b", str(uuid.uuid4())]),
        _cursor({"name": "a"}),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
async def test_a_tampered_cursor_is_refused_on_every_list(api, make_token, cursor):
    token = make_token("office_admin")
    customer = (await create(api, token)).json()
    for path in (
        "/v1/customers",
        f"/v1/customers/{customer['id']}/history",
        f"/v1/customers/{customer['id']}/links",
    ):
        response = await api.get(path, params={"cursor": cursor}, headers=auth(token))
        assert response.status_code == 422, (path, response.text)
        assert problem_field(response) == "cursor"


@pytest.mark.parametrize(
    ("if_match", "status"), [('"abc"', 412), ('W/"1x"', 412), ('"1", "2"', 412), ("1", 400)]
)
async def test_an_if_match_that_is_not_ours_changes_nothing(api, make_token, if_match, status):
    token = make_token("office_admin")
    customer = (await create(api, token)).json()
    path = f"/v1/customers/{customer['id']}"
    response = await api.patch(path, json={"segment": "X"}, headers=auth(token, **{"If-Match": if_match}))
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert (await api.get(path, headers=auth(token))).json()["version"] == 1


@pytest.mark.parametrize(
    ("field", "too_many"),
    [
        ("tax_ids", [{"type": "VAT", "number": f"{n}"} for n in range(MAX_TAX_IDS + 1)]),
        ("category_ids", [str(uuid.uuid4()) for _ in range(MAX_CATEGORY_IDS + 1)]),
        ("external_ids", {f"s{n}": "1" for n in range(MAX_EXTERNAL_IDS + 1)}),
        ("custom_fields", {f"k{n}": "1" for n in range(MAX_CUSTOM_FIELDS + 1)}),
        ("addresses", [{"kind": "postal"} for _ in range(MAX_ADDRESSES + 1)]),
    ],
)
async def test_lists_and_maps_above_their_documented_maximum_are_refused(api, make_token, field, too_many):
    token = make_token("office_admin")
    response = await api.post("/v1/customers", json={"name": "A", field: too_many}, headers=auth(token))
    assert response.status_code == 422
    assert problem_field(response) == field
    await nothing_stored(api, token)


async def test_a_401_names_the_bearer_scheme(api, make_token):
    missing = await api.get("/v1/customers")
    assert (missing.status_code, missing.headers["WWW-Authenticate"]) == (401, "Bearer")
    forged = await api.get("/v1/customers", headers=auth(make_token("viewer") + "x"))
    assert forged.status_code == 401
    assert forged.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("missing", ["exp", "iat", "sub"])
async def test_a_token_without_exp_iat_or_sub_is_refused(api, office_id, missing):
    now = int(time.time())
    claims = {"iss": "crm-dev", "aud": "crm", "sub": "u", "office_id": office_id, "roles": ["viewer"]}
    claims |= {"iat": now, "exp": now + 600}
    del claims[missing]
    token = jwt.encode(claims, DEVELOPMENT_JWT_SECRET, algorithm="HS256")
    response = await api.get("/v1/customers", headers=auth(token))
    assert response.status_code == 401
    assert missing in response.json()["detail"]
