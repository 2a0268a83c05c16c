"""Helpers shared by the contact service's tests (on pytest's pythonpath, hence the unique name)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx

from contracts import Actor, EventPayload, envelope_for
from contracts.customer import CustomerState
from servicekit.db import create_engine
from servicekit.migrations import upgrade_database
from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.infrastructure import Infrastructure


def auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


async def create_customer(customer_api: httpx.AsyncClient, token: str, **body: object) -> dict[str, Any]:
    """A customer created through the real customer service (running in this process)."""
    response = await customer_api.post(
        "/v1/customers", json={"name": "Østbø Bygg AS", "country": "NO", **body}, headers=auth(token)
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def create_contact(
    api: httpx.AsyncClient, token: str, customer_id: str, **body: object
) -> httpx.Response:
    response = await api.post(
        "/v1/contacts",
        json={"customer_id": customer_id, "first_name": "Kari", "last_name": "Nordmann", **body},
        headers=auth(token),
    )
    assert response.status_code == 201, response.text
    return response


async def listed(api: httpx.AsyncClient, token: str, **params: object) -> list[dict[str, Any]]:
    """Every item of a contact list, following the cursor to the end."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await api.get("/v1/contacts", params=query, headers=auth(token))
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


async def migrated_contact_database(infra: Infrastructure, prefix: str) -> AsyncIterator[str]:
    """A fresh database with the contact service's migrations applied, dropped afterwards."""
    from contact.main import MIGRATIONS  # the app is imported only where a test needs it

    name = await create_database(infra.pg_admin_url, prefix)
    url = with_database(infra.pg_admin_url, name, driver="asyncpg")
    engine = create_engine(url)
    await upgrade_database(engine, MIGRATIONS)
    await engine.dispose()
    yield url
    await drop_database(infra.pg_admin_url, name)


def customer_state(office_id: str, customer_id: uuid.UUID, version: int, **fields: object) -> CustomerState:
    """A customer as the customer service's events carry it (for events this test publishes itself)."""
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "id": customer_id,
        "office_id": office_id,
        "customer_number": "1001",
        "name": f"Fjord Consult v{version}",
        "type": "company",
        "country": "NO",
        "active": True,
        "global": False,
        "created_at": now,
        "created_by": "user-1",
        "updated_at": now,
        "updated_by": "user-1",
        "version": version,
    }
    return CustomerState.model_validate({**values, **fields})


def customer_event(payload: EventPayload, customer: CustomerState) -> dict[str, Any]:
    """A customer.* event as the customer service's relay publishes it (for
    `servicekit.testing.messages.publish`, which routes it by its type)."""
    envelope = envelope_for(
        payload,
        office_id=customer.office_id,
        aggregate_id=customer.id,
        aggregate_version=customer.version,
        correlation_id=f"test-{uuid.uuid4().hex[:8]}",
        actor=Actor(kind="user", id="user-1", name="Test User"),
    )
    return dict(json.loads(envelope.model_dump_json(by_alias=True)))
