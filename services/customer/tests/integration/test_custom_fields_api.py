"""/v1/custom-fields against real PostgreSQL: definitions, roles, isolation, errors, and that a definition
change never silently breaks the values customers hold."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from customer.adapters import custom_field_repository
from customer.adapters.tables import customers
from customer.config import Settings
from customer.domain.custom_fields import FieldDefinition
from customer_api_helpers import auth, insert_customer
from servicekit.db import create_engine, create_session_factory


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.database_url, pool_size=2)
    yield engine
    await engine.dispose()


async def set_values(engine: AsyncEngine, customer_id: uuid.UUID, custom_fields: dict[str, object]) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            update(customers).where(customers.c.id == customer_id).values(custom_fields=custom_fields)
        )


async def define(api: httpx.AsyncClient, token: str, **body: object) -> dict:
    response = await api.post(
        "/v1/custom-fields", json={"label": "A field", "type": "text", **body}, headers=auth(token)
    )
    assert response.status_code == 201, response.text
    return response.json()


def other_office() -> str:
    return f"office-{uuid.uuid4().hex[:12]}"


async def definition_of(api: httpx.AsyncClient, token: str, key: str) -> dict:
    response = await api.get(f"/v1/custom-fields/{key}", headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


# --- create and read ---------------------------------------------------------------------------------


async def test_an_admin_defines_a_field_and_reads_it_back(api, make_token):
    token = make_token("office_admin")
    created = await api.post(
        "/v1/custom-fields",
        json={
            "key": "contract_level",
            "label": " Contract level ",
            "type": "select",
            "options": ["Gold", " Silver "],
        },
        headers=auth(token),
    )
    assert created.status_code == 201, created.text
    assert created.json() == {
        "key": "contract_level",
        "label": "Contract level",
        "type": "select",
        "options": ["Gold", "Silver"],
        "required": False,
        "position": 0,
        "version": 1,
    }
    assert created.headers["ETag"] == '"1"'
    assert created.headers["Location"] == "/v1/custom-fields/contract_level"
    read = await api.get(created.headers["Location"], headers=auth(token))
    assert read.json() == created.json()
    assert read.headers["ETag"] == '"1"'


async def test_the_list_is_ordered_by_position_then_key(api, make_token):
    token = make_token("office_admin")
    await define(api, token, key="zeta", position=1)
    await define(api, token, key="beta", position=2)
    await define(api, token, key="alpha", position=1)
    await define(api, token, key="omega", position=0, type="bool")
    listed = await api.get("/v1/custom-fields", headers=auth(token))
    assert listed.status_code == 200
    assert [d["key"] for d in listed.json()["items"]] == ["omega", "alpha", "zeta", "beta"]


async def test_a_key_the_office_already_has_is_refused_naming_key(api, make_token):
    token = make_token("office_admin")
    await define(api, token, key="region")
    again = await api.post(
        "/v1/custom-fields", json={"key": "region", "label": "Other", "type": "number"}, headers=auth(token)
    )
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in again.json()["errors"]] == ["key"]
    assert (await definition_of(api, token, "region"))["type"] == "text"


async def test_another_office_may_use_the_same_key(api, make_token):
    await define(api, make_token("office_admin"), key="region")
    await define(api, make_token("office_admin", office=other_office()), key="region", type="number")


async def test_the_customer_use_cases_read_the_definitions_by_key(api, make_token, office_id, settings):
    token = make_token("office_admin")
    await define(api, token, key="level", type="select", options=["Gold"], required=False, position=3)
    await define(api, token, key="note")
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with create_session_factory(engine)() as session:
            found = await custom_field_repository.definitions(session, office_id)
            assert found == {
                "note": FieldDefinition("note", "A field", "text"),
                "level": FieldDefinition("level", "A field", "select", ("Gold",), False, 3, 1),
            }
            assert await custom_field_repository.definitions(session, other_office()) == {}
    finally:
        await engine.dispose()


# --- changes that break nothing ----------------------------------------------------------------------


async def test_label_position_and_options_change_with_a_new_version(api, make_token, office_id, database):
    token = make_token("office_admin")
    await define(api, token, key="level", type="select", options=["Gold", "Silver"])
    await insert_customer(database, office_id, custom_fields={"level": "Gold"})
    changed = await api.patch(
        "/v1/custom-fields/level",
        json={"label": "Level", "position": 4, "options": ["Silver", "Gold", "Bronze"]},
        headers=auth(token),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["label"] == "Level"
    assert changed.json()["position"] == 4
    assert changed.json()["options"] == ["Silver", "Gold", "Bronze"]
    assert changed.json()["version"] == 2
    assert changed.headers["ETag"] == '"2"'
    assert (await definition_of(api, token, "level"))["version"] == 2


async def test_a_change_honours_if_match(api, make_token):
    token = make_token("office_admin")
    await define(api, token, key="note")
    url = "/v1/custom-fields/note"
    first = await api.patch(url, json={"label": "Notes"}, headers=auth(token, **{"If-Match": '"1"'}))
    assert first.status_code == 200
    stale = await api.patch(url, json={"label": "Remarks"}, headers=auth(token, **{"If-Match": '"1"'}))
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert (await definition_of(api, token, "note"))["label"] == "Notes"


async def test_an_identical_change_makes_no_new_version(api, make_token):
    token = make_token("office_admin")
    await define(api, token, key="note", label="Note")
    same = await api.patch("/v1/custom-fields/note", json={"label": "Note"}, headers=auth(token))
    assert same.json()["version"] == 1


async def test_a_type_change_every_stored_value_fits_is_allowed(api, make_token, office_id, database):
    token = make_token("office_admin")
    await define(api, token, key="level", type="select", options=["Gold", "Silver"])
    await insert_customer(database, office_id, custom_fields={"level": "Gold"})
    await insert_customer(database, office_id, custom_fields={"level": "Silver"})
    changed = await api.patch("/v1/custom-fields/level", json={"type": "text"}, headers=auth(token))
    assert changed.status_code == 200, changed.text
    assert (changed.json()["type"], changed.json()["options"]) == ("text", [])


async def test_any_type_change_is_allowed_while_no_customer_has_a_value(api, make_token, office_id, database):
    token = make_token("office_admin")
    await define(api, token, key="size")
    await insert_customer(database, office_id, custom_fields={"other": "x", "size": None})
    changed = await api.patch("/v1/custom-fields/size", json={"type": "number"}, headers=auth(token))
    assert changed.status_code == 200, changed.text


# --- changes that would break stored values ----------------------------------------------------------


async def test_a_type_change_that_would_break_stored_values_is_refused(api, make_token, office_id, database):
    token = make_token("office_admin")
    await define(api, token, key="size")
    await insert_customer(database, office_id, custom_fields={"size": "many"})
    await insert_customer(database, office_id, custom_fields={"size": "many"})
    await insert_customer(database, office_id, custom_fields={"size": "12"})
    await insert_customer(database, office_id, custom_fields={})
    refused = await api.patch("/v1/custom-fields/size", json={"type": "number"}, headers=auth(token))
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["customers_affected"] == 3
    assert body["invalid_values"] == ["many", "12"]
    assert body["errors"][0]["field"] == "type"
    assert body["detail"].startswith("3 customers hold values of size that are not valid as number")
    assert (await definition_of(api, token, "size"))["type"] == "text"


async def test_removing_an_option_customers_have_is_refused_naming_the_values(
    api, make_token, office_id, database
):
    token = make_token("office_admin")
    await define(api, token, key="level", type="select", options=["Gold", "Silver", "Bronze"])
    for value in ("Gold", "Silver", "Silver", "Bronze"):
        await insert_customer(database, office_id, custom_fields={"level": value})
    refused = await api.patch("/v1/custom-fields/level", json={"options": ["Gold"]}, headers=auth(token))
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["customers_affected"] == 3
    assert body["invalid_values"] == ["Silver", "Bronze"]
    assert body["errors"][0]["field"] == "options"
    assert "'Silver', 'Bronze'" in body["detail"]
    assert (await definition_of(api, token, "level"))["options"] == ["Gold", "Silver", "Bronze"]


async def test_an_option_no_customer_has_can_be_removed(api, make_token, office_id, database):
    token = make_token("office_admin")
    await define(api, token, key="level", type="select", options=["Gold", "Silver", "Bronze"])
    await insert_customer(database, office_id, custom_fields={"level": "Gold"})
    changed = await api.patch(
        "/v1/custom-fields/level", json={"options": ["Gold", "Silver"]}, headers=auth(token)
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["options"] == ["Gold", "Silver"]


async def test_values_of_other_offices_do_not_stand_in_the_way(api, make_token, office_id, database):
    token = make_token("office_admin")
    await define(api, token, key="size")
    await insert_customer(database, other_office(), custom_fields={"size": "many"})
    changed = await api.patch("/v1/custom-fields/size", json={"type": "number"}, headers=auth(token))
    assert changed.status_code == 200, changed.text


async def test_making_a_field_required_while_customers_have_no_value_is_refused(
    api, make_token, office_id, database
):
    token = make_token("office_admin")
    await define(api, token, key="region")
    filled = await insert_customer(database, office_id, custom_fields={"region": "Vest"})
    empty = await insert_customer(database, office_id, custom_fields={})
    cleared = await insert_customer(database, office_id, custom_fields={"region": None})
    refused = await api.patch("/v1/custom-fields/region", json={"required": True}, headers=auth(token))
    assert refused.status_code == 409, refused.text
    assert refused.json()["customers_without_value"] == 2
    assert refused.json()["errors"][0]["field"] == "required"
    assert "2 customers have no value for region" in refused.json()["detail"]
    assert (await definition_of(api, token, "region"))["required"] is False

    await set_values(database, empty, {"region": "Nord"})
    await set_values(database, cleared, {"region": "Sør"})
    assert filled
    allowed = await api.patch("/v1/custom-fields/region", json={"required": True}, headers=auth(token))
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["required"] is True


async def test_a_new_required_field_is_refused_while_the_office_has_customers(
    api, make_token, office_id, database
):
    token = make_token("office_admin")
    assert (await define(api, token, key="first", required=True))["required"] is True
    await insert_customer(database, office_id, custom_fields={"first": "x"})
    refused = await api.post(
        "/v1/custom-fields",
        json={"key": "second", "label": "S", "type": "text", "required": True},
        headers=auth(token),
    )
    assert refused.status_code == 409
    assert refused.json()["customers_without_value"] == 1
    assert (await api.get("/v1/custom-fields/second", headers=auth(token))).status_code == 404


# --- delete ------------------------------------------------------------------------------------------


async def test_a_field_customers_have_values_for_cannot_be_deleted_until_they_are_cleared(
    api, make_token, office_id, database
):
    token = make_token("office_admin")
    await define(api, token, key="note")
    first = await insert_customer(database, office_id, custom_fields={"note": "a"})
    second = await insert_customer(database, office_id, custom_fields={"note": "b", "other": 1})
    await insert_customer(database, office_id, custom_fields={"note": None})

    refused = await api.delete("/v1/custom-fields/note", headers=auth(token))
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["values_in_use"] == 2
    assert refused.json()["detail"].startswith("2 customers have a value for note; clear those values first")
    assert (await api.get("/v1/custom-fields/note", headers=auth(token))).status_code == 200

    await set_values(database, first, {})
    await set_values(database, second, {"other": 1})
    deleted = await api.delete("/v1/custom-fields/note", headers=auth(token))
    assert deleted.status_code == 204
    assert (await api.get("/v1/custom-fields/note", headers=auth(token))).status_code == 404
    assert (await api.get("/v1/custom-fields", headers=auth(token))).json()["items"] == []


async def test_delete_honours_a_stale_if_match(api, make_token):
    token = make_token("office_admin")
    await define(api, token, key="note")
    await api.patch("/v1/custom-fields/note", json={"label": "Notes"}, headers=auth(token))
    stale = await api.delete("/v1/custom-fields/note", headers=auth(token, **{"If-Match": '"1"'}))
    assert stale.status_code == 412
    current = await api.delete("/v1/custom-fields/note", headers=auth(token, **{"If-Match": '"2"'}))
    assert current.status_code == 204


# --- roles and isolation -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "manager"])
async def test_only_an_office_admin_changes_definitions(api, make_token, role):
    admin = make_token("office_admin")
    await define(api, admin, key="note")
    token = make_token(role)
    attempts = [
        ("POST", "/v1/custom-fields", {"key": "other", "label": "O", "type": "text"}),
        ("PATCH", "/v1/custom-fields/note", {"label": "Changed"}),
        ("DELETE", "/v1/custom-fields/note", None),
    ]
    for method, path, body in attempts:
        response = await api.request(method, path, json=body, headers=auth(token))
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["permission"] == "administer_office"
    listed = (await api.get("/v1/custom-fields", headers=auth(admin))).json()["items"]
    assert [(d["key"], d["label"], d["version"]) for d in listed] == [("note", "A field", 1)]


@pytest.mark.parametrize("role", ["viewer", "manager", "office_admin"])
async def test_everyone_in_the_office_reads_definitions(api, make_token, role):
    await define(api, make_token("office_admin"), key="note")
    token = make_token(role)
    listed = await api.get("/v1/custom-fields", headers=auth(token))
    assert listed.status_code == 200
    assert [d["key"] for d in listed.json()["items"]] == ["note"]
    assert (await api.get("/v1/custom-fields/note", headers=auth(token))).status_code == 200


async def test_another_office_neither_sees_nor_changes_the_definitions(api, make_token):
    token = make_token("office_admin")
    await define(api, token, key="note")
    stranger = make_token("office_admin", office=other_office())
    assert (await api.get("/v1/custom-fields/note", headers=auth(stranger))).status_code == 404
    patched = await api.patch("/v1/custom-fields/note", json={"label": "Mine"}, headers=auth(stranger))
    assert patched.status_code == 404
    assert (await api.delete("/v1/custom-fields/note", headers=auth(stranger))).status_code == 404
    assert (await api.get("/v1/custom-fields", headers=auth(stranger))).json()["items"] == []
    assert (await definition_of(api, token, "note"))["label"] == "A field"


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "Bad-Key", "label": "L", "type": "text"}, "key"),
        ({"key": "1st", "label": "L", "type": "text"}, "key"),
        ({"key": "k" * 41, "label": "L", "type": "text"}, "key"),
        ({"label": "L", "type": "text"}, "key"),
        ({"key": "k", "label": "", "type": "text"}, "label"),
        ({"key": "k", "label": "x" * 101, "type": "text"}, "label"),
        ({"key": "k", "label": "L", "type": "colour"}, "type"),
        ({"key": "k", "label": "L"}, "type"),
        ({"key": "k", "label": "L", "type": "select"}, "options"),
        ({"key": "k", "label": "L", "type": "select", "options": ["A", "a"]}, "options.1"),
        ({"key": "k", "label": "L", "type": "select", "options": ["A", ""]}, "options.1"),
        ({"key": "k", "label": "L", "type": "text", "options": ["A"]}, "options"),
        ({"key": "k", "label": "L", "type": "text", "position": -1}, "position"),
        ({"key": "k", "label": "L", "type": "text", "position": "first"}, "position"),
        ({"key": "k", "label": "L", "type": "text", "required": "sometimes"}, "required"),
        ({"key": "k", "label": "L", "type": "text", "colour": "red"}, "colour"),
    ],
)
async def test_a_bad_definition_is_a_422_naming_the_field(api, make_token, body, field):
    response = await api.post("/v1/custom-fields", json=body, headers=auth(make_token("office_admin")))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": None}, "type"),
        ({"label": None}, "label"),
        ({"label": "  "}, "label"),
        ({"required": None}, "required"),
        ({"options": None}, "options"),
        ({"options": ["A"]}, "options"),
        ({"type": "select"}, "options"),
        ({"type": "colour"}, "type"),
        ({"key": "renamed"}, "key"),
    ],
)
async def test_a_bad_change_is_a_422_naming_the_field(api, make_token, body, field):
    token = make_token("office_admin")
    await define(api, token, key="note")
    response = await api.patch("/v1/custom-fields/note", json=body, headers=auth(token))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert (await definition_of(api, token, "note"))["version"] == 1


async def test_an_unknown_key_is_a_404(api, make_token):
    token = make_token("office_admin")
    for method in ("GET", "PATCH", "DELETE"):
        body = {"label": "X"} if method == "PATCH" else None
        response = await api.request(method, "/v1/custom-fields/nothing", json=body, headers=auth(token))
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


# --- values of customers -----------------------------------------------------------------------------


async def test_customer_values_are_validated_against_the_definitions(api, make_token):
    admin = make_token("office_admin")
    await define(api, admin, key="employees", type="number")
    await define(api, admin, key="level", type="select", options=["Gold", "Silver"])
    manager = make_token("manager")

    created = await api.post(
        "/v1/customers",
        json={"name": "Østbø Bygg AS", "custom_fields": {"employees": "12", "level": "gold"}},
        headers=auth(manager),
    )
    assert created.status_code == 201, created.text
    assert created.json()["custom_fields"] == {"employees": 12, "level": "Gold"}

    for values, field in [
        ({"shoe_size": 44}, "custom_fields.shoe_size"),
        ({"level": "Iron"}, "custom_fields.level"),
    ]:
        refused = await api.post(
            "/v1/customers", json={"name": "Nordlys AS", "custom_fields": values}, headers=auth(manager)
        )
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == [field]

    removing_gold = await api.patch(
        "/v1/custom-fields/level", json={"options": ["Silver"]}, headers=auth(admin)
    )
    assert removing_gold.status_code == 409
    assert removing_gold.json()["invalid_values"] == ["Gold"]
