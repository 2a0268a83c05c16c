"""Project links: the projects (or orders) internal apps register on a customer (SPEC §3).

A link names the app's `system`, the project's `reference` there and an optional title. "All projects for
this customer" lists them; an inactive customer takes no new link; a customer with links cannot be deleted.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from customer.domain.customer import Customer
from domainkit import Conflict, InvalidField

SYSTEM_PATTERN = r"^[a-z][a-z0-9_-]{0,39}$"
MAX_REFERENCE_LENGTH = 200
MAX_TITLE_LENGTH = 300


@dataclass(frozen=True)
class ProjectLink:
    id: uuid.UUID
    customer_id: uuid.UUID
    system: str
    """The registering app, e.g. `projects`, `erp`, `webshop`."""
    reference: str
    """The project's (or order's) id in that system; unique per customer and system."""
    title: str | None
    created_at: datetime
    created_by: str


def checked_system(system: str) -> str:
    # fullmatch, so a trailing newline (which `$` would let through) is refused too.
    if not re.fullmatch(SYSTEM_PATTERN, system):
        raise InvalidField("system", "must be lower-case letters, digits, '_' or '-', starting with a letter")
    return system


def checked_reference(reference: str) -> str:
    cleaned = reference.strip()
    if not cleaned:
        raise InvalidField("reference", "must not be blank")
    if len(cleaned) > MAX_REFERENCE_LENGTH:
        raise InvalidField("reference", f"must be at most {MAX_REFERENCE_LENGTH} characters")
    return cleaned


def checked_title(title: str | None) -> str | None:
    """A blank title is no title."""
    cleaned = title.strip() if title is not None else ""
    if len(cleaned) > MAX_TITLE_LENGTH:
        raise InvalidField("title", f"must be at most {MAX_TITLE_LENGTH} characters")
    return cleaned or None


def check_takes_new_links(customer: Customer) -> None:
    if not customer.active:
        raise Conflict("The customer is inactive and takes no new project links.")


def new_project_link(
    *,
    customer: Customer,
    system: str,
    reference: str,
    title: str | None,
    created_by: str,
    now: datetime,
) -> ProjectLink:
    """A new link on `customer`: every field checked, then the customer must be active."""
    link = ProjectLink(
        id=uuid.uuid4(),
        customer_id=customer.id,
        system=checked_system(system),
        reference=checked_reference(reference),
        title=checked_title(title),
        created_at=now,
        created_by=created_by,
    )
    check_takes_new_links(customer)
    return link
