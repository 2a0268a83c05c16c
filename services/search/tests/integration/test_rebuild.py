"""Rebuilding the index without downtime (issue 10 point 5): the real customer and contact services in this
process, the search service following their events; a rebuild while customers keep being created and
changed ends with exactly the source databases' customers and contacts in a new index behind the alias."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import create_async_engine

from contact_api_helpers import create_contact, create_customer
from contracts.contact import ContactCreated, ContactState
from contracts.customer import CustomerCreated, CustomerState, CustomerUpdated
from search.adapters import repository
from search.domain.document import customer_document
from search.service import rebuild
from search_api_helpers import auth, contact_state, customer_state, event
from servicekit.auth import issue_service_token
from servicekit.testing.consumers import eventually
from servicekit.testing.messages import publish


class SlowOwner(httpx.AsyncBaseTransport):
    """An owner's app answering a little slowly, so a rebuild lasts long enough to overlap with events."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self.transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)
        return await self.transport.handle_async_request(request)


async def _bulk(client: httpx.AsyncClient, settings: Any, url: str) -> list[dict[str, Any]]:
    token = issue_service_token(settings, "test")
    items: list[dict[str, Any]] = []
    after = None
    while True:
        params = {"limit": 1000, **({"after": after} if after else {})}
        answer = await client.get(url, params=params, headers=auth(token))
        assert answer.status_code == 200, answer.text
        items += answer.json()["items"]
        after = answer.json()["next_after"]
        if after is None:
            return items


async def _source_documents(customer_api, contact_api, settings) -> dict[str, dict[str, Any]]:
    """The documents the source databases call for, built from the services' bulk reads."""
    customers = await _bulk(customer_api, settings, "/internal/v1/customers")
    contacts = [
        ContactState.model_validate(c) for c in await _bulk(contact_api, settings, "/internal/v1/contacts")
    ]
    documents = {}
    for item in customers:
        customer = CustomerState.model_validate(item)
        own = [c for c in contacts if c.customer_id == customer.id]
        documents[str(customer.id)] = customer_document(customer, own, {})
    return documents


async def _indexed_documents(index) -> dict[str, dict[str, Any]]:
    await index.refresh()
    answer = await index.call("search", index=index.alias, body={"size": 1000, "query": {"match_all": {}}})
    return {hit["_id"]: hit["_source"] for hit in answer["hits"]["hits"]}


@pytest.fixture
async def platform(api, customer_api, contact_api, settings, customer_settings, contact_settings):
    """The search service reading the bulk reads of the in-process customer and contact services."""
    api.app.state.owner_client = httpx.AsyncClient(
        mounts={
            settings.customer_service_url: SlowOwner(httpx.ASGITransport(app=customer_api.app)),
            settings.contact_service_url: SlowOwner(httpx.ASGITransport(app=contact_api.app)),
        }
    )
    yield api
    await api.app.state.owner_client.aclose()


async def test_a_rebuild_while_events_flow_ends_with_exactly_the_source_customers_and_contacts(
    platform, customer_api, contact_api, index, settings, make_token, monkeypatch
):
    monkeypatch.setattr(rebuild, "PAGE", 2)
    admin = make_token("office_admin")
    other_admin = make_token("office_admin", office="office-rebuild-2")
    created = []
    for n in range(4):
        created.append(await create_customer(customer_api, admin, name=f"Fjordkraft {n} AS"))
    created.append(await create_customer(customer_api, other_admin, name="Sjöberg Handel AB", country="SE"))
    created.append(await create_customer(customer_api, admin, name="Global Nordic ASA", **{"global": True}))
    for customer, token in ((created[0], admin), (created[0], admin), (created[4], other_admin)):
        await create_contact(
            contact_api, token, customer["id"], email=f"kari{len(customer['id'])}@example.no"
        )
    await create_contact(contact_api, other_admin, created[5]["id"], first_name="Ola")
    gone = await create_customer(customer_api, admin, name="Borte Bygg AS")
    etag = (await customer_api.get(f"/v1/customers/{gone['id']}", headers=auth(admin))).headers["ETag"]
    deleted = await customer_api.delete(
        f"/v1/customers/{gone['id']}", headers={**auth(admin), "If-Match": etag}
    )
    assert deleted.status_code == 204, deleted.text
    await eventually(lambda: _wait_for(index, {c["id"] for c in created}))
    old = await index.indices_behind()

    started = await platform.post("/v1/search/rebuild", headers=auth(admin))
    assert started.status_code == 202, started.text
    assert started.json()["state"] == "running"
    refused = await platform.post("/v1/search/rebuild", headers=auth(other_admin))
    assert refused.status_code == 409, refused.text

    # Events keep flowing during the rebuild: new customers, and changes to copied ones.
    for n in range(3):
        await create_customer(customer_api, admin, name=f"Midt i Bygget {n} AS")
        current = await customer_api.get(f"/v1/customers/{created[n]['id']}", headers=auth(admin))
        changed = await customer_api.patch(
            f"/v1/customers/{created[n]['id']}",
            json={"name": f"Fjordkraft {n} Endret AS"},
            headers={**auth(admin), "If-Match": current.headers["ETag"]},
        )
        assert changed.status_code == 200, changed.text

    async def finished() -> dict[str, Any] | None:
        answer = await platform.get("/v1/search/rebuild", headers=auth(admin))
        assert answer.status_code == 200, answer.text
        assert answer.json()["state"] in ("running", "done"), answer.json()
        return dict(answer.json()) if answer.json()["state"] == "done" else None

    done = await eventually(finished, within=30)
    assert done["progress"] == 1.0
    assert done["written"] >= len(created)

    behind = await index.indices_behind()
    assert len(behind) == 1
    assert behind != old
    for name in old:
        assert not await index.call("indices.exists", index=name)

    async def same_as_the_source() -> bool:
        expected = await _source_documents(customer_api, contact_api, settings)
        indexed = await _indexed_documents(index)
        return indexed == expected

    await eventually(same_as_the_source, within=15)
    expected = await _source_documents(customer_api, contact_api, settings)
    assert gone["id"] not in expected
    assert len(expected) == len(created) + 3
    assert sum(len(document["contacts"]) for document in expected.values()) == 4


