"""Helpers shared by the contact service's tests (on pytest's pythonpath, hence the unique name)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from servicekit.testing.infrastructure import Infrastructure
from servicekit.testing.migrations import migrated_database


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

    async with migrated_database(infra, prefix, MIGRATIONS) as url:
        yield url
