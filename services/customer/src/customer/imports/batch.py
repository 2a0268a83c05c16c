"""The customer import's batch path: a whole batch of rows looked up and written in a few statements, under
the same rules as the per-row path (`customer.imports.rows`), which stays for the rows this path leaves.

Rule: a row is decided here only when the outcome is certain before anything is written, and then it is
the outcome the per-row path would reach. Every row it cannot decide that way is handed back, and the
per-row path applies it in its own savepoint, with its own messages:

- a new customer is created here, with the same domain functions, checks (`checked_values`, through
  `BatchLookups`: answers read once per batch), history lines and `customer.created` event as
  `create_customer`; its number is claimed, or drawn from the same sequence, for all such rows at once;
- a row naming an existing customer that it would not change is "unchanged" here (nothing written);
- handed back: a row any rule refuses (so the report says exactly what the per-row path says), an
  update, a renumber, a global customer, a row deactivating a new customer, an address naming a contact,
  a row sharing a customer, a number, an external id or an organisation number with another row of the
  batch (their order matters), and a row whose number is taken or whose organisation number is held.

Locks are those of the per-row path, taken for the whole batch in sorted order: the external ids named
(before the customers are looked up), the customers found (`FOR UPDATE`), the organisation numbers
checked, the customer numbers claimed or drawn, the categories and custom-field definitions read.
"""

from __future__ import annotations

import uuid
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from contracts.customer import CustomerCreated
from customer.adapters import (
    batch_repository,
    category_repository,
    custom_field_repository,
    repository,
    settings_repository,
)
from customer.domain import customer as rules
from customer.domain.commands import CustomerDetails
from customer.domain.custom_fields import FieldDefinition
from customer.domain.customer import Customer
from customer.domain.numbering import format_number, sequence_scope
from customer.domain.settings import OfficeSettings, check_customer_number
from customer.service.checks import checked_values, organisation_number_lock
from customer.service.customers import address_set
from customer.service.recording import record_changes
from domainkit import NOT_SENT, DomainError
from servicekit.auth import OfficeUser
from servicekit.imports.jobs import Outcome
from servicekit.unit_of_work import UnitOfWork

_MAX_NUMBER_DRAWS = 1000  # as `create_customer`: a batch gives up drawing after this many taken numbers


@dataclass
class ReadRow:
    """A row whose cells were read without a refusal."""

    number: int
    details: CustomerDetails
    active: bool | None


@dataclass
class _Decision:
    row: ReadRow
    keys: set[tuple[Any, ...]]
    new: Customer | None = None
    unchanged: bool = False
    compacts: list[tuple[str, uuid.UUID]] = field(default_factory=list)

    @property
    def decided(self) -> bool:
        return self.new is not None or self.unchanged


class BatchLookups:
    """`service.checks.Lookups` answered from reads made once per batch. Organisation numbers are only
    noted here (the holder is read for all of the batch afterwards, under their locks)."""

    def __init__(
        self,
        uow: UnitOfWork,
        holders: dict[tuple[str, str], Customer | None],
        category_ids: set[uuid.UUID],
    ) -> None:
        self.uow = uow
        self.holders = holders
        self.category_ids = category_ids
        self.noted: list[tuple[str, uuid.UUID]] = []
        self._inactive: set[uuid.UUID] | None = None
        self._definitions: dict[str, FieldDefinition] | None = None

    async def organisation_number_holder(
        self, office_id: str, compact: str, other_than: uuid.UUID
    ) -> Customer | None:
        self.noted.append((compact, other_than))
        return None

    async def unknown_or_inactive_categories(
        self, office_id: str, category_ids: Sequence[uuid.UUID]
    ) -> list[uuid.UUID]:
        if not category_ids:
            return []
        if not set(category_ids) <= self.category_ids:  # not named by the batch's rows: asked as today
            return await category_repository.unknown_or_inactive(self.uow.session, office_id, category_ids)
        if self._inactive is None:  # every category the batch names, read (and share-locked) once
            named = sorted(self.category_ids)
            self._inactive = set(
                await category_repository.unknown_or_inactive(self.uow.session, office_id, named)
            )
        return [c for c in category_ids if c in self._inactive]

    async def custom_field_definitions(self, office_id: str) -> dict[str, FieldDefinition]:
        if self._definitions is None:
            self._definitions = await custom_field_repository.definitions(self.uow.session, office_id)
        return self._definitions

    async def external_id_holder(self, office_id: str, system: str, value: str) -> Customer | None:
        if (system, value) in self.holders:
            return self.holders[(system, value)]
        return await repository.get_by_external_id(self.uow.session, office_id, system, value)


