"""What every change of a customer leaves behind: its history lines and its event, in the same transaction.

`record_change` writes one change; `record_changes` writes many (the import's batch path) with all their
history lines in one statement. Both build the lines and the event with `_history_and_event`, so a change
leaves the same trace whichever way it was written. Events reach the outbox at the unit of work's commit,
all of a transaction's in one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contracts.customer import (
    CustomerCreated,
    CustomerDeactivated,
    CustomerDeleted,
    CustomerReactivated,
    CustomerState,
    CustomerUpdated,
)
from contracts.envelope import EventPayload
from customer.adapters import history_repository
from customer.domain.customer import Customer, as_json
from customer.domain.history import FieldChange, field_changes
from servicekit.unit_of_work import UnitOfWork

CustomerEvent = (
    type[CustomerCreated]
    | type[CustomerUpdated]
    | type[CustomerDeactivated]
    | type[CustomerReactivated]
    | type[CustomerDeleted]
)


def to_state(customer: Customer) -> CustomerState:
    """The customer as events carry it: its full state, but never the personal identity number."""
    return _state(as_json(customer))


def _state(customer_json: dict[str, Any]) -> CustomerState:
    return CustomerState.model_validate(
        {name: value for name, value in customer_json.items() if name != "personal_identity_number"}
    )


async def record_change(
    uow: UnitOfWork,
    before: Customer | None,
    after: Customer,
    event_type: CustomerEvent,
    extra_history: list[FieldChange] | None = None,
) -> None:
    """Write the history lines of the change from `before` to `after`, and record its event with the
    full state of `after`. The unit of work's actor is the author (an office user, or a portal user whose
    change the portal carries out). An update's `changed_fields` are the fields its history lines name."""
    await history_repository.write(
        uow.session, _history_and_event(uow, before, after, event_type, extra_history)
    )


async def record_changes(
    uow: UnitOfWork, changes: Sequence[tuple[Customer | None, Customer, CustomerEvent]]
) -> None:
    """`record_change` for many changes (before, after, event type): their history in one statement."""
    lines: list[dict[str, Any]] = []
    for before, after, event_type in changes:
        lines += _history_and_event(uow, before, after, event_type, None)
    await history_repository.write(uow.session, lines)


def _history_and_event(
    uow: UnitOfWork,
    before: Customer | None,
    after: Customer,
    event_type: CustomerEvent,
    extra_history: list[FieldChange] | None,
) -> list[dict[str, Any]]:
    """Record the change's event in the unit of work; return its history rows to write."""
    after_json = as_json(after)
    changes = field_changes(as_json(before) if before else None, after_json) + (extra_history or [])
    state = _state(after_json)
    if issubclass(event_type, CustomerUpdated):
        # History names a map's key or an address (`custom_fields.tier`); the event names the field.
        changed_fields = sorted({change.field.split(".", 1)[0] for change in changes})
        event: EventPayload = CustomerUpdated(customer=state, changed_fields=changed_fields)
    else:
        event = event_type(customer=state)
    uow.record(event, office_id=after.office_id, aggregate_id=after.id, aggregate_version=after.version)
    return history_repository.lines(
        customer_id=after.id,
        office_id=after.office_id,
        version=after.version,
        changed_at=after.updated_at,
        changed_by=uow.actor.id,
        changed_by_name=uow.actor.name,
        changes=changes,
    )
