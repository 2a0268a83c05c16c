"""What the activity log does when a customer or a contact it names goes away (SPEC §5, issue 9).

A deleted customer takes its activities with it, in every office (a global customer's activities are
logged by several), each with its own `activity.deleted`. A deleted contact leaves the `contact_ids` of
the activities that named it, which stay, each with an `activity.updated`.

Both run from the kit's copy handlers (`servicekit.local_copies.copy_handlers(..., on_change=...)`),
which call them only when an event changed the copy: a duplicated `customer.deleted`, or an older
`customer.updated` arriving after it, finds the copy already a tombstone and calls nothing, so each
activity is deleted, and its event recorded, exactly once. The events name the deletion that caused them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from activity.adapters import repository
from activity.domain import activity as rules
from activity.service.recording import record_event, to_state
from contracts.activity import ActivityDeleted, ActivityUpdated
from servicekit.local_copies import CopyChange
from servicekit.unit_of_work import UnitOfWork


async def customer_changed(change: CopyChange[Any], uow: UnitOfWork) -> None:
    """A deleted customer's activities are deleted."""
    if not change.deleted:
        return
    doomed = await repository.of_customer_for_update(uow.session, change.state.id)
    if not doomed:
        return
    now = datetime.now(UTC)
    for activity in doomed:
        last_state = rules.mark_deleted(activity, changed_by=uow.actor.id, now=now)
        record_event(uow, ActivityDeleted(activity=to_state(last_state)), last_state, caused_by=change.event)
    await repository.remove(uow.session, [activity.id for activity in doomed])


async def contact_changed(change: CopyChange[Any], uow: UnitOfWork) -> None:
    """A deleted contact leaves the activities that named it."""
    if not change.deleted:
        return
    contact_id = change.state.id
    now = datetime.now(UTC)
    for activity in await repository.naming_contact_for_update(uow.session, contact_id):
        updated, changed = rules.without_contact(activity, contact_id, changed_by=uow.actor.id, now=now)
        if changed:
            await repository.save(uow.session, activity, updated)
            event = ActivityUpdated(activity=to_state(updated), changed_fields=changed)
            record_event(uow, event, updated, caused_by=change.event)
