"""Helpers shared by the activity service's tests (on pytest's pythonpath, hence the unique name)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import httpx
from sqlalchemy import Table, select

from contracts import EventEnvelope
from contracts.contact import ContactCreated, ContactDeleted, ContactState
from contracts.customer import CustomerCreated, CustomerDeleted, CustomerState, CustomerUpdated
from servicekit.bus import Topology, declare_topology
from servicekit.copy_tables import contact_copies, customer_copies
from servicekit.db import SessionFactory
from servicekit.testing.consumers import eventually
from servicekit.testing.infrastructure import Infrastructure
from servicekit.testing.migrations import migrated_database
from servicekit.testing.states import event_of

CUSTOMER_SERVICE_URL = "http://customer.test"
CONTACT_SERVICE_URL = "http://contact.test"


def auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


async def migrated_activity_database(infra: Infrastructure, prefix: str) -> AsyncIterator[str]:
    """A fresh database with the activity service's migrations applied, dropped afterwards."""
    from activity.main import MIGRATIONS  # the app is imported only where a test needs it

    async with migrated_database(infra, prefix, MIGRATIONS) as url:
        yield url


async def log(api: httpx.AsyncClient, token: str, customer_id: object, **body: object) -> dict[str, Any]:
    """Log an activity (a note unless told otherwise) and return the answer."""
    sent = {"kind": "note", "subject": "Called about the offer", "customer_id": str(customer_id), **body}
    response = await api.post("/v1/activities", json=sent, headers=auth(token))
    assert response.status_code == 201, response.text
    return response.json()


async def new_customer(customer_api: httpx.AsyncClient, token: str, **body: object) -> dict[str, Any]:
    """A customer created in the real customer service (its event goes out on the test's exchange)."""
    response = await customer_api.post(
        "/v1/customers", json={"name": "Østbø Bygg AS", **body}, headers=auth(token)
    )
    assert response.status_code == 201, response.text
    return response.json()


# ---------------------------------------------------------------------------------------------------
# Events as the customer and contact services publish them


def customer_created(customer: CustomerState) -> EventEnvelope[Any]:
    return event_of(CustomerCreated(customer=customer), customer)


def customer_updated(customer: CustomerState) -> EventEnvelope[Any]:
    return event_of(CustomerUpdated(customer=customer, changed_fields=["name"]), customer)


def customer_deleted(customer: CustomerState) -> EventEnvelope[Any]:
    return event_of(CustomerDeleted(customer=customer), customer)


def contact_created(contact: ContactState) -> EventEnvelope[Any]:
    return event_of(ContactCreated(contact=contact), contact)


def contact_deleted(contact: ContactState) -> EventEnvelope[Any]:
    return event_of(ContactDeleted(contact=contact), contact)


async def publish_events(amqp_url: str, topology: Topology, *events: EventEnvelope[Any]) -> None:
    """Publish events to the test's exchange as their owner's relay does (routing key = type), in order,
    each confirmed; the same event twice is a duplicated delivery."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await declare_topology(channel, topology)
        for event in events:
            await exchange.publish(
                aio_pika.Message(
                    event.model_dump_json(by_alias=True).encode(),
                    message_id=str(event.id),
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=event.type,
            )


async def copy_version(
    sessions: SessionFactory, table: Table, aggregate_id: uuid.UUID
) -> tuple[int, bool] | None:
    async with sessions() as session:
        row = (
            await session.execute(select(table.c.version, table.c.deleted).where(table.c.id == aggregate_id))
        ).first()
        return (row.version, row.deleted) if row is not None else None


async def until_copied(
    sessions: SessionFactory, state: CustomerState | ContactState, *, deleted: bool = False
) -> None:
    """Wait until the service's copy holds this version of the customer or contact."""
    table = customer_copies if isinstance(state, CustomerState) else contact_copies

    async def arrived() -> bool:
        return await copy_version(sessions, table, state.id) == (state.version, deleted)

    await eventually(arrived, within=15)


def sessions_of(api: httpx.AsyncClient) -> SessionFactory:
    """The session factory of the activity app behind `api`."""
    factory: SessionFactory = api.app.state.runtime.session_factory  # type: ignore[attr-defined]
    return factory
