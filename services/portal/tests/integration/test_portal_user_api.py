"""Point 3 of issue 11 (and the token tampering of point 6): what a portal user sees and edits. Their own
customer's card without internal remarks or personal identity numbers, its active contacts, the catalogs and
linked resources visible to them (an empty list: all); with `edit_company` they change an address through the
customer service, whose history names them. Tampered, expired, `alg: none` and staff tokens are refused."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt

from portal.config import DEVELOPMENT_PORTAL_SECRET
from portal_api_helpers import Platform, auth, eventually
from servicekit.testing.plugin import TokenFactory

REMARK = "INTERNAL-REMARK-never-for-portal-users"
PRICE_BOOK = {"system": "cpq", "reference": "pb-42", "label": "Negotiated prices 2027"}


async def test_a_portal_user_sees_their_company_without_remarks_and_its_active_contacts(platform: Platform):
    customer, _, tokens = await platform.portal_user()
    other = await platform.contact_of(customer["id"], first_name="Ola", last_name="Aas")
    gone = await platform.contact_of(customer["id"], first_name="Per", last_name="Berg")
    await platform.contact.post(f"/v1/contacts/{gone['id']}/deactivate", headers=auth(platform.staff_token))
    headers = auth(tokens["access_token"])
    me = await platform.portal.get("/v1/portal/me", headers=headers)
    assert me.status_code == 200
    card = me.json()
    assert (card["id"], card["name"], card["addresses"][0]["city"]) == (
        customer["id"],
        "Østbø Bygg AS",
        "Oslo",
    )
    assert "remarks" not in card
    assert REMARK not in me.text
    assert "personal_identity_number" not in me.text

    async def listed() -> list[str]:
        response = await platform.portal.get("/v1/portal/me/contacts", headers=headers)
        names = [item["first_name"] for item in response.json()]
        return names if "Ola" in names and "Per" not in names else []

    names = await eventually(listed)
    assert set(names) == {"Kari", "Ola"}
    assert other["id"] in (await platform.portal.get("/v1/portal/me/contacts", headers=headers)).text


async def test_a_portal_user_sees_the_catalogs_and_resources_chosen_for_them_or_all(
    platform: Platform, make_token: TokenFactory
):
    admin = auth(make_token("office_admin"))
    chosen = (
        await platform.portal.post("/v1/portal/catalogs", json={"name": "Chosen"}, headers=admin)
    ).json()
    (await platform.portal.post("/v1/portal/catalogs", json={"name": "Another"}, headers=admin)).json()
    inactive = (await platform.portal.post("/v1/portal/catalogs", json={"name": "Old"}, headers=admin)).json()
    await platform.portal.patch(
        f"/v1/portal/catalogs/{inactive['id']}", json={"active": False}, headers=admin
    )

    customer, _, tokens = await platform.portal_user(
        catalog_ids=[chosen["id"]], resources={"price_books": [PRICE_BOOK]}
    )
    mine = await platform.portal.get("/v1/portal/me/catalogs", headers=auth(tokens["access_token"]))
    assert [catalog["name"] for catalog in mine.json()["catalogs"]] == ["Chosen"]
    assert mine.json()["resources"] == {"price_books": [PRICE_BOOK]}

    await platform.open_portal(customer["id"], catalog_ids=[])
    every = await platform.portal.get("/v1/portal/me/catalogs", headers=auth(tokens["access_token"]))
    assert sorted(catalog["name"] for catalog in every.json()["catalogs"]) == ["Another", "Chosen"]


async def test_with_edit_company_a_portal_user_changes_an_address_and_the_history_names_them(
    platform: Platform,
):
    customer, user, tokens = await platform.portal_user(["edit_company"])
    address_id = customer["addresses"][0]["id"]
    changed = await platform.portal.patch(
        f"/v1/portal/me/addresses/{address_id}",
        json={"line1": "Kongens gate 2", "postal_code": "0153"},
        headers=auth(tokens["access_token"]),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["line1"] == "Kongens gate 2"
    assert REMARK not in changed.text
    history = await platform.customer.get(
        f"/v1/customers/{customer['id']}/history", headers=auth(platform.staff_token)
    )
    newest = history.json()["items"][0]
    assert newest["changed_by"] == user["id"]
    assert newest["changed_by_name"] == user["name"]


async def test_without_edit_company_or_for_another_customer_an_edit_is_refused(platform: Platform):
    customer, _, viewer_tokens = await platform.portal_user(["view"])
    address_id = customer["addresses"][0]["id"]
    refused = await platform.portal.patch(
        f"/v1/portal/me/addresses/{address_id}",
        json={"line1": "X"},
        headers=auth(viewer_tokens["access_token"]),
    )
    assert refused.status_code == 403
    other_customer, _, editor_tokens = await platform.portal_user(["edit_company"])
    foreign = await platform.portal.patch(
        f"/v1/portal/me/addresses/{address_id}",
        json={"line1": "X"},
        headers=auth(editor_tokens["access_token"]),
    )
    assert foreign.status_code == 404, "another customer's address is not found"
    assert other_customer["id"] != customer["id"]


def _forged(claims: dict[str, object], key: str = DEVELOPMENT_PORTAL_SECRET) -> str:
    return jwt.encode(claims, key, algorithm="HS256")


async def test_tampered_expired_unsigned_and_staff_tokens_are_refused(
    platform: Platform, make_token: TokenFactory
):
    _, _, tokens = await platform.portal_user()
    valid = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    other_customer = str(uuid.uuid4())

    header, payload, signature = tokens["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["customer_id"] = other_customer
    edited = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    candidates = {
        "edited claims, old signature": f"{header}.{edited}.{signature}",
        "alg none": f"{none_header}.{payload}.",
        "wrong key": _forged(valid, key="x" * 40),
        "expired": _forged({**valid, "iat": int(time.time()) - 3600, "exp": int(time.time()) - 60}),
        "staff token": make_token("office_admin"),
        "staff audience": _forged({**valid, "aud": "crm"}),
    }
    for name, token in candidates.items():
        for path in ("/v1/portal/me", "/v1/portal/me/contacts", "/v1/portal/me/catalogs"):
            response = await platform.portal.get(path, headers=auth(token))
            assert response.status_code == 401, (name, path, response.text)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await platform.portal.get("/v1/portal/me")).status_code == 401


async def test_with_edit_company_a_portal_user_changes_a_contacts_phone_through_the_contact_service(
    platform: Platform,
):
    _, user, tokens = await platform.portal_user(["edit_company"])
    headers = auth(tokens["access_token"])
    changed = await platform.portal.patch(
        f"/v1/portal/me/contacts/{user['contact_id']}", json={"phone": "900 11 222"}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["phone"] == "+4790011222"
    stored = await platform.contact.get(
        f"/v1/contacts/{user['contact_id']}", headers=auth(platform.staff_token)
    )
    assert stored.json()["updated_by"] == user["id"]

    async def shown() -> bool:
        contacts = (await platform.portal.get("/v1/portal/me/contacts", headers=headers)).json()
        return any(contact["phone"] == "+4790011222" for contact in contacts)

    await eventually(shown)
    _, other_user, _ = await platform.portal_user(["edit_company"])
    foreign = await platform.portal.patch(
        f"/v1/portal/me/contacts/{other_user['contact_id']}", json={"phone": "900 11 333"}, headers=headers
    )
    assert foreign.status_code == 404


async def test_a_private_customers_personal_identity_number_never_reaches_the_portal(
    platform: Platform, make_token: TokenFactory
):
    created = await platform.customer.post(
        "/v1/customers",
        json={
            "name": "Kari Nordmann",
            "type": "private",
            "country": "NO",
            "personal_identity_number": "15108695088",
            "remarks": REMARK,
            "addresses": [{"kind": "postal", "line1": "Storgata 1", "city": "Oslo"}],
        },
        headers=auth(make_token("office_admin")),
    )
    assert created.status_code == 201, created.text
    customer = created.json()
    contact = await platform.contact_of(customer["id"])
    await platform.open_portal(customer["id"])
    user = await platform.grant(contact["id"], ["edit_company"])
    token = await platform.invitation_token(user["email"])
    await platform.portal.post(f"/v1/portal/auth/invitations/{token}", json={"password": "a long passphrase"})
    tokens = (await platform.login(user["email"], "a long passphrase")).json()
    headers = auth(tokens["access_token"])
    answers = [
        await platform.portal.get(path, headers=headers)
        for path in ("/v1/portal/me", "/v1/portal/me/contacts", "/v1/portal/me/catalogs")
    ]
    answers.append(
        await platform.portal.patch(
            f"/v1/portal/me/addresses/{customer['addresses'][0]['id']}",
            json={"city": "Bergen"},
            headers=headers,
        )
    )
    for answer in answers:
        assert answer.status_code == 200, answer.text
        for secret in ("15108695088", "95088", "personal_identity_number", REMARK):
            assert secret not in answer.text
