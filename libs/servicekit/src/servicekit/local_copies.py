"""The copies a service keeps of other services' customers and contacts (SPEC §1), written once here.

Rule: a consuming service registers ``copy_handlers(CUSTOMERS, ...)`` (and ``CONTACTS``) for the owner's
events, and its use cases look a customer or contact up with ``LocalCopies.customer(...)`` /
``.contact(...)``. The handlers store each event's state with ``store_if_newer`` keyed on
``aggregate_version``, so a stale, duplicated or reordered event never overwrites a newer state, and a
deletion stays as a tombstone that no older event brings back. A lookup that misses (the owner's event has
not arrived yet) reads the aggregate once from the owner's internal endpoint with a service token and
stores it the same way, so a contact created a moment after its customer works.

Reason: every consumer of customers needs exactly this, and a second copy of it would drift. A service
reacts to a change of a copy (the contact service deleting a deleted customer's contacts) with the
``on_change`` callback of ``copy_handlers``; it is called only when an event changed the copy, so it
runs once per aggregate version however often the event is delivered.

The handlers are one batch handler (``CopyKeeper``): a consumed batch is stored with one statement, in
which each aggregate's newest event of the batch stands for its older ones (they would be overwritten at
once), and ``on_change`` sees that newest event.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel
from sqlalchemy import Row, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts import EventEnvelope
from contracts.contact import ContactState
from contracts.customer import CustomerState
from contracts.routing import EVENT_TYPES
from servicekit.auth import issue_service_token
from servicekit.copies import store_all_if_newer, store_if_newer
from servicekit.copy_tables import contact_copies, customer_copies
from servicekit.handlers import ALL_APPLIED, BatchOutcome, Handler
from servicekit.problems import ServiceUnavailable
from servicekit.settings import ServiceSettings
from servicekit.unit_of_work import UnitOfWork

StateT = TypeVar("StateT", bound=BaseModel)


@dataclass(frozen=True)
class CopiedAggregate(Generic[StateT]):
    """One kind of aggregate that services copy: where its copies live and where its owner reads it."""

    kind: str
    """The event prefix and payload field: `customer` for `customer.*` events carrying `customer`."""
    owner: str
    """The owning service, whose `/internal/v1/{kind}s/{id}` answers a miss."""
    table: Table
    state: type[StateT]
    columns: Callable[[StateT], dict[str, Any]]
    """The copied columns of a state (without `deleted` and `version`)."""

    @property
    def event_types(self) -> tuple[str, ...]:
        return tuple(t for t in EVENT_TYPES if t.startswith(f"{self.kind}."))

    def row(self, state: StateT, *, version: int, deleted: bool) -> dict[str, Any]:
        return {**self.columns(state), "deleted": deleted, "version": version}


def _customer_columns(customer: CustomerState) -> dict[str, Any]:
    return {
        "id": customer.id,
        "office_id": customer.office_id,
        "name": customer.name,
        "customer_number": customer.customer_number,
        "country": customer.country,
        "active": customer.active,
        "global": customer.global_,
    }


def _contact_columns(contact: ContactState) -> dict[str, Any]:
    return {
        "id": contact.id,
        "office_id": contact.office_id,
        "customer_id": contact.customer_id,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "main": contact.main,
        "active": contact.active,
    }


CUSTOMERS = CopiedAggregate("customer", "customer", customer_copies, CustomerState, _customer_columns)
CONTACTS = CopiedAggregate("contact", "contact", contact_copies, ContactState, _contact_columns)


@dataclass(frozen=True)
class CopyChange(Generic[StateT]):
    """An event that changed a copy: the new state, and whether it was a deletion."""

    event: EventEnvelope[Any]
    state: StateT
    deleted: bool


OnChange = Callable[[CopyChange[Any], UnitOfWork], Awaitable[None]]


async def store_state(
    session: AsyncConnection, copied: CopiedAggregate[StateT], state: StateT, *, version: int, deleted: bool
) -> bool:
    """Store this version of the aggregate unless the copy already holds it or a newer one."""
    row = copied.row(state, version=version, deleted=deleted)
    return await store_if_newer(session, copied.table, row, key="id", version="version")


class CopyKeeper:
    """The batch handler of a copied aggregate's events (see ``servicekit.handlers``): one statement
    stores a whole batch, so a consumer of customers pays a round trip per batch, not per event."""

    def __init__(self, copied: CopiedAggregate[Any], on_change: OnChange | None) -> None:
        self.copied = copied
        self.on_change = on_change

    async def apply_batch(self, events: Sequence[EventEnvelope[Any]], uow: UnitOfWork) -> BatchOutcome:
        # Only each aggregate's newest event of the batch can change the copy (one statement cannot
        # write a row twice, and the older versions would be overwritten at once anyway).
        newest: dict[uuid.UUID, EventEnvelope[Any]] = {}
        for event in events:
            held = newest.get(event.aggregate_id)
            if held is None or event.aggregate_version > held.aggregate_version:
                newest[event.aggregate_id] = event
        changes = [
            CopyChange(event, getattr(event.payload, self.copied.kind), event.type.endswith(".deleted"))
            for event in newest.values()
        ]
        rows = [
            self.copied.row(change.state, version=change.event.aggregate_version, deleted=change.deleted)
            for change in changes
        ]
        stored = await store_all_if_newer(uow.session, self.copied.table, rows, key="id", version="version")
        if self.on_change is not None:
            for change in changes:
                if change.event.aggregate_id in stored:
                    uow.handling(change.event)
                    await self.on_change(change, uow)
        return ALL_APPLIED


def copy_handlers(copied: CopiedAggregate[Any], *, on_change: OnChange | None = None) -> dict[str, Handler]:
    """The handler of every event type of the copied aggregate: it keeps the copy, then calls
    `on_change` for each event that changed it (never for a stale or already-applied version)."""
    return dict.fromkeys(copied.event_types, CopyKeeper(copied, on_change))


class LocalCopies:
    """Looks customers and contacts up in the local copies, reading a missing one once from its owner.

    One per running service (`ServiceRuntime.copies`); it holds the HTTP connections to the owners.
    """

    def __init__(self, settings: ServiceSettings, client: httpx.AsyncClient | None = None) -> None:
        self._settings = settings
        self._owners = {"customer": settings.customer_service_url, "contact": settings.contact_service_url}
        self._client = client or httpx.AsyncClient(timeout=settings.owner_read_timeout_s)
        self._token: tuple[str, float] | None = None

    async def close(self) -> None:
        await self._client.aclose()

    async def customer(
        self, session: AsyncConnection, customer_id: uuid.UUID, office_id: str
    ) -> Row[Any] | None:
        """The customer's copy if the office may see it (its own, or a global one) and it is not
        deleted; None otherwise. Locks the copy's row against a concurrent deletion (FOR SHARE), so a
        contact or activity is never added beside a cascade that deletes its customer's others."""
        row = await self.find(session, CUSTOMERS, customer_id)
        if row is None or row.deleted or not (row.office_id == office_id or row.global_):
            return None
        return row

    async def contact(
        self, session: AsyncConnection, contact_id: uuid.UUID, office_id: str
    ) -> Row[Any] | None:
        """The contact's copy if it is of this office and not deleted; None otherwise."""
        row = await self.find(session, CONTACTS, contact_id)
        if row is None or row.deleted or row.office_id != office_id:
            return None
        return row

    async def find(
        self, session: AsyncConnection, copied: CopiedAggregate[Any], aggregate_id: uuid.UUID
    ) -> Row[Any] | None:
        """The copy's row (tombstones included), read once from the owner when it is missing."""
        row = await self._stored(session, copied, aggregate_id)
        if row is not None:
            return row
        state = await self._read_from_owner(copied, aggregate_id)
        if state is None:
            return None
        await store_state(session, copied, state, version=state.version, deleted=False)
        return await self._stored(session, copied, aggregate_id)

    async def _stored(
        self, session: AsyncConnection, copied: CopiedAggregate[Any], aggregate_id: uuid.UUID
    ) -> Row[Any] | None:
        table = copied.table
        columns = [column.label("global_") if column.name == "global" else column for column in table.c]
        statement = select(*columns).where(table.c.id == aggregate_id).with_for_update(read=True)
        return (await session.execute(statement)).first()

    async def _read_from_owner(
        self, copied: CopiedAggregate[StateT], aggregate_id: uuid.UUID
    ) -> StateT | None:
        url = f"{self._owners[copied.owner].rstrip('/')}/internal/v1/{copied.kind}s/{aggregate_id}"
        try:
            response = await self._client.get(
                url, headers={"Authorization": f"Bearer {self._service_token()}"}
            )
        except httpx.HTTPError as error:
            raise ServiceUnavailable(
                f"The {copied.owner} service could not be reached to look up {copied.kind} {aggregate_id}."
            ) from error
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ServiceUnavailable(
                f"The {copied.owner} service answered {response.status_code} when asked for "
                f"{copied.kind} {aggregate_id}."
            )
        return copied.state.model_validate_json(response.content)

    async def post_to_owner(
        self, owner: str, path: str, body: Any, timeout_s: float = 60.0
    ) -> httpx.Response:
        """POST `body` as JSON to an owner's internal API (`owner` is `customer` or `contact`) with this
        service's token, through the same connections as the read-through (the customer import sends
        contacts to the contact service so). 503 when the owner cannot be reached."""
        url = f"{self._owners[owner].rstrip('/')}{path}"
        try:
            return await self._client.post(
                url,
                json=body,
                headers={"Authorization": f"Bearer {self._service_token()}"},
                timeout=timeout_s,
            )
        except httpx.HTTPError as error:
            raise ServiceUnavailable(f"The {owner} service could not be reached ({path}).") from error

    def _service_token(self) -> str:
        # One token for several minutes: signing one per lookup would cost more than the lookup.
        now = time.time()
        if self._token is None or self._token[1] - now < 60:
            ttl = 600
            token = issue_service_token(self._settings, self._settings.service_name, ttl)
            self._token = (token, now + ttl)
        return self._token[0]
