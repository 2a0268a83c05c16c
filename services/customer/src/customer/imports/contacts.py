"""The `contacts` kind of import: each row's customer is found here (by customer number or external id,
never an internal id), then the batch goes to the contact service, which applies its own rules
(`POST /internal/v1/contact-batches`) acting for the importing user and answers row by row.

The contact service commits its batch in its own transaction before the customer service commits the
job's progress: a process that dies between the two sends the batch again on resume, and the contact
service's upsert (by external id, or customer and email) then finds the contacts and changes nothing.
Rows that name neither an external id nor an email are the exception: such a row, sent twice, makes two
contacts.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from contracts import contact_file
from customer.adapters import import_lookup, repository
from servicekit.auth import Permission
from servicekit.imports.jobs import ImportJob, RowFailure, RowResult
from servicekit.imports.reading import SourceRow
from servicekit.problems import ServiceUnavailable
from servicekit.runtime import ServiceRuntime
from servicekit.unit_of_work import UnitOfWork


class ContactRows:
    """The `contacts` kind of import (`servicekit.imports.worker.RowApplier`)."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime

    def header_problems(self, header: Sequence[str]) -> list[tuple[str | None, str]]:
        return contact_file.header_problems(header)

    async def apply(self, uow: UnitOfWork, job: ImportJob, rows: Sequence[SourceRow]) -> list[RowResult]:
        user = job.user
        if not (user.can(Permission.CREATE) and user.can(Permission.EDIT)):
            refusal = [RowFailure(None, "your role does not allow creating and editing contacts")]
            return [RowResult(row.number, "failed", refusal) for row in rows]
        results: dict[int, RowResult] = {}
        to_send: list[dict[str, Any]] = []
        for row in rows:
            customer_id, failures = await _customer_of(uow, job.office_id, row)
            body, problems = contact_file.contact_body(row.cells)
            failures += [RowFailure(column, reason) for column, reason in problems]
            if failures or customer_id is None:
                results[row.number] = RowResult(row.number, "failed", failures)
            else:
                to_send.append({"row": row.number, "customer_id": str(customer_id), "contact": body})
        if to_send:
            for answer in await self._send(job, to_send):
                failures = [
                    RowFailure(contact_file.column_of(f.get("field")), str(f.get("reason")))
                    for f in answer["failures"]
                ]
                results[answer["row"]] = RowResult(answer["row"], answer["outcome"], failures)
        return [results[row.number] for row in rows]

    async def _send(self, job: ImportJob, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        body = {
            "acting_for": {
                "subject": job.created_by,
                "name": job.created_by_name,
                "office_id": job.office_id,
                "roles": job.roles,
            },
            "dry_run": job.dry_run,
            "rows": rows,
        }
        response = await self.runtime.copies.post_to_owner("contact", "/internal/v1/contact-batches", body)
        if response.status_code != 200:
            # The batch is not counted: the job stays unfinished and the worker tries it again later.
            raise ServiceUnavailable(
                f"The contact service answered {response.status_code}: {response.text[:500]}"
            )
        results: list[dict[str, Any]] = response.json()["results"]
        return results


async def _customer_of(
    uow: UnitOfWork, office_id: str, row: SourceRow
) -> tuple[uuid.UUID | None, list[RowFailure]]:
    number, systems = contact_file.customer_keys(row.cells)
    if number is not None:
        found = await import_lookup.id_by_number(uow.session, office_id, number)
        if found is None:
            return None, [RowFailure("customer_number", f"no customer numbered {number} in this office")]
        return found, []
    for system, value in sorted(systems.items()):
        customer = await repository.get_by_external_id(uow.session, office_id, system, value)
        if customer is not None:
            return customer.id, []
    if systems:
        column = contact_file.CUSTOMER_EXTERNAL_ID + sorted(systems)[0]
        return None, [RowFailure(column, "no customer with this external id in this office")]
    return None, [RowFailure("customer_number", "the row names no customer")]
