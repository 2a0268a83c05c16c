"""Project link use cases: internal apps register and remove the projects (or orders) of a customer.

Links record no events and are not part of the customer's event state. No other service keeps a copy of
them (search indexes customers and contacts, the portal shows neither), and the one rule they feed, "a
customer with links cannot be deleted", is enforced here, in the customer service's own database: the
delete counts them under the customer's row lock, and the foreign key refuses it besides.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from customer.adapters import link_repository, repository
from customer.domain.commands import RegisterProjectLink
from customer.domain.customer import Customer
from customer.domain.project_link import ProjectLink, new_project_link
from domainkit import NotFound
from servicekit.auth import OfficeUser
from servicekit.unit_of_work import UnitOfWork


async def _visible_customer(
    uow: UnitOfWork, user: OfficeUser, customer_id: uuid.UUID, *, for_update: bool = False
) -> Customer:
    customer = await repository.get(uow.session, customer_id, user.office_id, for_update=for_update)
    if customer is None:
        raise NotFound(f"No customer {customer_id} in your office.")
    return customer


async def register_link(uow: UnitOfWork, user: OfficeUser, command: RegisterProjectLink) -> ProjectLink:
    """Link a project to an active customer. 404 when the office cannot see the customer, 409 when it is
    inactive or the (system, reference) is already linked to it."""
    # The row lock orders this against a concurrent deactivate or delete of the customer: either
    # they see the link, or this sees their outcome.
    customer = await _visible_customer(uow, user, command.customer_id, for_update=True)
    link = new_project_link(
        customer=customer,
        system=command.system,
        reference=command.reference,
        title=command.title,
        created_by=user.subject,
        now=datetime.now(UTC),
    )
    await link_repository.add(uow.session, link)
    return link


async def remove_link(uow: UnitOfWork, user: OfficeUser, customer_id: uuid.UUID, link_id: uuid.UUID) -> None:
    """Remove a link (also from an inactive customer, so that it can be deleted); 404 when the office
    cannot see the customer or the link is not the customer's."""
    await _visible_customer(uow, user, customer_id)
    if not await link_repository.remove(uow.session, customer_id, link_id):
        raise NotFound(f"Customer {customer_id} has no project link {link_id}.")
