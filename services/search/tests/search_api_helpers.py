"""Helpers shared by the search service's tests (on pytest's pythonpath, hence the unique name)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx

from contracts import Actor, EventPayload, envelope_for
from contracts.category import CategoryState
from contracts.contact import ContactState
from contracts.customer import CustomerState
from servicekit.db import create_engine
from servicekit.migrations import upgrade_database
from servicekit.testing.consumers import eventually
from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.infrastructure import Infrastructure


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def migrated_search_database(infra: Infrastructure, prefix: str) -> AsyncIterator[str]:
    """A fresh database with the search service's migrations applied, dropped afterwards."""
    from search.main import MIGRATIONS  # the app is imported only where a test needs it

    name = await create_database(infra.pg_admin_url, prefix)
    url = with_database(infra.pg_admin_url, name, driver="asyncpg")
    engine = create_engine(url)
    await upgrade_database(engine, MIGRATIONS)
    await engine.dispose()
    yield url
    await drop_database(infra.pg_admin_url, name)


def _audit() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"created_at": now, "created_by": "user-1", "updated_at": now, "updated_by": "user-1"}


def customer_state(office_id: str, customer_id: uuid.UUID, version: int, **fields: object) -> CustomerState:
    values: dict[str, Any] = {
        "id": customer_id,
        "office_id": office_id,
        "customer_number": "1001",
        "name": f"Fjord Consult v{version}",
        "type": "company",
        "country": "NO",
        "active": True,
        "global": False,
        **_audit(),
        "version": version,
    }
    return CustomerState.model_validate({**values, **fields})


def contact_state(
    office_id: str, contact_id: uuid.UUID, customer_id: uuid.UUID, version: int, **fields: object
) -> ContactState:
    values: dict[str, Any] = {
        "id": contact_id,
        "office_id": office_id,
        "customer_id": customer_id,
        "first_name": "Kari",
        "last_name": "Nordmann",
        "active": True,
        **_audit(),
        "version": version,
    }
    return ContactState.model_validate({**values, **fields})


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
    envelope = envelope_for(
        payload,
        office_id=state.office_id,
        aggregate_id=state.id,
        aggregate_version=state.version,
        correlation_id=f"test-{uuid.uuid4().hex[:8]}",
        actor=Actor(kind="user", id="user-1", name="Test User"),
    )
    return dict(json.loads(envelope.model_dump_json(by_alias=True)))


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
