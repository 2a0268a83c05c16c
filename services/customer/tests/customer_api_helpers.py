"""Helpers shared by the customer service's tests (on pytest's pythonpath, hence the unique name)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from customer.adapters.tables import customers
from servicekit.testing.infrastructure import Infrastructure
from servicekit.testing.migrations import migrated_database


def auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


async def create(api: httpx.AsyncClient, token: str, **body: object) -> httpx.Response:
    response = await api.post("/v1/customers", json={"name": "Østbø Bygg AS", **body}, headers=auth(token))
    assert response.status_code == 201, response.text
    return response


async def change_settings(api: httpx.AsyncClient, admin_token: str, **settings: object) -> dict:
    response = await api.patch("/v1/settings", json=settings, headers=auth(admin_token))
    assert response.status_code == 200, response.text
    return response.json()


async def migrated_customer_database(infra: Infrastructure, prefix: str) -> AsyncIterator[str]:
    """A fresh database with the customer service's migrations applied, dropped afterwards."""
    from customer.main import MIGRATIONS  # the app is imported only where a test needs it

    async with migrated_database(infra, prefix, MIGRATIONS) as url:
        yield url


async def insert_customer(engine: AsyncEngine, office_id: str, **columns: object) -> uuid.UUID:
    """A customer written straight into the database, past every rule: for setting up stored values
    that the API would refuse today (e.g. values of a custom field as it was defined before)."""
    customer_id, now = uuid.uuid4(), datetime.now(UTC)
    async with engine.begin() as connection:
        await connection.execute(
            insert(customers).values(
                id=customer_id,
                office_id=office_id,
                name=f"Kunde {customer_id.hex[:6]}",
                type="company",
                created_at=now,
                created_by="test",
                updated_at=now,
                updated_by="test",
                version=1,
                **columns,
            )
        )
    return customer_id
