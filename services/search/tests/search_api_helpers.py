"""Helpers shared by the search service's tests (on pytest's pythonpath, hence the unique name)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx

from contracts import EventPayload
from contracts.category import CategoryState
from contracts.contact import ContactState
from contracts.customer import CustomerState
from servicekit.testing.consumers import eventually
from servicekit.testing.infrastructure import Infrastructure
from servicekit.testing.migrations import migrated_database
from servicekit.testing.states import a_contact, a_customer, event_of, published


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def migrated_search_database(infra: Infrastructure, prefix: str) -> AsyncIterator[str]:
    """A fresh database with the search service's migrations applied, dropped afterwards."""
    from search.main import MIGRATIONS  # the app is imported only where a test needs it

    async with migrated_database(infra, prefix, MIGRATIONS) as url:
        yield url


def _audit() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"created_at": now, "created_by": "user-1", "updated_at": now, "updated_by": "user-1"}


def customer_state(office_id: str, customer_id: uuid.UUID, version: int, **fields: object) -> CustomerState:
    return a_customer(office_id, customer_id, version, **fields)


def contact_state(
    office_id: str, contact_id: uuid.UUID, customer_id: uuid.UUID, version: int, **fields: object
) -> ContactState:
    return a_contact(office_id, customer_id, contact_id, version, **fields)


def category_state(office_id: str, category_id: uuid.UUID, version: int, name: str) -> CategoryState:
    return CategoryState.model_validate(
        {
            "id": category_id,
            "office_id": office_id,
            "name": name,
            "active": True,
            **_audit(),
            "version": version,
        }
    )


def event(payload: EventPayload, state: CustomerState | ContactState | CategoryState) -> dict[str, Any]:
    """An event as the owner's relay publishes it (for `servicekit.testing.messages.publish`)."""
    return published(event_of(payload, state))  # type: ignore[arg-type]


async def refresh(api: httpx.AsyncClient) -> None:
    """Make every write so far visible to searches (instead of waiting for the refresh interval)."""
    await api.app.state.search_index.refresh()  # type: ignore[attr-defined]


async def search(api: httpx.AsyncClient, token: str, **params: object) -> dict[str, Any]:
    await refresh(api)
    response = await api.get("/v1/search/customers", params=params, headers=auth(token))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def ids_found(api: httpx.AsyncClient, token: str, q: str, **params: object) -> list[str]:
    return [item["id"] for item in (await search(api, token, q=q, **params))["items"]]


async def eventually_found(
    api: httpx.AsyncClient, token: str, check: Any, within: float = 15.0, **params: object
) -> dict[str, Any]:
    """The search answer once `check(answer)` holds (events are applied asynchronously)."""
    answers: list[dict[str, Any]] = []

    async def holds() -> bool:
        answers.append(await search(api, token, **params))
        return bool(check(answers[-1]))

    await eventually(holds, within=within, every=0.1)
    return answers[-1]
