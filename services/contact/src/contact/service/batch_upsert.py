"""The batch upsert behind the customer service's contact import: each contact created or brought to the
values sent, under the same schema and use cases as the public API, in its own savepoint, so a refused
contact leaves the others of its batch applied.

A contact is found by any of its external ids, else by its customer and email (normalised as stored).
One that would change nothing is left alone (no version, no event). The caller names the office user the
import acts for; its events carry that user as the actor.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from contact.adapters import import_lookup
from contact.api.schemas import ContactCreate
from contact.domain.commands import CreateContact, UpdateContact
from contact.domain.reachability import normalise_email
from contact.service import contacts as use_cases
from domainkit import DomainError, InvalidField
from servicekit.auth import OfficeUser
from servicekit.local_copies import LocalCopies
from servicekit.unit_of_work import UnitOfWork

Outcome = Literal["created", "updated", "unchanged", "failed"]


@dataclass
class ContactResult:
    row: int
    outcome: Outcome
    failures: list[dict[str, str | None]] = field(default_factory=list)


async def upsert_contacts(
    uow: UnitOfWork, user: OfficeUser, copies: LocalCopies, rows: list[tuple[int, uuid.UUID, dict[str, Any]]]
) -> list[ContactResult]:
    """Apply each (row, customer id, contact body) in the open unit of work; one result per row."""
    results = []
    for row, customer_id, body in rows:
        try:
            details = ContactCreate.model_validate({**body, "customer_id": str(customer_id)}).details()
        except ValidationError as exc:
            failures: list[dict[str, str | None]] = [
                {
                    "field": ".".join(str(p) for p in e["loc"]),
                    "reason": "is required" if e["type"] == "missing" else e["msg"],
                }
                for e in exc.errors()
            ]
            results.append(ContactResult(row, "failed", failures))
            continue
        try:
            async with uow.step():
                outcome = await _upsert(uow, user, copies, customer_id, details)
        except InvalidField as exc:
            results.append(ContactResult(row, "failed", [{"field": exc.field, "reason": exc.message}]))
        except DomainError as exc:
            name = exc.errors[0]["field"] if exc.errors else None
            results.append(ContactResult(row, "failed", [{"field": name, "reason": exc.detail}]))
        else:
            results.append(ContactResult(row, outcome))
    return results


async def _upsert(
    uow: UnitOfWork, user: OfficeUser, copies: LocalCopies, customer_id: uuid.UUID, details: Any
) -> Outcome:
    external = {k: v for k, v in (details.external_ids or {}).items() if v}
    existing = await import_lookup.by_external_ids(uow.session, user.office_id, external)
    if existing is None and details.email:
        existing = await import_lookup.by_customer_and_email(
            uow.session, user.office_id, customer_id, normalise_email(details.email)
        )
    if existing is None:
        await use_cases.create_contact(uow, user, copies, CreateContact(customer_id, details))
        return "created"
    before = await use_cases.load_for_change(uow, user, existing)
    if before.contact.customer_id != customer_id:
        raise InvalidField("customer", "this contact belongs to another customer; a contact never moves")
    after = await use_cases.update_contact(uow, user, copies, UpdateContact(existing, details, None))
    return "updated" if after.contact.version != before.contact.version else "unchanged"
