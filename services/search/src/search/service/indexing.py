"""Keeping the index: every customer.*, contact.* and category.* event of a batch, in one OpenSearch
bulk request (issue 10 point 2).

How one batch is applied, inside the consumer's transaction:
1. Each event's full state is kept in PostgreSQL with its version, only if newer than what is kept
   (`search.adapters.repository`); a deletion keeps a tombstone. Which customers' documents the event
   touches is noted: its customer; a contact's customer; every customer carrying a renamed category.
2. The touched customers' rows are locked (one consumer builds a document at a time) and their
   documents rebuilt from the kept states: the customer, its live contacts, its categories' names.
   A customer not yet heard of has no document: its contacts wait in PostgreSQL and are folded in when
   its first event arrives.
3. One bulk request writes them: `index` with the customer's version as external version
   (`external_gte`, since a contact's change rebuilds the document at the same customer version),
   `delete` with the deletion's version for a deleted customer. OpenSearch's version conflict (a newer
   document is there already) and a delete of a missing document are outcomes, not failures.

OpenSearch unreachable: the whole batch cannot apply, and no event of it is at fault. The handler
raises `IndexUnavailable` (the kit's `DependencyUnavailable`): the transaction is rolled back and no message is
acknowledged, so the consumer reconnects after a growing pause (up to 5 s) and gets the same events
again; none is counted as a failed try, so none goes to the dead-letter queue only because OpenSearch
was down for a while. An event OpenSearch refuses (a document it cannot take) fails alone and goes the
usual way: retries, then the dead-letter queue.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from contracts import EventEnvelope
from contracts.category import CategoryDeleted, CategoryState
from contracts.contact import ContactDeleted, ContactState
from contracts.customer import CustomerDeleted, CustomerState
from search.adapters import repository
from search.adapters.opensearch import SearchIndex, SearchUnavailable
from search.domain.document import customer_document
from search.service import index_metrics
from servicekit.handlers import ALL_APPLIED, BatchOutcome, DependencyUnavailable
from servicekit.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class IndexUnavailable(DependencyUnavailable):
    """OpenSearch did not answer: nothing of this batch is applied, and every event of it comes back."""


class RefusedByIndex(Exception):
    """OpenSearch refused a customer's document: the events that touched it cannot apply as they are."""


class CustomerIndexer:
    """The batch handler of every event type the search service consumes."""

    def __init__(self, index: SearchIndex, service: str = "search") -> None:
        self.index = index
        self.service = service

    async def apply_batch(self, events: Sequence[EventEnvelope[Any]], uow: UnitOfWork) -> BatchOutcome:
        touched: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        rebuilding = await repository.pass_rebuild_gate(uow.session)
        for event in events:
            for customer_id in await _keep(event, uow):
                touched[customer_id].append(event.id)
        actions = await document_actions(uow.session, self.index.alias, touched.keys())
        if rebuilding is not None:
            # A rebuild is filling a new index: every change goes there too, so none is missing after the
            # alias moves (its copy may have read a customer before this change).
            actions += retarget(actions, rebuilding)
        if not actions:
            index_metrics.applied(self.service, events)
            return ALL_APPLIED
        try:
            results = await self.index.bulk(actions)
        except SearchUnavailable as exc:
            raise IndexUnavailable(f"OpenSearch unavailable: {exc}") from exc
        failed: dict[uuid.UUID, Exception] = {}
        for result in results:
            [(operation, answer)] = result.items()
            status = answer.get("status", 500)
            if status < 300 or status == 409 or (operation == "delete" and status == 404):
                continue
            if status == 429 or status >= 500:
                raise IndexUnavailable(f"OpenSearch could not {operation} {answer.get('_id')}: {status}")
            error = RefusedByIndex(
                f"OpenSearch refused to {operation} {answer.get('_id')}: {answer.get('error')}"
            )
            log.error("%s", error)
            for event_id in touched.get(uuid.UUID(answer["_id"]), []):
                failed[event_id] = error
        index_metrics.applied(self.service, events)
        return BatchOutcome(failed) if failed else ALL_APPLIED


async def _keep(event: EventEnvelope[Any], uow: UnitOfWork) -> list[uuid.UUID]:
    """Keep the event's state if newer; the customers whose documents it may change."""
    session = uow.session
    payload = event.payload
    version = event.aggregate_version
    if event.type.startswith("customer."):
        customer: CustomerState = payload.customer
        state = customer.model_dump(mode="json", by_alias=True)
        deleted = isinstance(payload, CustomerDeleted)
        await repository.keep_customer(session, state, version=version, deleted=deleted)
        return [customer.id]
    if event.type.startswith("contact."):
        contact: ContactState = payload.contact
        state = contact.model_dump(mode="json", by_alias=True)
        deleted = isinstance(payload, ContactDeleted)
        await repository.keep_contact(session, state, version=version, deleted=deleted)
        return [contact.customer_id]
    if event.type.startswith("category."):
        category: CategoryState = payload.category
        state = category.model_dump(mode="json", by_alias=True)
        deleted = isinstance(payload, CategoryDeleted)
        await repository.keep_category(session, state, version=version, deleted=deleted)
        return await repository.customers_with_category(session, category.id)
    return []


def retarget(actions: Sequence[dict[str, Any]], index: str) -> list[dict[str, Any]]:
    """The same bulk actions aimed at another index (metadata lines changed, documents shared)."""
    copied: list[dict[str, Any]] = []
    lines = iter(actions)
    for line in lines:
        [(operation, target)] = line.items()
        copied.append({operation: {**target, "_index": index}})
        if operation == "index":
            copied.append(next(lines))
    return copied


async def document_actions(
    session: repository.Connection, alias: str, customer_ids: Any
) -> list[dict[str, Any]]:
    """The bulk actions that bring the touched customers' documents up to the kept states."""
    rows = await repository.locked_customers(session, customer_ids)
    live = [row for row in rows if not row.deleted]
    contacts: dict[uuid.UUID, list[ContactState]] = defaultdict(list)
    for contact_row in await repository.live_contacts(session, [row.id for row in live]):
        contacts[contact_row.customer_id].append(ContactState.model_validate(contact_row.state))
    customers = [(row.version, CustomerState.model_validate(row.state)) for row in live]
    category_ids = {c for _, customer in customers for c in customer.category_ids}
    names = await repository.category_names(session, category_ids)
    actions: list[dict[str, Any]] = []
    for row in rows:
        if row.deleted:
            target = {"_index": alias, "_id": str(row.id), "version": row.version, "version_type": "external"}
            actions.append({"delete": target})
    for version, customer in customers:
        target = {
            "_index": alias,
            "_id": str(customer.id),
            "version": version,
            "version_type": "external_gte",
        }
        actions.append({"index": target})
        actions.append(customer_document(customer, contacts[customer.id], names))
    return actions
