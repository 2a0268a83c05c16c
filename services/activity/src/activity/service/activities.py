"""Activity use cases: log, edit, delete. Each changes state and records its event in the unit of work it
is given open; the caller (`servicekit.transactions`) commits.

The customer and the contacts an activity names are checked against this service's copies of them
(`servicekit.local_copies`), read once from their owner when the event has not arrived yet: the customer
must be one the caller's office sees (its own or a global one; an inactive one still takes activities),
and each contact must be a contact of that customer in the caller's office.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from activity.adapters import repository
from activity.adapters.repository import StoredActivity
from activity.domain import activity as rules
from activity.domain.activity import Author
from activity.domain.commands import DeleteActivity, LogActivity, UpdateActivity
from activity.service.recording import record_event, to_state
from contracts.activity import ActivityCreated, ActivityDeleted, ActivityUpdated
from domainkit import InvalidField, NotFound, sent_fields
from servicekit.auth import OfficeUser
from servicekit.etag import check_version
from servicekit.local_copies import LocalCopies
from servicekit.unit_of_work import UnitOfWork


def _now() -> datetime:
    return datetime.now(UTC)


async def log_activity(
    uow: UnitOfWork, user: OfficeUser, copies: LocalCopies, command: LogActivity
) -> StoredActivity:
    details = sent_fields(command.details)
    if "subject" not in details:
        raise InvalidField("subject", "is required")
    customer = await copies.customer(uow.session, command.customer_id, user.office_id)
    if customer is None:
        raise InvalidField("customer_id", f"there is no customer {command.customer_id} in your office")
    await _check_contacts(uow, user, copies, details.get("contact_ids", ()), command.customer_id)
    activity = rules.new_activity(
        office_id=user.office_id,
        customer_id=command.customer_id,
        kind=command.kind,
        author=Author(user.subject, user.name),
        now=_now(),
        **details,
    )
    await repository.add(uow.session, activity)
    record_event(uow, ActivityCreated(activity=to_state(activity)), activity)
    return StoredActivity(activity, customer_active=customer.active)


async def _check_contacts(
    uow: UnitOfWork,
    user: OfficeUser,
    copies: LocalCopies,
    contact_ids: Iterable[uuid.UUID],
    customer_id: uuid.UUID,
) -> None:
    for contact_id in contact_ids:
        contact = await copies.contact(uow.session, contact_id, user.office_id)
        if contact is None or contact.customer_id != customer_id:
            raise InvalidField(
                "contact_ids", f"{contact_id} is not a contact of customer {customer_id} in your office"
            )


async def _load_for_change(uow: UnitOfWork, user: OfficeUser, activity_id: uuid.UUID) -> StoredActivity:
    """The activity, locked for this transaction, if the user may change it: 404 when their office
    cannot see it, 403 when they are neither its author nor an office admin."""
    stored = await repository.get(uow.session, activity_id, user.office_id, for_update=True)
    if stored is None:
        raise NotFound(f"No activity {activity_id} in your office.")
    rules.check_may_change(stored.activity, user_id=user.subject, is_admin=user.is_admin)
    return stored


async def update_activity(
    uow: UnitOfWork, user: OfficeUser, copies: LocalCopies, command: UpdateActivity
) -> StoredActivity:
    stored = await _load_for_change(uow, user, command.activity_id)
    activity = stored.activity
    check_version(activity.version, command.expected_version)
    changes = sent_fields(command.details)
    if "contact_ids" in changes:
        # Contacts already named were checked when they were added (and leave when deleted).
        added = [c for c in changes["contact_ids"] if c not in activity.contact_ids]
        await _check_contacts(uow, user, copies, added, activity.customer_id)
    updated, changed = rules.apply_changes(activity, changes, changed_by=user.subject, now=_now())
    if not changed:
        return stored
    await repository.save(uow.session, activity, updated)
    record_event(uow, ActivityUpdated(activity=to_state(updated), changed_fields=changed), updated)
    return StoredActivity(updated, stored.customer_active)


async def delete_activity(uow: UnitOfWork, user: OfficeUser, command: DeleteActivity) -> None:
    activity = (await _load_for_change(uow, user, command.activity_id)).activity
    check_version(activity.version, command.expected_version)
    last_state = rules.mark_deleted(activity, changed_by=user.subject, now=_now())
    await repository.remove(uow.session, [activity.id])
    record_event(uow, ActivityDeleted(activity=to_state(last_state)), last_state)
