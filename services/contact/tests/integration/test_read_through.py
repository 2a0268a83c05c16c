"""A contact for a customer whose event has not reached the contact service yet: the customer is read once
from the real customer service's internal endpoint, kept in the copy, and its country reads the phone."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from contact_api_helpers import auth, create_contact
from customer_api_helpers import insert_customer
from servicekit.copy_tables import customer_copies
from servicekit.db import create_engine
from servicekit.local_copies import LocalCopies


class CountingTransport(httpx.AsyncBaseTransport):
    """Passes requests on to the customer app and remembers their paths."""

    def __init__(self, app) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await self.inner.handle_async_request(request)


async def owner_reads(api, settings, transport: httpx.AsyncBaseTransport) -> None:
    """The contact service reads missing customers through `transport` from now on."""
    runtime = api.app.state.runtime
    before = runtime.copies
    runtime.copies = LocalCopies(
        settings, client=httpx.AsyncClient(transport=transport, base_url=settings.customer_service_url)
    )
    await before.close()


async def test_a_customer_whose_event_never_came_is_read_once_and_kept(
    api, customer_api, customer_settings, settings, make_token, office_id
):
    # Written straight into the customer service's database: no event is ever published for it.
    engine = create_engine(customer_settings.database_url)
    try:
        customer_id = await insert_customer(engine, office_id, country="NO")
    finally:
        await engine.dispose()
    counting = CountingTransport(customer_api.app)
    await owner_reads(api, settings, counting)
    token = make_token("manager")

    first = await create_contact(api, token, str(customer_id), phone="412 34 567")
    assert first.json()["phone"] == "+4741234567"
    assert first.json()["customer_active"] is True
    await create_contact(api, token, str(customer_id), first_name="Ola")
    listed = await api.get("/v1/contacts", params={"customer_id": str(customer_id)}, headers=auth(token))
    assert len(listed.json()["items"]) == 2
    assert counting.paths == [f"/internal/v1/customers/{customer_id}"]

    contact_engine = create_engine(settings.database_url)
    try:
        async with contact_engine.connect() as connection:
            query = select(customer_copies).where(customer_copies.c.id == customer_id)
            copy = (await connection.execute(query)).one()
    finally:
        await contact_engine.dispose()
    assert (copy.name, copy.country, copy.office_id, copy.version, copy.deleted) == (
        f"Kunde {customer_id.hex[:6]}",
        "NO",
        office_id,
        1,
        False,
    )


async def test_a_list_filtered_by_a_customer_not_yet_known_reads_it_and_keeps_it(
    api, customer_api, customer_settings, settings, make_token, office_id
):
    engine = create_engine(customer_settings.database_url)
    try:
        customer_id = await insert_customer(engine, office_id)
    finally:
        await engine.dispose()
    counting = CountingTransport(customer_api.app)
    await owner_reads(api, settings, counting)
    token = make_token("viewer")
    for _ in range(2):
        response = await api.get(
            "/v1/contacts", params={"customer_id": str(customer_id)}, headers=auth(token)
        )
        assert response.status_code == 200
        assert response.json()["items"] == []
    assert counting.paths == [f"/internal/v1/customers/{customer_id}"]


async def test_an_unreachable_customer_service_is_a_503_that_changes_nothing(api, settings, make_token):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    await owner_reads(api, settings, httpx.MockTransport(refuse))
    token = make_token("manager")
    response = await api.post(
        "/v1/contacts",
        json={"customer_id": "6f1c1d7e-9a43-4a8e-9a55-0c7d3f1e2b10", "first_name": "K", "last_name": "N"},
        headers=auth(token),
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.headers["content-type"] == "application/problem+json"
    assert (await api.get("/v1/contacts", headers=auth(token))).json()["items"] == []
