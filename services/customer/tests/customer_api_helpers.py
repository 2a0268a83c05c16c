"""Helpers shared by the customer service's tests (on pytest's pythonpath, hence the unique name)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from servicekit.db import create_engine
from servicekit.migrations import upgrade_database
from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.infrastructure import Infrastructure


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

    name = await create_database(infra.pg_admin_url, prefix)
    url = with_database(infra.pg_admin_url, name, driver="asyncpg")
    engine = create_engine(url)
    await upgrade_database(engine, MIGRATIONS)
    await engine.dispose()
    yield url
    await drop_database(infra.pg_admin_url, name)
