"""What a caller asks of the contact register: the typed inputs of the use cases.

A field the client did not send is `NOT_SENT`, which differs from `None` (sent as null: clear it). Email and
phone arrive as written; the use case normalises them (a phone needs its customer's country for that).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from domainkit import NOT_SENT, NotSent


@dataclass(frozen=True, kw_only=True)
class ContactDetails:
    """A contact's fields as sent by a create or an update."""

    first_name: str | NotSent = NOT_SENT
    last_name: str | NotSent = NOT_SENT
    email: str | NotSent | None = NOT_SENT
    phone: str | NotSent | None = NOT_SENT
    title: str | NotSent | None = NOT_SENT
    roles: tuple[str, ...] | NotSent = NOT_SENT
    keywords: tuple[str, ...] | NotSent = NOT_SENT
    main: bool | NotSent = NOT_SENT
    receives_service_reports: bool | NotSent = NOT_SENT
    receives_work_orders: bool | NotSent = NOT_SENT
    language: str | NotSent | None = NOT_SENT
    external_ids: Mapping[str, str | None] | NotSent = NOT_SENT
    """Only the systems sent change; None removes one."""


@dataclass(frozen=True)
class CreateContact:
    customer_id: uuid.UUID
    details: ContactDetails


@dataclass(frozen=True)
class UpdateContact:
    contact_id: uuid.UUID
    details: ContactDetails
    expected_version: int | None


@dataclass(frozen=True)
class ChangeContactState:
    """Deactivate, reactivate or delete a contact, optionally only if it is still at a version."""

    contact_id: uuid.UUID
    expected_version: int | None
