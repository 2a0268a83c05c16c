"""The customer import's row applier: each row upserted by customer number or external id under the same
rules as the API; a refused row leaves the rest of its batch applied.

Every row is read first. The batch path (`customer.imports.batch`) then creates the new customers and
recognises the unchanged rows of the whole batch in a few statements; the rows it leaves (updates,
refusals, rows whose order matters) are applied here one by one, each in its own savepoint.

A row is read into the body the back-office sync takes (`CustomerSync`: every schema rule), then created
or brought to its values by the same use cases (every domain rule, its history and one event per changed
customer through the outbox). A row that changes nothing writes nothing: no version, no event. Rows with
neither a customer number nor an external id create a new customer each time they are imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import ValidationError

from contracts.customer import CustomerDeactivated, CustomerReactivated
from customer.adapters import import_lookup, repository
from customer.api.schemas import CustomerSync
from customer.domain import customer as rules
from customer.domain.commands import CreateCustomer, CustomerDetails
from customer.domain.customer import Customer
from customer.imports import columns
from customer.imports.batch import ReadRow, apply_batch
from customer.service import customers as use_cases
from customer.service.recording import record_change
from domainkit import NOT_SENT, DomainError, InvalidField
from servicekit.auth import OfficeUser, Permission
from servicekit.imports.jobs import ImportJob, Outcome, RowFailure, RowResult
from servicekit.imports.reading import SourceRow
from servicekit.local_copies import LocalCopies
from servicekit.unit_of_work import UnitOfWork


class _Refused(Exception):
    def __init__(self, failures: list[RowFailure]) -> None:
        super().__init__(failures)
        self.failures = failures


class CustomerRows:
    """The `customers` kind of import (`servicekit.imports.worker.RowApplier`)."""

    def __init__(self, copies: LocalCopies) -> None:
        self.copies = copies

    def header_problems(self, header: Sequence[str]) -> list[tuple[str | None, str]]:
        return columns.header_problems(header)

    async def apply(self, uow: UnitOfWork, job: ImportJob, rows: Sequence[SourceRow]) -> list[RowResult]:
        user = job.user
        if not (user.can(Permission.CREATE) and user.can(Permission.EDIT)):
            refusal = [RowFailure(None, "your role does not allow creating and editing customers")]
            return [RowResult(row.number, "failed", refusal) for row in rows]
        category_ids = await import_lookup.category_ids_by_name(uow.session, user.office_id)
        results: dict[int, RowResult] = {}
        readable: list[ReadRow] = []
        for row in rows:
            try:
                details, active = _read(row, category_ids)
            except _Refused as refused:
                results[row.number] = RowResult(row.number, "failed", refused.failures)
            else:
                readable.append(ReadRow(row.number, details, active))
        decided, left = await apply_batch(uow, user, readable, dry_run=job.dry_run)
        for number, outcome in decided.items():
            results[number] = RowResult(number, outcome)
        for read in left:
            results[read.number] = await self._apply_one(uow, user, read, dry_run=job.dry_run)
        return [results[row.number] for row in rows]

    async def _apply_one(
        self, uow: UnitOfWork, user: OfficeUser, read: ReadRow, *, dry_run: bool
    ) -> RowResult:
        """The per-row path: the row in a savepoint of its own, through the API's use cases."""
        try:
            async with uow.step():
                outcome = await self._upsert(uow, user, read.details, read.active, dry_run=dry_run)
        except DomainError as exc:
            return RowResult(read.number, "failed", _failures_of(exc))
        return RowResult(read.number, outcome)

    async def _upsert(
        self,
        uow: UnitOfWork,
        user: OfficeUser,
        details: CustomerDetails,
        active: bool | None,
        *,
        dry_run: bool,
    ) -> Outcome:
        existing = await _existing(uow, user, details)
        if existing is None:
            customer = await use_cases.create_customer(
                uow, user, CreateCustomer(details), self.copies, draw_number=not dry_run
            )
            if active is False:
                await _set_active(uow, user, customer, active)
            return "created"
        customer = await use_cases.bring_to(uow, user, existing, details, self.copies)
        changed = customer.version != existing.version
        if active is not None and active != customer.active:
            await _set_active(uow, user, customer, active)
            changed = True
        return "updated" if changed else "unchanged"


def _read(row: SourceRow, category_ids: dict[str, str]) -> tuple[CustomerDetails, bool | None]:
    """The row's details, or `_Refused` with every reason found in its cells."""
    body, problems = columns.request_body(row.cells, category_ids)
    failures = [RowFailure(column, reason) for column, reason in problems]
    active, active_problem = columns.active_flag(row.cells)
    if active_problem:
        failures.append(RowFailure("active", active_problem))
    try:
        details = CustomerSync.model_validate(body).details()
    except ValidationError as exc:
        failures.extend(_schema_failures(exc))
        details = CustomerDetails()
    if failures:
        raise _Refused(failures)
    return details, active


def _schema_failures(exc: ValidationError) -> list[RowFailure]:
    failures = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        failures.append(RowFailure(columns.column_of(field), _message(error)))
    return failures


def _message(error: object) -> str:
    message = str(error["msg"]) if isinstance(error, dict) else str(error)
    if isinstance(error, dict) and error.get("type") == "missing":
        return "is required"
    return message


def _failures_of(exc: DomainError) -> list[RowFailure]:
    if isinstance(exc, InvalidField):
        return [RowFailure(columns.column_of(exc.field), exc.message)]
    if exc.errors:
        return [RowFailure(columns.column_of(e["field"]), f"{exc.detail}") for e in exc.errors[:1]]
    return [RowFailure(None, exc.detail)]


async def _existing(uow: UnitOfWork, user: OfficeUser, details: CustomerDetails) -> Customer | None:
    """The customer the row names, by its number, else by the first of its external ids that is known;
    locked for the rest of the transaction."""
    if isinstance(details.customer_number, str):
        customer_id = await import_lookup.id_by_number(uow.session, user.office_id, details.customer_number)
        if customer_id is not None:
            return await repository.get(uow.session, customer_id, user.office_id, for_update=True)
    if details.external_ids is not NOT_SENT:
        for system, value in sorted(details.external_ids.items()):
            if value is None:
                continue
            # As the back-office sync does: two imports of one id take turns instead of making twins.
            await repository.lock_external_id(uow.session, user.office_id, system, value)
            found = await repository.get_by_external_id(
                uow.session, user.office_id, system, value, for_update=True
            )
            if found is not None:
                return found
    return None


async def _set_active(uow: UnitOfWork, user: OfficeUser, customer: Customer, active: bool) -> None:
    transition, event = (
        (rules.reactivate, CustomerReactivated) if active else (rules.deactivate, CustomerDeactivated)
    )
    updated = transition(customer, changed_by=user.subject, now=datetime.now(UTC))
    await repository.save(uow.session, customer, updated)
    await record_change(uow, customer, updated, event)