async def _wait_for(index, ids: set[str]) -> bool:
    return ids <= set(await _indexed_documents(index))


async def test_only_an_office_admin_may_rebuild(api, make_token):
    for role in ("viewer", "manager"):
        answer = await api.post("/v1/search/rebuild", headers=auth(make_token(role)))
        assert answer.status_code == 403, answer.text
        assert (await api.get("/v1/search/rebuild", headers=auth(make_token(role)))).status_code == 403


class StaleOwners:
    """Bulk reads answering fixed (older) states, as an owner read before a change whose event came first."""

    def __init__(self, customers: list[Any], contacts: list[Any]) -> None:
        self.app = FastAPI()

        @self.app.get("/internal/v1/customers")
        async def customer_page() -> JSONResponse:
            items = [c.model_dump(mode="json", by_alias=True) for c in customers]
            return JSONResponse({"items": items, "next_after": None})

        @self.app.get("/internal/v1/contacts")
        async def contact_page() -> JSONResponse:
            items = [c.model_dump(mode="json") for c in contacts]
            return JSONResponse({"items": items, "next_after": None})


async def _rebuild_from(api, settings, owners: StaleOwners, admin: str) -> None:
    """Rebuild the index from these owners' bulk reads, as an office admin, and wait until it is done."""
    api.app.state.owner_client = httpx.AsyncClient(
        mounts={
            settings.customer_service_url: httpx.ASGITransport(app=owners.app),
            settings.contact_service_url: httpx.ASGITransport(app=owners.app),
        }
    )
    assert (await api.post("/v1/search/rebuild", headers=auth(admin))).status_code == 202

    async def done() -> bool:
        return (await api.get("/v1/search/rebuild", headers=auth(admin))).json()["state"] == "done"

    await eventually(done, within=15)


async def test_an_older_bulk_state_never_overwrites_a_newer_event(
    api, infra, topology, index, settings, office_id, make_token
):
    customer_id = uuid.uuid4()
    newer = customer_state(office_id, customer_id, 3, name="Ny Nordlys AS")
    await publish(
        infra.amqp_url, topology, event(CustomerUpdated(customer=newer, changed_fields=["name"]), newer)
    )
    await eventually(lambda: _wait_for(index, {str(customer_id)}))
    older = customer_state(office_id, customer_id, 2, name="Gamle Nordlys AS")
    await _rebuild_from(api, settings, StaleOwners([older], []), make_token("office_admin"))
    indexed = await _indexed_documents(index)
    assert indexed[str(customer_id)]["name"] == "Ny Nordlys AS"
    assert indexed[str(customer_id)]["version"] == 3
    metrics = (await api.get("/metrics")).text
    assert 'search_rebuild_progress{service="search"} 1.0' in metrics
    await api.app.state.owner_client.aclose()


