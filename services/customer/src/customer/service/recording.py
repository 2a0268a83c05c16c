"""What every change of a customer leaves behind: its history lines and its event, in the same transaction."""

from __future__ import annotations

from contracts.customer import CustomerState
from contracts.envelope import EventPayload
from customer.adapters import history_repository
from customer.domain.customer import Customer, as_json
from customer.domain.history import FieldChange, field_changes
from servicekit.auth import Principal
from servicekit.unit_of_work import UnitOfWork


def to_state(customer: Customer) -> CustomerState:
    """The customer as events carry it: its full state, but never the personal identity number."""
    state = as_json(customer)
    del state["personal_identity_number"]
    return CustomerState.model_validate(state)


def changed_field_names(before: Customer, after: Customer) -> list[str]:
    old, new = as_json(before), as_json(after)
    return sorted(
        name for name in new if old[name] != new[name] and name not in ("version", "updated_at", "updated_by")
    )


async def record_change(
    uow: UnitOfWork,
    user: Principal,
    before: Customer | None,
    after: Customer,
    event: EventPayload,
    extra_history: list[FieldChange] | None = None,
) -> None:
    """Write the history lines of the change from `before` to `after`, and record its event."""
    changes = field_changes(as_json(before) if before else None, as_json(after)) + (extra_history or [])
    await history_repository.record(
        uow.session,
        customer_id=after.id,
        office_id=after.office_id,
        version=after.version,
        changed_at=after.updated_at,
        changed_by=user.subject,
        changed_by_name=user.name,
        changes=changes,
    )
    uow.record(event, office_id=after.office_id, aggregate_id=after.id, aggregate_version=after.version)
