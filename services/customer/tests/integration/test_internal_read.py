"""The internal reads other services use (search rebuild, read-through on a miss): service tokens only."""

from __future__ import annotations

import uuid

import httpx
import pytest

from servicekit.auth import issue_token
from servicekit.settings import JwtSettings


@pytest.fixture
def service_token() -> str:
    return issue_token(JwtSettings(), subject="search", office_id=None, kind="service")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create(api: httpx.AsyncClient, token: str, **body: object) -> dict:
    response = await api.post("/v1/customers", json={"name": "Østbø Bygg AS", **body}, headers=auth(token))
    assert response.status_code == 201, response.text
    return response.json()


async def read_all(api: httpx.AsyncClient, token: str, **params: object) -> list[list[dict]]:
    """Every batch of the bulk read, following next_after to the end."""
    batches, after = [], None
    while True:
        query = {**params, **({"after": after} if after else {})}
        response = await api.get("/internal/v1/customers", params=query, headers=auth(token))
        assert response.status_code == 200, response.text
        batches.append(response.json()["items"])
        after = response.json()["next_after"]
        if after is None:
            return batches


async def test_the_bulk_read_pages_through_one_office_in_id_order(api, make_token, office_id, service_token):
    manager = make_token("manager")
    created = [(await create(api, manager, name=f"Kunde {n}"))["id"] for n in range(7)]
    await create(api, make_token("manager", office=f"office-{uuid.uuid4().hex[:8]}"), name="Elsewhere")

    batches = await read_all(api, service_token, office_id=office_id, limit=3)
    assert [len(batch) for batch in batches] == [3, 3, 1]
    ids = [item["id"] for batch in batches for item in batch]
    assert ids == sorted(created, key=uuid.UUID)
    assert {item["office_id"] for batch in batches for item in batch} == {office_id}


async def test_without_an_office_the_bulk_read_gives_every_office(api, make_token, service_token):
    mine = (await create(api, make_token("manager")))["id"]
    theirs = (await create(api, make_token("manager", office=f"office-{uuid.uuid4().hex[:8]}")))["id"]

    ids = [item["id"] for batch in await read_all(api, service_token, limit=1000) for item in batch]
    assert {mine, theirs} <= set(ids)
    assert len(ids) == len(set(ids))
    assert [uuid.UUID(i) for i in ids] == sorted(uuid.UUID(i) for i in ids)


async def test_items_are_the_event_state_without_the_identity_number(
    api, make_token, office_id, service_token
):
    admin = make_token("office_admin")
    private = await create(
        api, admin, name="Ola Nordmann", type="private", personal_identity_number="01017012345"
    )
    # Not a global customer: those are visible to every office and would leak into other tests.
    company = await create(api, admin, name="Konsern ASA", country="NO")

    [items] = await read_all(api, service_token, office_id=office_id)
    by_id = {item["id"]: item for item in items}
    assert set(by_id) == {private["id"], company["id"]}
    for item in items:
        assert "personal_identity_number" not in item
        assert "global_" not in item
    assert by_id[company["id"]]["global"] is False
    assert by_id[private["id"]]["global"] is False
    assert by_id[private["id"]]["name"] == "Ola Nordmann"
    assert by_id[company["id"]]["country"] == "NO"
    assert by_id[company["id"]]["version"] == 1


async def test_an_office_with_no_customers_reads_as_one_empty_batch(api, service_token):
    response = await api.get(
        "/internal/v1/customers", params={"office_id": "office-nobody"}, headers=auth(service_token)
    )
    assert response.json() == {"items": [], "next_after": None}


async def test_a_single_customer_of_any_office_is_read_through(api, make_token, service_token):
    other_office = make_token("manager", office=f"office-{uuid.uuid4().hex[:8]}")
    created = await create(
        api, other_office, name="Kari Nordmann", type="private", personal_identity_number="01017012345"
    )
    response = await api.get(f"/internal/v1/customers/{created['id']}", headers=auth(service_token))
    assert response.status_code == 200, response.text
    state = response.json()
    assert state["id"] == created["id"]
    assert state["name"] == "Kari Nordmann"
    assert state["office_id"] == created["office_id"]
    assert state["global"] is False
    assert "personal_identity_number" not in state
    assert response.headers["ETag"] == '"1"'

    missing = await api.get(f"/internal/v1/customers/{uuid.uuid4()}", headers=auth(service_token))
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("role", ["office_admin", "manager", "viewer"])
async def test_user_tokens_are_refused(api, make_token, role):
    token = make_token(role)
    customer = await create(api, make_token("manager"))
    for path in ("/internal/v1/customers", f"/internal/v1/customers/{customer['id']}"):
        response = await api.get(path, headers=auth(token))
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"


async def test_no_or_a_forged_token_is_refused(api, service_token):
    customer_path = f"/internal/v1/customers/{uuid.uuid4()}"
    for path in ("/internal/v1/customers", customer_path):
        assert (await api.get(path)).status_code == 401
        assert (await api.get(path, headers=auth(service_token + "x"))).status_code == 401
    forged = issue_token(JwtSettings(jwt_secret="x" * 48), subject="search", office_id=None, kind="service")
    assert (await api.get("/internal/v1/customers", headers=auth(forged))).status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"after": "not-a-uuid"}, "after"),
        ({"office_id": ""}, "office_id"),
    ],
)
async def test_bad_parameters_get_a_problem_naming_the_field(api, service_token, params, field):
    response = await api.get("/internal/v1/customers", params=params, headers=auth(service_token))
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_the_internal_reads_are_documented_under_their_own_tag(api):
    paths = (await api.get("/openapi.json")).json()["paths"]
    for path in ("/internal/v1/customers", "/internal/v1/customers/{customer_id}"):
        assert paths[path]["get"]["tags"] == ["internal"]
