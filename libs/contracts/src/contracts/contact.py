"""Contact events (SPEC §4): each carries the full state of the contact after the change.

The activity and portal services keep copies of contacts, and the customer service learns from them which
contacts a customer has (an address's `contact_id` must name one).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import EventPayload


class ContactState(BaseModel):
    """A contact person of a customer, as the contact service holds it."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    office_id: str
    customer_id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = Field(default=None, description="E.164, e.g. +4741234567.")
    title: str | None = None
    roles: list[str] = Field(default_factory=list, description="buyer, decision_maker, technical, ...")
    keywords: list[str] = Field(default_factory=list)
    main: bool = Field(default=False, description="The customer's main contact; at most one per customer.")
    receives_service_reports: bool = False
    receives_work_orders: bool = False
    language: str | None = None
    external_ids: dict[str, str] = Field(default_factory=dict)
    active: bool
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    version: int = Field(ge=1)


class ContactCreated(EventPayload):
    """A contact person was added to a customer."""

    event_type = "contact.created"
    contact: ContactState


class ContactUpdated(EventPayload):
    """A contact's details changed (also: it became, or stopped being, its customer's main contact)."""

    event_type = "contact.updated"
    contact: ContactState
    changed_fields: list[str] = Field(description="JSON names of the fields this change touched.")


class ContactDeactivated(EventPayload):
    """A contact is hidden from default lists but kept."""

    event_type = "contact.deactivated"
    contact: ContactState


class ContactReactivated(EventPayload):
    """A deactivated contact is shown again."""

    event_type = "contact.reactivated"
    contact: ContactState


class ContactDeleted(EventPayload):
    """A contact was deleted, by a user or because its customer was."""

    event_type = "contact.deleted"
    contact: ContactState = Field(description="The last state before deletion.")


CONTACT_EVENTS: tuple[type[EventPayload], ...] = (
    ContactCreated,
    ContactUpdated,
    ContactDeactivated,
    ContactReactivated,
    ContactDeleted,
)
