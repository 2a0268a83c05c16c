"""What every change of the portal's aggregates leaves behind: its event with the full state, recorded in
the unit of work of the change (so it is written to the outbox in the same transaction)."""

from __future__ import annotations

import uuid
from typing import Any

from contracts import EventEnvelope
from contracts.portal import (
    CatalogChanged,
    CatalogState,
    PortalAccessChanged,
    PortalAccessRemoved,
    PortalAccessState,
    PortalUserChanged,
    PortalUserRemoved,
    PortalUserState,
)
from servicekit.unit_of_work import UnitOfWork

AnyRow = Any


def access_state(row: AnyRow) -> PortalAccessState:
    return PortalAccessState(
        customer_id=row.customer_id,
        office_id=row.office_id,
        enabled=row.enabled,
        address=row.address,
        catalog_ids=[uuid.UUID(str(catalog_id)) for catalog_id in row.catalog_ids],
        resources=row.resources,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        version=row.version,
    )


def catalog_state(row: AnyRow) -> CatalogState:
    return CatalogState(
        id=row.id,
        office_id=row.office_id,
        name=row.name,
        active=row.active,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        version=row.version,
    )


def user_state(row: AnyRow) -> PortalUserState:
    return PortalUserState(
        id=row.id,
        office_id=row.office_id,
        customer_id=row.customer_id,
        contact_id=row.contact_id,
        email=row.email,
        name=row.name,
        permissions=row.permissions,
        status=row.status,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        version=row.version,
    )


def record_access(
    uow: UnitOfWork, row: AnyRow, *, removed: bool = False, caused_by: EventEnvelope[Any] | None = None
) -> None:
    state = access_state(row)
    event = PortalAccessRemoved(access=state) if removed else PortalAccessChanged(access=state)
    uow.record(
        event,
        office_id=state.office_id,
        aggregate_id=state.customer_id,
        aggregate_version=state.version + (1 if removed else 0),
        caused_by=caused_by,
    )


def record_catalog(uow: UnitOfWork, row: AnyRow) -> None:
    state = catalog_state(row)
    uow.record(
        CatalogChanged(catalog=state),
        office_id=state.office_id,
        aggregate_id=state.id,
        aggregate_version=state.version,
    )


def record_user(
    uow: UnitOfWork, row: AnyRow, *, removed: bool = False, caused_by: EventEnvelope[Any] | None = None
) -> None:
    state = user_state(row)
    event = PortalUserRemoved(user=state) if removed else PortalUserChanged(user=state)
    uow.record(
        event,
        office_id=state.office_id,
        aggregate_id=state.id,
        aggregate_version=state.version + (1 if removed else 0),
        caused_by=caused_by,
    )
