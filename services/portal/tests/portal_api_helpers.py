"""Helpers shared by the portal service's tests (on pytest's pythonpath, hence the unique name)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from portal.mailsink import MailSink, link_in
from servicekit.testing.infrastructure import Infrastructure
from servicekit.testing.migrations import migrated_database

PASSWORD = "correct horse battery staple"


def auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


async def migrated_portal_database(infra: Infrastructure, prefix: str) -> AsyncIterator[str]:
    """A fresh database with the portal service's migrations applied, dropped afterwards."""
    from portal.main import MIGRATIONS

    async with migrated_database(infra, prefix, MIGRATIONS) as url:
        yield url


@dataclass
class Platform:
    """The customer, contact and portal services of one test, in this process, and the mail sink."""

    customer: httpx.AsyncClient
    contact: httpx.AsyncClient
    portal: httpx.AsyncClient
    mail: MailSink
    staff_token: str

    async def customer_with_contact(self, **contact: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """A customer (with an address and internal remarks) and a contact of it with a fresh email."""
        response = await self.customer.post(
            "/v1/customers",
            json={
                "name": "Østbø Bygg AS",
                "country": "NO",
                "remarks": "INTERNAL-REMARK-never-for-portal-users",
                "addresses": [
                    {"kind": "visiting", "line1": "Storgata 1", "postal_code": "0155", "city": "Oslo"}
                ],
            },
            headers=auth(self.staff_token),
        )
        assert response.status_code == 201, response.text
        customer = dict(response.json())
        return customer, await self.contact_of(customer["id"], **contact)

    async def contact_of(self, customer_id: str, **contact: Any) -> dict[str, Any]:
        body = {
            "customer_id": customer_id,
            "first_name": "Kari",
            "last_name": "Nordmann",
            "email": f"kari-{uuid.uuid4().hex[:10]}@ostbo.example",
            "phone": "412 34 567",
            **contact,
        }
        response = await self.contact.post("/v1/contacts", json=body, headers=auth(self.staff_token))
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def open_portal(self, customer_id: str, **access: Any) -> dict[str, Any]:
        response = await self.portal.put(
            f"/v1/portal/customers/{customer_id}/access",
            json={"enabled": True, **access},
            headers=auth(self.staff_token),
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def grant(self, contact_id: str, permissions: list[str] | None = None) -> dict[str, Any]:
        response = await self.portal.post(
            "/v1/portal/users",
            json={"contact_id": contact_id, "permissions": permissions or ["view"]},
            headers=auth(self.staff_token),
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def invitation_link(self, email: str, count: int = 1) -> str:
        message = await asyncio.to_thread(self.mail.wait_for, email, "invitation", count)
        # The mail sender commits the token's hash just after the mail left (milliseconds; a person
        # never clicks that fast, a test does).
        await asyncio.sleep(0.3)
        return link_in(message, "/portal/invitation/")

    async def invitation_token(self, email: str, count: int = 1) -> str:
        return (await self.invitation_link(email, count)).rsplit("/", 1)[1]

    async def reset_token(self, email: str, count: int = 1) -> str:
        message = await asyncio.to_thread(self.mail.wait_for, email, "Reset", count)
        await asyncio.sleep(0.3)
        return link_in(message, "/portal/reset/").rsplit("/", 1)[1]

    async def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return await self.portal.post("/v1/portal/auth/login", json={"email": email, "password": password})

    async def portal_user(
        self, permissions: list[str] | None = None, **access: Any
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """A customer with an open portal and a contact who accepted the invitation and logged in:
        (customer, the granted user, the login's tokens)."""
        customer, contact = await self.customer_with_contact()
        await self.open_portal(customer["id"], **access)
        user = await self.grant(contact["id"], permissions)
        token = await self.invitation_token(user["email"])
        accepted = await self.portal.post(f"/v1/portal/auth/invitations/{token}", json={"password": PASSWORD})
        assert accepted.status_code == 204, accepted.text
        login = await self.login(user["email"])
        assert login.status_code == 200, login.text
        return customer, user, dict(login.json())


async def eventually(check: Any, timeout_s: float = 15.0) -> Any:
    """Wait until `check()` (async) returns something truthy, and return it."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the condition was not met in time")
        await asyncio.sleep(0.1)