async def apply_batch(
    uow: UnitOfWork, user: OfficeUser, rows: Sequence[ReadRow], *, dry_run: bool
) -> tuple[dict[int, Outcome], list[ReadRow]]:
    """The outcomes of the rows decided and written here (by row number), and the rows left to the
    per-row path, in file order."""
    if not rows:
        return {}, []
    session, office_id = uow.session, user.office_id
    settings = await settings_repository.get(session, office_id)
    numbers = {r.details.customer_number for r in rows if isinstance(r.details.customer_number, str)}
    pairs = {pair for r in rows for pair in _external_ids(r.details)}
    await batch_repository.hold_locks(session, (repository.external_id_lock(office_id, *p) for p in pairs))
    by_number = await batch_repository.ids_by_numbers(session, office_id, numbers)
    by_pair = await batch_repository.ids_by_external_ids(session, office_id, pairs)
    found = await batch_repository.get_many(
        session, [*by_number.values(), *by_pair.values()], office_id, for_update=True
    )
    lookups = BatchLookups(
        uow,
        {pair: found.get(by_pair[pair]) if pair in by_pair else None for pair in pairs},
        {c for r in rows if r.details.category_ids is not NOT_SENT for c in r.details.category_ids},
    )
    now = datetime.now(UTC)
    decisions = []
    for row in rows:
        existing = _existing(row.details, by_number, by_pair, found)
        decisions.append(await _decide(uow, user, settings, row, existing, lookups, now))
    _leave_shared(decisions)
    await _leave_held_organisation_numbers(uow, office_id, decisions)
    await _number_new_customers(uow, settings, decisions, dry_run=dry_run)
    created = [d for d in decisions if d.new is not None]
    if created and not await _write(uow, [d.new for d in created if d.new is not None]):
        for decision in created:
            decision.new = None
    outcomes: dict[int, Outcome] = {}
    for decision in decisions:
        if decision.new is not None:
            outcomes[decision.row.number] = "created"
        elif decision.unchanged:
            outcomes[decision.row.number] = "unchanged"
    return outcomes, [d.row for d in decisions if not d.decided]


def _external_ids(details: CustomerDetails) -> list[tuple[str, str]]:
    if details.external_ids is NOT_SENT:
        return []
    return sorted((system, value) for system, value in details.external_ids.items() if value is not None)


def _existing(
    details: CustomerDetails,
    by_number: dict[str, uuid.UUID],
    by_pair: dict[tuple[str, str], uuid.UUID],
    found: dict[uuid.UUID, Customer],
) -> Customer | None:
    """As the per-row path's `_existing`: by number, else by the first known of its external ids."""
    if isinstance(details.customer_number, str) and details.customer_number in by_number:
        customer = found.get(by_number[details.customer_number])
        if customer is not None:
            return customer
    for pair in _external_ids(details):
        if pair in by_pair and by_pair[pair] in found:
            return found[by_pair[pair]]
    return None


async def _decide(
    uow: UnitOfWork,
    user: OfficeUser,
    settings: OfficeSettings,
    row: ReadRow,
    existing: Customer | None,
    lookups: BatchLookups,
    now: datetime,
) -> _Decision:
    details = row.details
    keys: set[tuple[Any, ...]] = {("external_id", *pair) for pair in _external_ids(details)}
    if isinstance(details.customer_number, str):
        keys.add(("number", details.customer_number))
    if existing is not None:
        keys.add(("customer", existing.id))
    decision = _Decision(row, keys)
    lookups.noted = []
    try:
        if existing is None:
            decision.new = await _new_customer(uow, user, settings, row, lookups, now)
        else:
            decision.unchanged = await _unchanged(uow, user, settings, row, existing, lookups, now)
    except DomainError:
        decision.new, decision.unchanged = None, False  # refused: the per-row path says why
    decision.compacts = lookups.noted
    keys.update(("organisation_number", compact) for compact, _ in lookups.noted)
    return decision


async def _new_customer(
    uow: UnitOfWork,
    user: OfficeUser,
    settings: OfficeSettings,
    row: ReadRow,
    lookups: BatchLookups,
    now: datetime,
) -> Customer | None:
    """`create_customer`'s customer without its number (given or drawn later), or None when the row is
    one for the per-row path."""
    details = row.details
    # First, so that the row's organisation number is noted even when the row is left to the per-row path.
    values = await checked_values(uow, settings, None, details, lookups)
    if details.name is NOT_SENT or details.is_global is True or row.active is False:
        return None
    if details.addresses is not NOT_SENT and any(
        a.contact_id not in (None, NOT_SENT) for a in details.addresses
    ):
        return None  # the contact copies are asked per row
    if isinstance(details.customer_number, str):
        check_customer_number(details.customer_number, settings)
    elif settings.customer_numbering == "manual":
        return None
    customer = rules.new_customer(
        office_id=settings.office_id, customer_number=None, created_by=user.subject, now=now, **values
    )
    if details.addresses is not NOT_SENT:
        customer = replace(customer, addresses=address_set(details.addresses, ()))
    return customer


