"""The internal reads other services use (read-through of a missing contact by the activity, customer and
portal services; the search rebuild): service tokens only, the contact in its event form."""

from __future__ import annotations

import uuid

import httpx
import pytest

from contact_api_helpers import auth, create_contact, create_customer
from contracts.contact import ContactState
from servicekit.auth import issue_token
from servicekit.copy_tables import contact_copy_metadata
from servicekit.db import create_engine
from servicekit.local_copies import LocalCopies
from servicekit.settings import JwtSettings, ServiceSettings
from servicekit.testing.databases import create_database, drop_database, with_database


@pytest.fixture
def service_token() -> str:
    return issue_token(JwtSettings(), subject="activity", office_id=None, kind="service")


async def test_a_contact_of_any_office_is_read_through_in_its_event_form(
    api, customer_api, make_token, service_token
):
    other_office = make_token("manager", office=f"office-{uuid.uuid4().hex[:8]}")
    customer = await create_customer(customer_api, other_office)
    created = (await create_contact(api, other_office, customer["id"], phone="41234567", main=True)).json()

    response = await api.get(f"/internal/v1/contacts/{created['id']}", headers=auth(service_token))
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"1"'
    state = ContactState.model_validate(response.json())
    assert state.id == uuid.UUID(created["id"])
    assert state.office_id == created["office_id"]
    assert (state.phone, state.main, state.version) == ("+4741234567", True, 1)
    assert "customer_active" not in response.json()

    missing = await api.get(f"/internal/v1/contacts/{uuid.uuid4()}", headers=auth(service_token))
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


class ActivityLikeSettings(ServiceSettings):
    service_name: str = "activity"
    port: int = 0
    database_url: str = "postgresql+asyncpg://unused/unused"
    contact_service_url: str = "http://contact"


async def test_a_consuming_service_reads_a_missing_contact_through_the_kit_and_keeps_it(
    api, customer_api, make_token, office_id, infra
):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    contact = (
        await create_contact(api, token, customer["id"], email="kari@bygg.no", phone="41234567")
    ).json()
    # Another service's database with the kit's contact copy, and its LocalCopies reaching this app.
    name = await create_database(infra.pg_admin_url, "contact_reader")
    engine = create_engine(with_database(infra.pg_admin_url, name, driver="asyncpg"))
    copies = LocalCopies(
        ActivityLikeSettings(), client=httpx.AsyncClient(transport=httpx.ASGITransport(app=api.app))
    )
    try:
        async with engine.begin() as connection:
            await connection.run_sync(contact_copy_metadata.create_all)
        async with engine.connect() as session, session.begin():
            row = await copies.contact(session, uuid.UUID(contact["id"]), office_id)
            elsewhere = await copies.contact(session, uuid.UUID(contact["id"]), "another-office")
            unknown = await copies.contact(session, uuid.uuid4(), office_id)
    finally:
        await copies.close()
        await engine.dispose()
        await drop_database(infra.pg_admin_url, name)
    assert row is not None
    assert (row.customer_id, row.email, row.phone, row.version) == (
        uuid.UUID(customer["id"]),
        "kari@bygg.no",
        "+4741234567",
        1,
    )
    assert elsewhere is None
    assert unknown is None


async def test_the_bulk_read_pages_through_one_customer_in_id_order_inactive_ones_included(
    api, customer_api, make_token, office_id, service_token
):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    other = await create_customer(customer_api, token, name="Annen AS")
    ids = [
        (await create_contact(api, token, customer["id"], first_name=f"P{n}")).json()["id"] for n in range(5)
    ]
    await api.post(f"/v1/contacts/{ids[0]}/deactivate", headers=auth(token))
    await create_contact(api, token, other["id"])

    batches, after = [], None
    while True:
        params = {"customer_id": customer["id"], "limit": 2, **({"after": after} if after else {})}
        response = await api.get("/internal/v1/contacts", params=params, headers=auth(service_token))
        assert response.status_code == 200, response.text
        batches.append([item["id"] for item in response.json()["items"]])
        if (after := response.json()["next_after"]) is None:
            break
    assert [len(batch) for batch in batches] == [2, 2, 1]
    assert [i for batch in batches for i in batch] == sorted(ids, key=uuid.UUID)
    whole_office = await api.get(
        "/internal/v1/contacts", params={"office_id": office_id}, headers=auth(service_token)
    )
    assert len(whole_office.json()["items"]) == 6


@pytest.mark.parametrize("role", ["office_admin", "manager", "viewer"])
async def test_user_tokens_are_refused(api, customer_api, make_token, role):
    manager = make_token("manager")
    contact = (
        await create_contact(api, manager, (await create_customer(customer_api, manager))["id"])
    ).json()
    for path in ("/internal/v1/contacts", f"/internal/v1/contacts/{contact['id']}"):
        response = await api.get(path, headers=auth(make_token(role)))
        assert response.status_code == 403, response.text


async def test_no_or_a_forged_token_is_refused(api, service_token):
    for path in ("/internal/v1/contacts", f"/internal/v1/contacts/{uuid.uuid4()}"):
        assert (await api.get(path)).status_code == 401
        assert (await api.get(path, headers=auth(service_token + "x"))).status_code == 401


async def test_the_internal_reads_are_documented_under_their_own_tag(api):
    paths = (await api.get("/openapi.json")).json()["paths"]
    for path in ("/internal/v1/contacts", "/internal/v1/contacts/{contact_id}"):
        assert paths[path]["get"]["tags"] == ["internal"]
