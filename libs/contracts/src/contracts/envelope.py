"""The envelope every event on the bus travels in (SPEC §1).

Consumers read only the envelope to route, deduplicate (``id``) and order (``aggregate_version``);
the ``payload`` carries the full state of the aggregate after the change, so no consumer calls back.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field


class Actor(BaseModel):
    """Who caused the change: an internal user, a portal (customer) user, or a service acting on its own."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["user", "customer_user", "service"]
    id: str
    name: str | None = None


class EventPayload(BaseModel):
    """Base of every event payload. Subclasses name their routing key and schema version."""

    model_config = ConfigDict(extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


PayloadT = TypeVar("PayloadT")


class EventEnvelope(BaseModel, Generic[PayloadT]):
    """One event as it is stored in an outbox and published to the topic exchange."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, description="Unique per event; the inbox key.")
    type: str = Field(description="Event type, also the routing key, e.g. `customer.created`.")
    schema_version: int = Field(ge=1, description="Version of the payload schema of this type.")
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    office_id: str = Field(description="Tenant the aggregate belongs to.")
    aggregate_id: uuid.UUID
    aggregate_version: int = Field(
        ge=1, description="Monotonic per aggregate; consumers ignore events older than what they hold."
    )
    correlation_id: str = Field(description="Carried from the request that started the chain.")
    causation_id: str | None = Field(default=None, description="Id of the request or event that caused it.")
    actor: Actor
    payload: PayloadT


RawEnvelope = EventEnvelope[dict[str, Any]]
"""An envelope whose payload is not yet parsed into its event type (what a consumer receives first)."""


def envelope_for(
    payload: EventPayload,
    *,
    office_id: str,
    aggregate_id: uuid.UUID,
    aggregate_version: int,
    correlation_id: str,
    actor: Actor,
    causation_id: str | None = None,
) -> EventEnvelope[EventPayload]:
    """Wrap a payload in its envelope, taking type and schema version from the payload class."""
    # Parametrised with the payload's own class, so serialising keeps the subclass's fields.
    envelope_model = cast("type[EventEnvelope[EventPayload]]", EventEnvelope[type(payload)])  # type: ignore[misc]
    return envelope_model(
        type=payload.event_type,
        schema_version=payload.schema_version,
        office_id=office_id,
        aggregate_id=aggregate_id,
        aggregate_version=aggregate_version,
        correlation_id=correlation_id,
        causation_id=causation_id,
        actor=actor,
        payload=payload,
    )
