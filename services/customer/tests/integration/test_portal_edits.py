"""A portal user's edit of their own company's address, carried out by the portal with a service token
acting for that user: the history names the portal user; a plain service token, another customer, or a user
without `edit_company` is refused."""

from __future__ import annotations

import uuid

import httpx

from servicekit.auth import CustomerUser, issue_service_token, issue_token
from servicekit.settings import JwtSettings


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def acting_for(customer_id: str, office_id: str, *permissions: str) -> str:
    portal_user = CustomerUser(
        subject="portal-user-1",
        name="Kari Nordmann",
        office_id=office_id,
        customer_id=customer_id,
        contact_id=str(uuid.uuid4()),
        portal_permissions=frozenset({"view", *permissions}),
    )
    return issue_service_token(JwtSettings(), "portal", acting_for=portal_user)


async def test_a_portal_users_address_edit_is_recorded_as_theirs_and_kept_to_their_company(
    api: httpx.AsyncClient, make_token, office_id: str
):
    token = make_token("manager")
    created = await api.post(
        "/v1/customers",
        json={"name": "Østbø Bygg AS", "addresses": [{"kind": "visiting", "line1": "Storgata 1"}]},
        headers=auth(token),
    )
    customer = created.json()
    path = f"/internal/v1/customers/{customer['id']}/portal/addresses/{customer['addresses'][0]['id']}"

    edited = await api.patch(
        path,
        json={"line1": "Kongens gate 2"},
        headers=auth(acting_for(customer["id"], office_id, "edit_company")),
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["line1"] == "Kongens gate 2"
    history = await api.get(f"/v1/customers/{customer['id']}/history", headers=auth(token))
    assert (history.json()["items"][0]["changed_by"], history.json()["items"][0]["changed_by_name"]) == (
        "portal-user-1",
        "Kari Nordmann",
    )

    plain_service = issue_token(JwtSettings(), subject="portal", office_id=None, kind="service")
    assert (await api.patch(path, json={"line1": "X"}, headers=auth(plain_service))).status_code == 403
    viewer_only = acting_for(customer["id"], office_id)
    assert (await api.patch(path, json={"line1": "X"}, headers=auth(viewer_only))).status_code == 403
    other_customer = acting_for(str(uuid.uuid4()), office_id, "edit_company")
    assert (await api.patch(path, json={"line1": "X"}, headers=auth(other_customer))).status_code == 404
    staff = await api.patch(path, json={"line1": "X"}, headers=auth(token))
    assert staff.status_code == 403
