"""/v1/categories against real PostgreSQL and RabbitMQ: behaviour, events, roles, isolation, errors."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from customer.adapters import category_repository
from customer.config import Settings
from customer_api_helpers import auth, insert_customer
from servicekit.db import create_engine, create_session_factory


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.database_url, pool_size=2)
    yield engine
    await engine.dispose()


async def create_category(api: httpx.AsyncClient, token: str, name: str) -> dict:
    response = await api.post("/v1/categories", json={"name": name}, headers=auth(token))
    assert response.status_code == 201, response.text
    return response.json()


def other_office() -> str:
    return f"office-{uuid.uuid4().hex[:12]}"


# --- create and read ---------------------------------------------------------------------------------


async def test_an_admin_creates_a_category_and_reads_it_back(api, make_token, office_id):
    token = make_token("office_admin")
    created = await api.post("/v1/categories", json={"name": "  Hotel "}, headers=auth(token))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "Hotel"
    assert body["office_id"] == office_id
    assert body["active"] is True
    assert body["in_use_count"] == 0
    assert body["version"] == 1
    assert body["created_by"] == body["updated_by"]
    assert created.headers["ETag"] == '"1"'
    assert created.headers["Location"] == f"/v1/categories/{body['id']}"

    read = await api.get(created.headers["Location"], headers=auth(token))
    assert read.status_code == 200
    assert read.json() == body
    assert read.headers["ETag"] == '"1"'


async def test_creating_publishes_category_created_with_the_full_state(api, make_token, bus_listener):
    body = await create_category(api, make_token("office_admin"), "Conference")
    [event] = await bus_listener.wait_for(1, "category.created")
    assert event["aggregate_id"] == body["id"]
    assert event["aggregate_version"] == 1
    assert event["schema_version"] == 1
    assert event["actor"]["kind"] == "user"
    expected = {k: v for k, v in body.items() if k != "in_use_count"}
    state = event["payload"]["category"]
    assert state.keys() == expected.keys()
    assert state["name"] == "Conference"
    assert state["active"] is True
    assert state["version"] == 1
    assert datetime.fromisoformat(state["created_at"]) == datetime.fromisoformat(body["created_at"])


async def test_the_list_shows_active_first_then_by_name_with_use_counts(api, make_token, office_id, database):
    token = make_token("office_admin")
    names = ["bank", "Airline", "Venue", "Agency"]
    ids = {name: (await create_category(api, token, name))["id"] for name in names}
    await api.post(f"/v1/categories/{ids['Agency']}/deactivate", headers=auth(token))
    await insert_customer(database, office_id, category_ids=[ids["bank"], ids["Venue"]])
    await insert_customer(database, office_id, category_ids=[ids["Venue"]])

    listed = await api.get("/v1/categories", headers=auth(token))
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [(c["name"], c["active"], c["in_use_count"]) for c in items] == [
        ("Airline", True, 0),
        ("bank", True, 1),
        ("Venue", True, 2),
        ("Agency", False, 0),
    ]
    assert listed.json()["next_cursor"] is None

    active_only = await api.get("/v1/categories?include_inactive=false", headers=auth(token))
    assert [c["name"] for c in active_only.json()["items"]] == ["Airline", "bank", "Venue"]


async def test_a_single_category_tells_how_many_customers_have_it(api, make_token, office_id, database):
    token = make_token("office_admin")
    category = await create_category(api, token, "Hotel")
    for _ in range(3):
        await insert_customer(database, office_id, category_ids=[category["id"]])
    read = await api.get(f"/v1/categories/{category['id']}", headers=auth(token))
    assert read.json()["in_use_count"] == 3


# --- rename ------------------------------------------------------------------------------------------


async def test_renaming_bumps_the_version_and_publishes_category_updated(api, make_token, bus_listener):
    token = make_token("office_admin")
    category = await create_category(api, token, "Hotel")
    url = f"/v1/categories/{category['id']}"
    renamed = await api.patch(url, json={"name": "Hotels"}, headers=auth(token))
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Hotels"
    assert renamed.json()["version"] == 2
    assert renamed.headers["ETag"] == '"2"'
    [event] = await bus_listener.wait_for(1, "category.updated")
    assert event["aggregate_version"] == 2
    assert event["payload"]["category"]["name"] == "Hotels"
    assert event["payload"]["category"]["id"] == category["id"]
    assert (await api.get(url, headers=auth(token))).json()["name"] == "Hotels"


async def test_renaming_honours_if_match(api, make_token):
    token = make_token("office_admin")
    url = f"/v1/categories/{(await create_category(api, token, 'Hotel'))['id']}"
    first = await api.patch(url, json={"name": "Hotels"}, headers=auth(token, **{"If-Match": '"1"'}))
    assert first.status_code == 200
    stale = await api.patch(url, json={"name": "Inns"}, headers=auth(token, **{"If-Match": '"1"'}))
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert (await api.get(url, headers=auth(token))).json()["name"] == "Hotels"


async def test_renaming_to_the_same_name_makes_no_new_version(api, make_token, bus_listener):
    token = make_token("office_admin")
    url = f"/v1/categories/{(await create_category(api, token, 'Hotel'))['id']}"
    same = await api.patch(url, json={"name": " Hotel "}, headers=auth(token))
    assert same.status_code == 200
    assert same.json()["version"] == 1
    empty = await api.patch(url, json={}, headers=auth(token))
    assert empty.json()["version"] == 1
    await bus_listener.wait_for(1, "category.created")
    assert bus_listener.of_type("category.updated") == []


# --- duplicates --------------------------------------------------------------------------------------


async def test_a_name_already_used_in_the_office_is_refused_ignoring_case(api, make_token):
    token = make_token("office_admin")
    await create_category(api, token, "Hotel")
    again = await api.post("/v1/categories", json={"name": " HOTEL "}, headers=auth(token))
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in again.json()["errors"]] == ["name"]
    assert "HOTEL" in again.json()["detail"]


async def test_renaming_onto_another_categorys_name_is_refused(api, make_token):
    token = make_token("office_admin")
    await create_category(api, token, "Hotel")
    venue = await create_category(api, token, "Venue")
    clash = await api.patch(f"/v1/categories/{venue['id']}", json={"name": "hotel"}, headers=auth(token))
    assert clash.status_code == 409
    assert [e["field"] for e in clash.json()["errors"]] == ["name"]
    read = await api.get(f"/v1/categories/{venue['id']}", headers=auth(token))
    assert (read.json()["name"], read.json()["version"]) == ("Venue", 1)


async def test_another_office_may_use_the_same_name(api, make_token):
    await create_category(api, make_token("office_admin"), "Hotel")
    await create_category(api, make_token("office_admin", office=other_office()), "Hotel")


# --- deactivate, reactivate, delete ------------------------------------------------------------------


async def test_a_category_in_use_cannot_be_deleted_but_can_be_deactivated_and_reactivated(
    api, make_token, office_id, database, bus_listener
):
    token = make_token("office_admin")
    category = await create_category(api, token, "Hotel")
    url = f"/v1/categories/{category['id']}"
    await insert_customer(database, office_id, category_ids=[category["id"]])
    await insert_customer(database, office_id, category_ids=[str(uuid.uuid4()), category["id"]])

    refused = await api.delete(url, headers=auth(token))
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == "Category Hotel is used by 2 customers; deactivate it instead."
    assert refused.json()["in_use_count"] == 2
    assert (await api.get(url, headers=auth(token))).status_code == 200

    deactivated = await api.post(f"{url}/deactivate", headers=auth(token))
    assert deactivated.status_code == 200, deactivated.text
    assert (deactivated.json()["active"], deactivated.json()["version"]) == (False, 2)
    assert deactivated.json()["in_use_count"] == 2
    assert deactivated.headers["ETag"] == '"2"'

    reactivated = await api.post(f"{url}/reactivate", headers=auth(token))
    assert reactivated.status_code == 200
    assert (reactivated.json()["active"], reactivated.json()["version"]) == (True, 3)

    [deactivated_event] = await bus_listener.wait_for(1, "category.deactivated")
    assert deactivated_event["aggregate_version"] == 2
    assert deactivated_event["payload"]["category"]["active"] is False
    [reactivated_event] = await bus_listener.wait_for(1, "category.reactivated")
    assert reactivated_event["aggregate_version"] == 3
    assert reactivated_event["payload"]["category"]["active"] is True
    assert bus_listener.of_type("category.deleted") == []


async def test_a_category_used_by_one_customer_says_so_in_the_singular(api, make_token, office_id, database):
    token = make_token("office_admin")
    category = await create_category(api, token, "Venue")
    await insert_customer(database, office_id, category_ids=[category["id"]])
    refused = await api.delete(f"/v1/categories/{category['id']}", headers=auth(token))
    assert refused.json()["detail"] == "Category Venue is used by 1 customer; deactivate it instead."
    assert refused.json()["in_use_count"] == 1


async def test_deactivating_or_reactivating_twice_is_a_conflict(api, make_token):
    token = make_token("office_admin")
    url = f"/v1/categories/{(await create_category(api, token, 'Hotel'))['id']}"
    assert (await api.post(f"{url}/reactivate", headers=auth(token))).status_code == 409
    assert (await api.post(f"{url}/deactivate", headers=auth(token))).status_code == 200
    again = await api.post(f"{url}/deactivate", headers=auth(token))
    assert again.status_code == 409
    assert "already inactive" in again.json()["detail"]


async def test_deactivate_honours_a_stale_if_match(api, make_token):
    token = make_token("office_admin")
    url = f"/v1/categories/{(await create_category(api, token, 'Hotel'))['id']}"
    await api.patch(url, json={"name": "Hotels"}, headers=auth(token))
    stale = await api.post(f"{url}/deactivate", headers=auth(token, **{"If-Match": '"1"'}))
    assert stale.status_code == 412
    assert (await api.get(url, headers=auth(token))).json()["active"] is True


async def test_an_unused_category_is_deleted_and_publishes_category_deleted(api, make_token, bus_listener):
    token = make_token("office_admin")
    category = await create_category(api, token, "Hotel")
    url = f"/v1/categories/{category['id']}"
    deleted = await api.delete(url, headers=auth(token))
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await api.get(url, headers=auth(token))).status_code == 404
    assert (await api.delete(url, headers=auth(token))).status_code == 404
    [event] = await bus_listener.wait_for(1, "category.deleted")
    assert event["aggregate_id"] == category["id"]
    assert event["aggregate_version"] == 2
    assert event["payload"]["category"]["name"] == "Hotel"
    assert event["payload"]["category"]["version"] == 2
    listed = await api.get("/v1/categories", headers=auth(token))
    assert listed.json()["items"] == []


async def test_a_deleted_categorys_name_can_be_used_again(api, make_token):
    token = make_token("office_admin")
    category = await create_category(api, token, "Hotel")
    await api.delete(f"/v1/categories/{category['id']}", headers=auth(token))
    assert (await create_category(api, token, "Hotel"))["id"] != category["id"]


async def test_a_category_held_by_a_customer_of_another_office_is_still_in_use(api, make_token, database):
    # Ids are unique, so only a bad import could do this; deleting would still leave a dangling id.
    token = make_token("office_admin")
    category = await create_category(api, token, "Hotel")
    await insert_customer(database, other_office(), category_ids=[category["id"]])
    refused = await api.delete(f"/v1/categories/{category['id']}", headers=auth(token))
    assert refused.status_code == 409


# --- roles -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "manager"])
async def test_only_an_office_admin_changes_categories(api, make_token, role, bus_listener):
    admin = make_token("office_admin")
    category = await create_category(api, admin, "Hotel")
    url = f"/v1/categories/{category['id']}"
    token = make_token(role)
    attempts = [
        ("POST", "/v1/categories", {"name": "Venue"}),
        ("PATCH", url, {"name": "Hotels"}),
        ("POST", f"{url}/deactivate", None),
        ("POST", f"{url}/reactivate", None),
        ("DELETE", url, None),
    ]
    for method, path, body in attempts:
        response = await api.request(method, path, json=body, headers=auth(token))
        assert response.status_code == 403, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["permission"] == "administer_office"
    listed = (await api.get("/v1/categories", headers=auth(admin))).json()["items"]
    assert [(c["name"], c["version"]) for c in listed] == [("Hotel", 1)]
    await bus_listener.wait_for(1, "category.created")
    assert [e["type"] for e in bus_listener.received] == ["category.created"]


@pytest.mark.parametrize("role", ["viewer", "manager", "office_admin"])
async def test_everyone_in_the_office_reads_categories(api, make_token, role):
    category = await create_category(api, make_token("office_admin"), "Hotel")
    token = make_token(role)
    listed = await api.get("/v1/categories", headers=auth(token))
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["items"]] == [category["id"]]
    one = await api.get(f"/v1/categories/{category['id']}", headers=auth(token))
    assert one.status_code == 200
    assert one.json()["name"] == "Hotel"


async def test_without_a_token_nothing_is_shown(api):
    assert (await api.get("/v1/categories")).status_code == 401


# --- office isolation --------------------------------------------------------------------------------


async def test_another_office_neither_sees_nor_changes_the_category(api, make_token, bus_listener):
    category = await create_category(api, make_token("office_admin"), "Hotel")
    url = f"/v1/categories/{category['id']}"
    stranger = make_token("office_admin", office=other_office())
    assert (await api.get(url, headers=auth(stranger))).status_code == 404
    assert (await api.patch(url, json={"name": "Mine"}, headers=auth(stranger))).status_code == 404
    assert (await api.post(f"{url}/deactivate", headers=auth(stranger))).status_code == 404
    assert (await api.post(f"{url}/reactivate", headers=auth(stranger))).status_code == 404
    assert (await api.delete(url, headers=auth(stranger))).status_code == 404
    listed = await api.get("/v1/categories", headers=auth(stranger))
    assert listed.json()["items"] == []
    read = await api.get(url, headers=auth(make_token("office_admin")))
    assert (read.json()["name"], read.json()["active"], read.json()["version"]) == ("Hotel", True, 1)
    await bus_listener.wait_for(1, "category.created")
    assert [e["type"] for e in bus_listener.received] == ["category.created"]


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": 5}, "name"),
        ({"name": None}, "name"),
        ({"name": "Hotel", "active": False}, "active"),
    ],
)
async def test_a_bad_create_is_a_422_naming_the_field(api, make_token, body, field):
    response = await api.post("/v1/categories", json=body, headers=auth(make_token("office_admin")))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize(
    ("body", "field"), [({"name": None}, "name"), ({"name": ""}, "name"), ({"x": 1}, "x")]
)
async def test_a_bad_rename_is_a_422_naming_the_field(api, make_token, body, field):
    token = make_token("office_admin")
    url = f"/v1/categories/{(await create_category(api, token, 'Hotel'))['id']}"
    response = await api.patch(url, json=body, headers=auth(token))
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_a_malformed_id_is_a_422_naming_it_and_an_unknown_one_a_404(api, make_token):
    token = make_token("office_admin")
    malformed = await api.get("/v1/categories/not-a-uuid", headers=auth(token))
    assert malformed.status_code == 422
    assert [e["field"] for e in malformed.json()["errors"]] == ["category_id"]
    unknown = await api.post(f"/v1/categories/{uuid.uuid4()}/deactivate", headers=auth(token))
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"


async def test_a_malformed_if_match_is_a_400(api, make_token):
    token = make_token("office_admin")
    url = f"/v1/categories/{(await create_category(api, token, 'Hotel'))['id']}"
    response = await api.patch(url, json={"name": "X"}, headers=auth(token, **{"If-Match": "latest"}))
    assert response.status_code == 400


# --- what the customer use cases ask -----------------------------------------------------------------


async def test_unknown_or_inactive_names_what_a_customer_may_not_be_given_in_the_order_given(
    api, make_token, settings
):
    token = make_token("office_admin")
    active = uuid.UUID((await create_category(api, token, "Active"))["id"])
    inactive = uuid.UUID((await create_category(api, token, "Inactive"))["id"])
    await api.post(f"/v1/categories/{inactive}/deactivate", headers=auth(token))
    foreign_office = other_office()
    foreign = uuid.UUID(
        (await create_category(api, make_token("office_admin", office=foreign_office), "F"))["id"]
    )
    unknown = uuid.uuid4()
    office = (await api.get(f"/v1/categories/{active}", headers=auth(token))).json()["office_id"]

    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with create_session_factory(engine)() as session:
            refused = await category_repository.unknown_or_inactive(
                session, office, [unknown, active, foreign, inactive, active]
            )
            assert refused == [unknown, foreign, inactive]
            assert await category_repository.unknown_or_inactive(session, office, [active]) == []
            assert await category_repository.unknown_or_inactive(session, office, []) == []
            assert await category_repository.unknown_or_inactive(session, foreign_office, [foreign]) == []
    finally:
        await engine.dispose()


async def test_a_customer_may_be_given_an_active_category_but_not_an_inactive_one(api, make_token):
    admin = make_token("office_admin")
    active = await create_category(api, admin, "Active")
    inactive = await create_category(api, admin, "Inactive")
    await api.post(f"/v1/categories/{inactive['id']}/deactivate", headers=auth(admin))
    manager = make_token("manager")

    given = await api.post(
        "/v1/customers", json={"name": "Østbø Bygg AS", "category_ids": [active["id"]]}, headers=auth(manager)
    )
    assert given.status_code == 201, given.text
    assert given.json()["category_ids"] == [active["id"]]
    assert (await api.get(f"/v1/categories/{active['id']}", headers=auth(admin))).json()["in_use_count"] == 1

    refused = await api.post(
        "/v1/customers",
        json={"name": "Nordlys AS", "category_ids": [active["id"], inactive["id"]]},
        headers=auth(manager),
    )
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["category_ids.1"]
