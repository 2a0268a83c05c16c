"""What every change of a contact leaves behind: its event with the contact's full state, recorded in the
unit of work of the change (so it is written to the outbox in the same transaction)."""

from __future__ import annotations

from typing import Any

from contact.domain.contact import Contact, as_json
from contracts import EventEnvelope
from contracts.contact import (
    ContactCreated,
    ContactDeactivated,
    ContactDeleted,
    ContactReactivated,
    ContactState,
    ContactUpdated,
)
from contracts.envelope import EventPayload
from servicekit.unit_of_work import UnitOfWork

ContactEvent = (
    type[ContactCreated]
    | type[ContactUpdated]
    | type[ContactDeactivated]
    | type[ContactReactivated]
    | type[ContactDeleted]
)


def to_state(contact: Contact) -> ContactState:
    """The contact as events (and the internal read) carry it."""
    return ContactState.model_validate(as_json(contact))


def record_change(
    uow: UnitOfWork,
    after: Contact,
    event_type: ContactEvent,
    changed_fields: list[str] | None = None,
    *,
    caused_by: EventEnvelope[Any] | None = None,
) -> None:
    """Record the event of a change with the full state of `after`; an update names the fields it
    changed. A change made in reaction to another service's event names that event its cause."""
    state = to_state(after)
    if issubclass(event_type, ContactUpdated):
        event: EventPayload = ContactUpdated(contact=state, changed_fields=sorted(changed_fields or []))
    else:
        event = event_type(contact=state)
    uow.record(
        event,
        office_id=after.office_id,
        aggregate_id=after.id,
        aggregate_version=after.version,
        caused_by=caused_by,
    )
