"""The portal's calls to the services that own what a portal user sees and edits: the customer service's
internal read of a customer, its portal edit of an address, and the contact service's portal edit of a
contact person (service tokens acting for the portal user, so the change names that user as its author)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from domainkit import NotFound
from portal.config import Settings
from servicekit.auth import CustomerUser, issue_service_token
from servicekit.problems import Problem, ServiceUnavailable


class Owners:
    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        self._settings = settings
        self._bases = {
            "customer": settings.customer_service_url.rstrip("/"),
            "contact": settings.contact_service_url.rstrip("/"),
        }
        self.client = client or httpx.AsyncClient(timeout=settings.owner_read_timeout_s)

    async def close(self) -> None:
        await self.client.aclose()

    def _headers(self, acting_for: CustomerUser | None = None) -> dict[str, str]:
        token = issue_service_token(self._settings, "portal", 120, acting_for=acting_for)
        return {"Authorization": f"Bearer {token}"}

    async def customer(self, customer_id: uuid.UUID) -> dict[str, Any]:
        """The customer's full state (its event form: never the personal identity number)."""
        response = await self._call(
            "customer", "GET", f"/internal/v1/customers/{customer_id}", self._headers()
        )
        if response.status_code == 404:
            raise NotFound(f"No customer {customer_id}.")
        if response.status_code != 200:
            raise ServiceUnavailable(f"The customer service answered {response.status_code}.")
        return dict(response.json())

    async def change_address(
        self, user: CustomerUser, address_id: uuid.UUID, changes: dict[str, Any], if_match: str | None
    ) -> dict[str, Any]:
        """Change an address of the user's customer as that user; the owner's refusal (404, 412, 422) is
        passed on as it came."""
        path = f"/internal/v1/customers/{user.customer_id}/portal/addresses/{address_id}"
        return await self._edit("customer", path, user, changes, if_match)

    async def change_contact(
        self, user: CustomerUser, contact_id: uuid.UUID, changes: dict[str, Any], if_match: str | None
    ) -> dict[str, Any]:
        """Change a contact person of the user's customer (phone, email) as that user."""
        path = f"/internal/v1/contacts/{contact_id}/portal"
        return await self._edit("contact", path, user, changes, if_match)

    async def _edit(
        self, owner: str, path: str, user: CustomerUser, changes: dict[str, Any], if_match: str | None
    ) -> dict[str, Any]:
        headers = self._headers(acting_for=user) | ({"If-Match": if_match} if if_match else {})
        response = await self._call(owner, "PATCH", path, headers, json=changes)
        if response.status_code == 200:
            return dict(response.json())
        if response.status_code in (404, 409, 412, 422):
            problem = response.json()
            raise Problem(
                str(problem.get("detail", "Refused by the customer service.")),
                status=response.status_code,
                title=str(problem.get("title", "Refused")),
                errors=problem.get("errors"),
            )
        raise ServiceUnavailable(f"The {owner} service answered {response.status_code}.")

    async def _call(
        self, owner: str, method: str, path: str, headers: dict[str, str], **kwargs: Any
    ) -> httpx.Response:
        try:
            return await self.client.request(method, f"{self._bases[owner]}{path}", headers=headers, **kwargs)
        except httpx.HTTPError as error:
            raise ServiceUnavailable(f"The {owner} service could not be reached.") from error
