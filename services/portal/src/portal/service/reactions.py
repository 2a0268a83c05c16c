"""What the portal does when a customer or a contact changes in its owning service (SPEC §7):

- a contact deactivated: its customer user loses its login (password gone, `disabled`) and every session;
- a contact deleted: its customer user is removed, with its sessions;
- a customer deactivated: its portal is suspended (logins are refused with a sentence saying so; the
  check reads the customer copy, so reactivating it brings the portal back) and every session ends;
- a customer deleted: its portal access and customer users are removed.

They run as the `on_change` of the kit's copies (`servicekit.local_copies.copy_handlers`), called once per
change of a copy, so a redelivered event does it once.
"""

from __future__ import annotations

from typing import Any

from portal.adapters import repository
from portal.service.context import now
from portal.service.recording import record_access, record_user
from servicekit.local_copies import CopyChange
from servicekit.unit_of_work import UnitOfWork


async def follow_customer(change: CopyChange[Any], uow: UnitOfWork) -> None:
    customer_id = change.state.id
    if change.deleted:
        for user in await repository.users_of_customer(uow.session, customer_id):
            await repository.remove_user(uow.session, user.id)
            record_user(uow, user, removed=True, caused_by=change.event)
        access = await repository.get_access(uow.session, customer_id, for_update=True)
        if access is not None:
            await repository.remove_access(uow.session, customer_id)
            record_access(uow, access, removed=True, caused_by=change.event)
    elif not change.state.active:
        users = await repository.users_of_customer(uow.session, customer_id)
        await repository.end_sessions_of_users(uow.session, [user.id for user in users])


async def follow_contact(change: CopyChange[Any], uow: UnitOfWork) -> None:
    user = await repository.user_by(uow.session, "contact_id", change.state.id, for_update=True)
    if user is None:
        return
    if change.deleted:
        await repository.remove_user(uow.session, user.id)
        record_user(uow, user, removed=True, caused_by=change.event)
        return
    if not change.state.active and user.status != "disabled":
        await repository.end_sessions_of_users(uow.session, [user.id])
        changes = {
            "status": "disabled",
            "password_hash": None,
            "invitation_hash": None,
            "invitation_expires_at": None,
            "updated_at": now(),
            "updated_by": change.event.actor.id,
            "version": user.version + 1,
        }
        await repository.save_user(uow.session, user.id, changes)
        record_user(uow, await repository.get_user(uow.session, user.id), caused_by=change.event)