async def test_a_rebuild_forgets_a_contact_whose_deletion_event_was_lost(
    api, infra, topology, index, settings, office_id, make_token
):
    customer_id = uuid.uuid4()
    customer = customer_state(office_id, customer_id, 1, name="Kystlys AS")
    await publish(infra.amqp_url, topology, event(CustomerCreated(customer=customer), customer))
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    kept, lost, just_made = (
        contact_state(office_id, uuid.uuid4(), customer_id, 1, first_name=name, updated_at=long_ago)
        for name in ("Kari", "Borte", "Ny")
    )
    just_made = just_made.model_copy(update={"updated_at": datetime.now(UTC)})
    for contact in (kept, lost, just_made):
        await publish(infra.amqp_url, topology, event(ContactCreated(contact=contact), contact))

    async def all_three_indexed() -> bool:
        document = (await _indexed_documents(index)).get(str(customer_id))
        return document is not None and len(document["contacts"]) == 3

    await eventually(all_three_indexed)
    # The owner no longer has `lost` (its deletion event never came) and its read did not yet see
    # `just_made` (a create still committing when it read, whose event reached us first).
    await _rebuild_from(api, settings, StaleOwners([customer], [kept]), make_token("office_admin"))
    contacts = (await _indexed_documents(index))[str(customer_id)]["contacts"]
    assert sorted(contact["name"] for contact in contacts) == sorted(
        f"{c.first_name} {c.last_name}" for c in (kept, just_made)
    )
    await api.app.state.owner_client.aclose()


async def test_a_rebuild_whose_source_is_down_fails_and_leaves_the_index_as_it_was(api, index, make_token):
    await index.ensure()
    before = await index.indices_behind()
    down = httpx.MockTransport(lambda request: httpx.Response(503, json={"title": "Service unavailable"}))
    api.app.state.owner_client = httpx.AsyncClient(transport=down)
    admin = make_token("office_admin")
    assert (await api.post("/v1/search/rebuild", headers=auth(admin))).status_code == 202

    async def failed() -> dict[str, Any] | None:
        answer = (await api.get("/v1/search/rebuild", headers=auth(admin))).json()
        return dict(answer) if answer["state"] == "failed" else None

    outcome = await eventually(failed, within=15)
    assert "contacts bulk read" in outcome["error"]
    assert "503" in outcome["error"]
    assert await index.indices_behind() == before
    answer = await index.call("indices.get", index=f"{index.alias}-v*")
    assert sorted(answer) == before
    # The lock was released: the next rebuild may start.
    assert (await api.post("/v1/search/rebuild", headers=auth(admin))).status_code == 202
    await eventually(failed, within=15)
    await api.app.state.owner_client.aclose()


class HeldOwners:
    """Bulk reads of no customer and no contact, the customer read held until `release` is set: events
    applied meanwhile reach the new index only through the live consumer."""

    def __init__(self) -> None:
        self.reading = asyncio.Event()
        self.release = asyncio.Event()
        self.app = FastAPI()

        @self.app.get("/internal/v1/customers")
        async def customer_page() -> JSONResponse:
            self.reading.set()
            await self.release.wait()
            return JSONResponse({"items": [], "next_after": None})

        @self.app.get("/internal/v1/contacts")
        async def contact_page() -> JSONResponse:
            return JSONResponse({"items": [], "next_after": None})


async def test_events_applied_during_the_rebuild_reach_the_new_index(
    api, infra, topology, index, settings, office_id, make_token
):
    owners = HeldOwners()
    transport = httpx.ASGITransport(app=owners.app)
    api.app.state.owner_client = httpx.AsyncClient(
        mounts={settings.customer_service_url: transport, settings.contact_service_url: transport}
    )
    admin = make_token("office_admin")
    assert (await api.post("/v1/search/rebuild", headers=auth(admin))).status_code == 202
    await asyncio.wait_for(owners.reading.wait(), 10)
    customer = customer_state(office_id, uuid.uuid4(), 1, name="Underveis Handel AS")
    await publish(infra.amqp_url, topology, event(CustomerCreated(customer=customer), customer))
    await eventually(lambda: _wait_for(index, {str(customer.id)}))
    owners.release.set()

    async def done() -> bool:
        return (await api.get("/v1/search/rebuild", headers=auth(admin))).json()["state"] == "done"

    await eventually(done, within=15)
    assert set(await _indexed_documents(index)) == {str(customer.id)}
    await api.app.state.owner_client.aclose()


async def test_a_rebuild_whose_process_died_is_no_longer_written_to(
    api, infra, topology, index, settings, office_id, make_token
):
    await index.ensure()
    leftover = f"{index.alias}-v9"
    engine = create_async_engine(settings.database_url)
    async with engine.begin() as connection:
        await repository.save_rebuild(
            connection,
            state="running",
            target_index=leftover,
            started_at=datetime.now(UTC),
            finished_at=None,
            written=0,
            total=0,
            error=None,
        )
    try:
        customer = customer_state(office_id, uuid.uuid4(), 1, name="Etter Krasjet AS")
        await publish(infra.amqp_url, topology, event(CustomerCreated(customer=customer), customer))
        await eventually(lambda: _wait_for(index, {str(customer.id)}))
        assert not await index.call("indices.exists", index=leftover)
        answer = await api.get("/v1/search/rebuild", headers=auth(make_token("office_admin")))
        assert answer.json()["state"] == "interrupted"
    finally:
        async with engine.begin() as connection:
            await repository.update_rebuild(connection, state="failed", target_index=None)
        await engine.dispose()
