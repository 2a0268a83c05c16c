"""Point 1 of issue 11 (and the staff side of point 2): a customer's portal access (on/off, address,
catalogs and linked resources, an empty list meaning all), the office's catalog registry, granting and
changing customer users; every change publishes a `portal.*` event; offices never see each other's."""

from __future__ import annotations

import uuid

from portal_api_helpers import Platform, auth
from servicekit.testing.bus import EventListener
from servicekit.testing.plugin import TokenFactory

PRICE_BOOK = {"system": "cpq", "reference": "pb-42", "label": "Negotiated prices 2027"}


async def test_staff_set_a_customers_portal_access_and_each_change_is_an_event(
    platform: Platform, bus_listener: EventListener, make_token: TokenFactory
):
    admin = make_token("office_admin")
    customer, _ = await platform.customer_with_contact()
    path = f"/v1/portal/customers/{customer['id']}/access"
    before = await platform.portal.get(path, headers=auth(platform.staff_token))
    assert before.status_code == 200
    assert before.json() | {"customer_active": True} == {
        "customer_id": customer["id"],
        "enabled": False,
        "address": None,
        "catalog_ids": [],
        "resources": {},
        "customer_active": True,
        "version": 0,
    }
    catalog = await platform.portal.post(
        "/v1/portal/catalogs", json={"name": "Spare parts"}, headers=auth(admin)
    )
    assert catalog.status_code == 201
    put = await platform.portal.put(
        path,
        json={
            "enabled": True,
            "address": "https://portal.example/ostbo",
            "catalog_ids": [catalog.json()["id"]],
            "resources": {"price_books": [PRICE_BOOK], "payment_terms": []},
        },
        headers=auth(platform.staff_token, **{"If-Match": '"0"'}),
    )
    assert put.status_code == 200, put.text
    assert put.headers["ETag"] == '"1"'
    assert put.json()["resources"] == {"price_books": [PRICE_BOOK]}
    stale = await platform.portal.put(
        path, json={"enabled": False}, headers=auth(platform.staff_token, **{"If-Match": '"0"'})
    )
    assert stale.status_code == 412
    events = await bus_listener.wait_for(1, "portal.access_changed")
    assert events[0]["payload"]["access"]["enabled"] is True
    assert events[0]["aggregate_id"] == customer["id"]
    catalog_events = await bus_listener.wait_for(1, "portal.catalog_changed")
    assert catalog_events[0]["payload"]["catalog"]["name"] == "Spare parts"


async def test_unknown_catalogs_and_customers_are_refused_and_offices_stay_apart(
    platform: Platform, make_token: TokenFactory
):
    customer, _ = await platform.customer_with_contact()
    path = f"/v1/portal/customers/{customer['id']}/access"
    unknown_catalog = await platform.portal.put(
        path, json={"enabled": True, "catalog_ids": [str(uuid.uuid4())]}, headers=auth(platform.staff_token)
    )
    assert unknown_catalog.status_code == 422
    assert unknown_catalog.json()["errors"][0]["field"] == "catalog_ids.0"
    other_office = make_token("office_admin", office=f"other-{uuid.uuid4().hex[:8]}")
    assert (await platform.portal.get(path, headers=auth(other_office))).status_code == 404
    assert (
        await platform.portal.put(path, json={"enabled": True}, headers=auth(other_office))
    ).status_code == 404
    mine = await platform.portal.post(
        "/v1/portal/catalogs", json={"name": "Mine"}, headers=auth(make_token())
    )
    theirs = await platform.portal.get(f"/v1/portal/catalogs/{mine.json()['id']}", headers=auth(other_office))
    assert theirs.status_code == 404
    listed = await platform.portal.get("/v1/portal/catalogs", headers=auth(other_office))
    assert listed.json()["items"] == []
    users = await platform.portal.get("/v1/portal/users", headers=auth(other_office))
    assert users.json()["items"] == []
    viewer = make_token("viewer")
    assert (await platform.portal.put(path, json={"enabled": True}, headers=auth(viewer))).status_code == 403


async def test_the_catalog_registry_renames_and_deactivates(platform: Platform, make_token: TokenFactory):
    admin = make_token("office_admin")
    created = await platform.portal.post("/v1/portal/catalogs", json={"name": "Tools"}, headers=auth(admin))
    catalog_path = created.headers["Location"]
    renamed = await platform.portal.patch(catalog_path, json={"name": "Hand tools"}, headers=auth(admin))
    assert (renamed.json()["name"], renamed.json()["version"]) == ("Hand tools", 2)
    off = await platform.portal.patch(catalog_path, json={"active": False}, headers=auth(admin))
    assert off.json()["active"] is False
    null_name = await platform.portal.patch(catalog_path, json={"name": None}, headers=auth(admin))
    assert null_name.status_code == 422
    manager = await platform.portal.post(
        "/v1/portal/catalogs", json={"name": "X"}, headers=auth(platform.staff_token)
    )
    assert manager.status_code == 403, "the registry is office admin work"


async def test_staff_grant_change_and_remove_customer_users(platform: Platform, bus_listener: EventListener):
    customer, contact = await platform.customer_with_contact()
    user = await platform.grant(contact["id"], ["place_orders"])
    assert user["permissions"] == ["view", "place_orders"]
    twice = await platform.portal.post(
        "/v1/portal/users", json={"contact_id": contact["id"]}, headers=auth(platform.staff_token)
    )
    assert twice.status_code == 409
    unknown = await platform.portal.post(
        "/v1/portal/users", json={"contact_id": str(uuid.uuid4())}, headers=auth(platform.staff_token)
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "contact_id"
    no_email = await platform.contact_of(customer["id"], email=None, first_name="Ola")
    refused = await platform.portal.post(
        "/v1/portal/users", json={"contact_id": no_email["id"]}, headers=auth(platform.staff_token)
    )
    assert refused.status_code == 422
    assert "email" in refused.json()["detail"]

    path = f"/v1/portal/users/{user['id']}"
    changed = await platform.portal.patch(
        path, json={"permissions": ["request_prices", "edit_company"]}, headers=auth(platform.staff_token)
    )
    assert changed.json()["permissions"] == ["view", "request_prices", "edit_company"]
    listed = await platform.portal.get(
        "/v1/portal/users", params={"customer_id": customer["id"]}, headers=auth(platform.staff_token)
    )
    assert [item["id"] for item in listed.json()["items"]] == [user["id"]]
    resent = await platform.portal.patch(
        path, json={"resend_invitation": True}, headers=auth(platform.staff_token)
    )
    assert resent.status_code == 200
    await platform.invitation_token(user["email"], count=2)

    removed = await platform.portal.delete(path, headers=auth(platform.staff_token))
    assert removed.status_code == 204
    types = [event["type"] for event in await bus_listener.wait_for(5)]
    assert "portal.user_changed" in types
    assert "portal.invitation_requested" in types
    await bus_listener.wait_for(1, "portal.user_removed")


async def test_portal_tokens_never_work_on_staff_endpoints(platform: Platform):
    customer, _, tokens = await platform.portal_user()
    access = await platform.portal.get(
        f"/v1/portal/customers/{customer['id']}/access", headers=auth(tokens["access_token"])
    )
    assert access.status_code == 401
    on_customer_service = await platform.customer.get(
        f"/v1/customers/{customer['id']}", headers=auth(tokens["access_token"])
    )
    assert on_customer_service.status_code == 401
    internal = await platform.customer.get(
        f"/internal/v1/customers/{customer['id']}", headers=auth(tokens["access_token"])
    )
    assert internal.status_code == 401
