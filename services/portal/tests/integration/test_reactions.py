"""Point 4 of issue 11: the portal follows customer.* and contact.* events from the real customer and
contact services: a deactivated or deleted contact loses its login and every session at once; a deactivated
customer suspends its portal (logins refused with a clear message, sessions ended) until it is reactivated;
a deleted customer's portal data is removed."""

from __future__ import annotations

from typing import Any

from portal_api_helpers import Platform, auth, eventually
from servicekit.testing.bus import EventListener


async def _me(platform: Platform, tokens: dict[str, Any]) -> int:
    return (await platform.portal.get("/v1/portal/me", headers=auth(tokens["access_token"]))).status_code


async def test_a_deactivated_contact_loses_its_login_and_sessions_at_once(
    platform: Platform, bus_listener: EventListener
):
    _, user, tokens = await platform.portal_user()
    staff = auth(platform.staff_token)
    assert (
        await platform.contact.post(f"/v1/contacts/{user['contact_id']}/deactivate", headers=staff)
    ).status_code == 200

    async def refused() -> bool:
        return await _me(platform, tokens) == 401

    await eventually(refused)
    refresh = await platform.portal.post(
        "/v1/portal/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 401
    assert (await platform.login(user["email"])).status_code == 401
    users = await platform.portal.get(
        "/v1/portal/users", params={"customer_id": user["customer_id"]}, headers=staff
    )
    assert users.json()["items"][0]["status"] == "disabled"
    changed = await bus_listener.wait_for(3, "portal.user_changed")
    assert changed[-1]["payload"]["user"]["status"] == "disabled"
    assert changed[-1]["causation_id"] is not None


async def test_a_deleted_contact_loses_its_login(platform: Platform, bus_listener: EventListener):
    _, user, tokens = await platform.portal_user()
    assert (
        await platform.contact.delete(
            f"/v1/contacts/{user['contact_id']}", headers=auth(platform.staff_token)
        )
    ).status_code == 204

    async def refused() -> bool:
        return await _me(platform, tokens) == 401

    await eventually(refused)
    assert (await platform.login(user["email"])).status_code == 401
    removed = await bus_listener.wait_for(1, "portal.user_removed")
    assert removed[0]["payload"]["user"]["id"] == user["id"]


async def test_a_deactivated_customer_suspends_its_portal_until_reactivated(platform: Platform):
    customer, user, tokens = await platform.portal_user()
    staff = auth(platform.staff_token)
    assert (
        await platform.customer.post(f"/v1/customers/{customer['id']}/deactivate", headers=staff)
    ).status_code == 200

    async def suspended() -> bool:
        return await _me(platform, tokens) in (401, 403)

    await eventually(suspended)
    login = await platform.login(user["email"])
    assert login.status_code == 403
    assert "suspended" in login.json()["detail"]
    refresh = await platform.portal.post(
        "/v1/portal/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 401, "the sessions ended with the suspension"
    access = await platform.portal.get(f"/v1/portal/customers/{customer['id']}/access", headers=staff)
    assert access.json()["customer_active"] is False

    assert (
        await platform.customer.post(f"/v1/customers/{customer['id']}/reactivate", headers=staff)
    ).status_code == 200

    async def back() -> bool:
        return (await platform.login(user["email"])).status_code == 200

    await eventually(back)


async def test_a_deleted_customers_portal_data_is_removed(platform: Platform, bus_listener: EventListener):
    customer, user, tokens = await platform.portal_user()
    staff = auth(platform.staff_token)
    assert (
        await platform.customer.delete(f"/v1/customers/{customer['id']}", headers=staff)
    ).status_code == 204
    removed = await bus_listener.wait_for(1, "portal.access_removed", within=15)
    assert removed[0]["aggregate_id"] == customer["id"]
    await bus_listener.wait_for(1, "portal.user_removed", within=15)
    assert await _me(platform, tokens) == 401
    assert (await platform.login(user["email"])).status_code == 401
    users = await platform.portal.get(
        "/v1/portal/users", params={"customer_id": customer["id"]}, headers=staff
    )
    assert users.json()["items"] == []
    access = await platform.portal.get(f"/v1/portal/customers/{customer['id']}/access", headers=staff)
    assert access.status_code == 404
