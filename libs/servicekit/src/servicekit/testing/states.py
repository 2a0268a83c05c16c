"""Customers and contacts as their owners' events carry them, and those events, for tests that publish
or apply events themselves (a consumer's copy, a cascade, a reordered delivery)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from contracts import Actor, EventEnvelope, EventPayload, envelope_for
from contracts.contact import ContactState
from contracts.customer import CustomerState


def a_customer(
    office_id: str, customer_id: uuid.UUID | None = None, version: int = 1, **fields: Any
) -> CustomerState:
    """A Norwegian company customer of the office at this version (its name tells the version)."""
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "id": customer_id or uuid.uuid4(),
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


def a_contact(
    office_id: str,
    customer_id: uuid.UUID,
    contact_id: uuid.UUID | None = None,
    version: int = 1,
    **fields: Any,
) -> ContactState:
    """Kari Nordmann, a contact of the customer at this version."""
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "id": contact_id or uuid.uuid4(),
        "office_id": office_id,
        "customer_id": customer_id,
        "first_name": "Kari",
        "last_name": "Nordmann",
        "active": True,
        "created_at": now,
        "created_by": "user-1",
        "updated_at": now,
        "updated_by": "user-1",
        "version": version,
    }
    return ContactState.model_validate({**values, **fields})


def event_of(payload: EventPayload, state: CustomerState | ContactState) -> EventEnvelope[Any]:
    """The payload in its envelope, at the state's version, as the owner's relay publishes it."""
    return envelope_for(
        payload,
        office_id=state.office_id,
        aggregate_id=state.id,
        aggregate_version=state.version,
        correlation_id=f"test-{uuid.uuid4().hex[:8]}",
        actor=Actor(kind="user", id="user-1", name="Test User"),
    )


def published(event: EventEnvelope[Any]) -> dict[str, Any]:
    """The event as it travels (for `servicekit.testing.messages.publish`, which routes it by type)."""
    return dict(json.loads(event.model_dump_json(by_alias=True)))