async def _unchanged(
    uow: UnitOfWork,
    user: OfficeUser,
    settings: OfficeSettings,
    row: ReadRow,
    existing: Customer,
    lookups: BatchLookups,
    now: datetime,
) -> bool:
    """Whether `bring_to` (and the row's active flag) would leave the customer as it is."""
    details = row.details
    number, is_global = details.customer_number, details.is_global
    # First, so that the row's organisation number is noted even when the row is left to the per-row path.
    values = await checked_values(uow, settings, existing, details, lookups)
    if existing.office_id != settings.office_id:
        return False  # another office's global customer: its own office's settings apply
    if number is not NOT_SENT and number != existing.customer_number:
        return False
    if is_global is not NOT_SENT and is_global != existing.is_global:
        return False
    if isinstance(number, str):
        values["customer_number"] = number
    if details.addresses is not NOT_SENT:
        values["addresses"] = address_set(details.addresses, existing.addresses)
    _, changed = rules.apply_changes(
        existing, values, changed_by=user.subject, now=now, allowed=rules.CHANGEABLE_FIELDS
    )
    return not changed and (row.active is None or row.active == existing.active)


def _leave_shared(decisions: list[_Decision]) -> None:
    """Rows sharing a customer, a number, an external id or an organisation number with another row of
    the batch go to the per-row path, all of them, in file order (each sees what the one before did)."""
    counts = Counter(key for decision in decisions for key in decision.keys)
    for decision in decisions:
        if any(counts[key] > 1 for key in decision.keys):
            decision.new, decision.unchanged = None, False


async def _leave_held_organisation_numbers(
    uow: UnitOfWork, office_id: str, decisions: list[_Decision]
) -> None:
    """The organisation numbers the decided rows brought, locked and read once; a row whose number
    another customer holds goes to the per-row path (which refuses it)."""
    asking = [d for d in decisions if d.decided and d.compacts]
    if not asking:
        return
    compacts = {compact for d in asking for compact, _ in d.compacts}
    await batch_repository.hold_locks(uow.session, (organisation_number_lock(office_id, c) for c in compacts))
    holders = await batch_repository.organisation_number_holders(uow.session, office_id, compacts)
    for decision in asking:
        if any(holders.get(compact, set()) - {own} for compact, own in decision.compacts):
            decision.new, decision.unchanged = None, False


async def _number_new_customers(
    uow: UnitOfWork, settings: OfficeSettings, decisions: list[_Decision], *, dry_run: bool
) -> None:
    """Give each new customer its number, in file order as the per-row path would: the number its row
    gives (claimed for all such rows in one statement), or the next drawn from the office's sequence (in
    one statement for all; a dry run draws none, as `create_customer(draw_number=False)`). A row whose
    number is taken, by another customer or by an earlier row of the batch, or for which no number is
    left, goes to the per-row path (which refuses it)."""
    new = [d for d in decisions if d.new is not None]
    given = {number for d in new if (number := _given(d)) is not None}
    free = await batch_repository.free_numbers(uow.session, settings.office_id, given)
    drawn = _Drawn(uow, settings)
    waiting = sum(1 for d in new if _given(d) is None)
    used: set[str] = set()
    for decision in new:
        number = _given(decision)
        if number is None:
            waiting -= 1
            if dry_run:
                continue
            number = await drawn.next(used, waiting + 1)
        elif number not in free:
            number = None
        if number is None or number in used:
            decision.new = None
            continue
        used.add(number)
        decision.new = replace(_new(decision), customer_number=number)


class _Drawn:
    """Numbers drawn from the office's sequence as `create_customer` draws them (formatted, skipping
    taken ones, giving up past the maximum length or after as many draws), many per statement."""

    def __init__(self, uow: UnitOfWork, settings: OfficeSettings) -> None:
        self.uow, self.settings = uow, settings
        self.ready: deque[str] = deque()
        self.draws = 0
        self.used_up = False

    async def next(self, used: set[str], wanted: int) -> str | None:
        """The next free number not in `used`; `wanted` is how many the batch still needs."""
        while True:
            while self.ready:
                number = self.ready.popleft()
                if number not in used:
                    return number
            if self.used_up or self.draws >= _MAX_NUMBER_DRAWS:
                return None
            await self._draw(wanted)

    async def _draw(self, count: int) -> None:
        session, settings = self.uow.session, self.settings
        scope = sequence_scope(settings.office_id, is_global=False)
        values = await batch_repository.next_numbers(session, scope, count)
        self.draws += len(values)
        numbers = [format_number(v, settings.customer_number_min_length) for v in values]
        fitting = [n for n in numbers if len(n) <= settings.customer_number_max_length]
        self.used_up = len(fitting) < len(numbers)
        free = await batch_repository.free_numbers(session, settings.office_id, fitting)
        self.ready.extend(n for n in fitting if n in free)


def _given(decision: _Decision) -> str | None:
    number = decision.row.details.customer_number
    return number if isinstance(number, str) else None


def _new(decision: _Decision) -> Customer:
    assert decision.new is not None
    return decision.new


async def _write(uow: UnitOfWork, created: list[Customer]) -> bool:
    """Insert the new customers with their history and events, in a savepoint: a unique violation (a
    check this path missed) undoes only this, and the rows go to the per-row path."""
    try:
        async with uow.step():
            await batch_repository.add_many(uow.session, created)
            await record_changes(uow, [(None, customer, CustomerCreated) for customer in created])
    except IntegrityError:
        return False
    return True
