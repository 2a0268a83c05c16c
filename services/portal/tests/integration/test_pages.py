"""Point 5 of issue 11, over HTTP: the pages under /portal/ sign a user in with HttpOnly, SameSite cookies,
refuse forms without the CSRF token, send a Content-Security-Policy, say clearly what went wrong, and never
show internal remarks or personal identity numbers."""

from __future__ import annotations

import re
from typing import Any

import httpx

from portal_api_helpers import PASSWORD, Platform

REMARK = "INTERNAL-REMARK-never-for-portal-users"


def csrf_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None, page.text
    return match.group(1)


async def sign_in(platform: Platform, email: str, password: str = PASSWORD) -> httpx.Response:
    form = await platform.portal.get("/portal/login")
    return await platform.portal.post(
        "/portal/login", data={"email": email, "password": password, "csrf_token": csrf_of(form)}
    )


async def test_a_portal_user_signs_in_and_sees_company_contacts_and_catalogs_without_remarks(
    platform: Platform,
):
    _, user, _ = await platform.portal_user(["edit_company"])
    signed_in = await sign_in(platform, user["email"])
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/portal/company"
    cookies = signed_in.headers.get_list("set-cookie")
    for name in ("portal_access", "portal_refresh"):
        cookie = next(c for c in cookies if c.startswith(f"{name}="))
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        assert "Path=/portal" in cookie
        assert "Secure" not in cookie, "plain HTTP in local runs and tests"
    pages: dict[str, Any] = {}
    for page in ("company", "contacts", "catalogs"):
        response = await platform.portal.get(f"/portal/{page}")
        assert response.status_code == 200, response.text
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
        assert REMARK not in response.text
        assert "personal_identity_number" not in response.text
        assert "<script" not in response.text
        pages[page] = response.text
    assert "Østbø Bygg AS" in pages["company"]
    assert 'for="line1-1"' in pages["company"], "every field has a label"
    assert "Nordmann" in pages["contacts"]
    assert "Price books" in pages["catalogs"]


async def test_wrong_passwords_and_locks_are_told_clearly_on_the_page(platform: Platform):
    _, user, _ = await platform.portal_user()
    wrong = await sign_in(platform, user["email"], "not my password")
    assert wrong.status_code == 401
    assert "The email or password is wrong." in wrong.text
    assert 'role="alert"' in wrong.text


async def test_forms_without_the_csrf_token_change_nothing(platform: Platform):
    _, user, _ = await platform.portal_user()
    await platform.portal.get("/portal/login")  # the CSRF cookie is set
    forged = await platform.portal.post(
        "/portal/login", data={"email": user["email"], "password": PASSWORD, "csrf_token": "guessed"}
    )
    assert forged.status_code == 403
    assert "portal_access" not in forged.headers.get("set-cookie", "")
    assert (await sign_in(platform, user["email"])).status_code == 303
    logout_forged = await platform.portal.post("/portal/logout", data={"csrf_token": "guessed"})
    assert logout_forged.status_code == 403
    assert (await platform.portal.get("/portal/company")).status_code == 200


async def test_logout_ends_the_session_and_pages_then_send_to_login(platform: Platform):
    _, user, _ = await platform.portal_user()
    await sign_in(platform, user["email"])
    company = await platform.portal.get("/portal/company")
    out = await platform.portal.post("/portal/logout", data={"csrf_token": csrf_of(company)})
    assert out.status_code == 303
    after = await platform.portal.get("/portal/company")
    assert after.status_code == 303
    assert after.headers["location"] == "/portal/login"


async def test_the_invitation_page_sets_a_password_and_tells_what_is_wrong(platform: Platform):
    customer, contact = await platform.customer_with_contact()
    await platform.open_portal(customer["id"])
    user = await platform.grant(contact["id"])
    link = await platform.invitation_link(user["email"])
    path = "/portal/" + link.split("/portal/", 1)[1]
    form = await platform.portal.get(path)
    assert form.status_code == 200
    assert 'autocomplete="new-password"' in form.text
    token = csrf_of(form)
    mismatch = await platform.portal.post(
        path, data={"password": PASSWORD, "confirm": PASSWORD + "x", "csrf_token": token}
    )
    assert "not the same" in mismatch.text
    common = await platform.portal.post(
        path, data={"password": "password1", "confirm": "password1", "csrf_token": token}
    )
    assert common.status_code == 422
    assert "most common passwords" in common.text
    saved = await platform.portal.post(
        path, data={"password": PASSWORD, "confirm": PASSWORD, "csrf_token": token}
    )
    assert saved.status_code == 200
    assert "You can log in now" in saved.text
    assert (await sign_in(platform, user["email"])).status_code == 303


async def test_the_reset_pages_send_a_link_that_sets_a_new_password_once(platform: Platform):
    _, user, _ = await platform.portal_user()
    form = await platform.portal.get("/portal/reset")
    asked = await platform.portal.post(
        "/portal/reset", data={"email": user["email"], "csrf_token": csrf_of(form)}
    )
    assert asked.status_code == 200
    assert "If a portal login has this email" in asked.text
    token = await platform.reset_token(user["email"])
    path = f"/portal/reset/{token}"
    page = await platform.portal.get(path)
    new_password = "another long passphrase"
    saved = await platform.portal.post(
        path, data={"password": new_password, "confirm": new_password, "csrf_token": csrf_of(page)}
    )
    assert saved.status_code == 200
    assert "every other session has ended" in saved.text
    again = await platform.portal.post(
        path, data={"password": new_password, "confirm": new_password, "csrf_token": csrf_of(page)}
    )
    assert again.status_code == 422
    assert "not valid any more" in again.text
    assert (await sign_in(platform, user["email"], new_password)).status_code == 303


async def test_a_customer_service_that_cannot_be_reached_is_a_clear_page_not_an_error_document(
    platform: Platform,
):
    _, user, _ = await platform.portal_user()
    await sign_in(platform, user["email"])
    owners = platform.portal.app.state.owners  # type: ignore[attr-defined]

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    before = owners.client
    owners.client = httpx.AsyncClient(transport=httpx.MockTransport(unreachable))
    try:
        page = await platform.portal.get("/portal/company")
    finally:
        await owners.client.aclose()
        owners.client = before
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert "could not be reached" in page.text


async def test_the_company_page_changes_an_address_for_a_user_with_edit_company_only(platform: Platform):
    customer, user, _ = await platform.portal_user(["edit_company"])
    await sign_in(platform, user["email"])
    page = await platform.portal.get("/portal/company")
    address_id = customer["addresses"][0]["id"]
    saved = await platform.portal.post(
        f"/portal/company/addresses/{address_id}",
        data={"line1": "Kongens gate 2", "postal_code": "0153", "city": "Oslo", "csrf_token": csrf_of(page)},
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/portal/company?done=saved"
    after = await platform.portal.get(saved.headers["location"])
    assert 'value="Kongens gate 2"' in after.text
    assert "Saved." in after.text

    _, viewer, _ = await platform.portal_user(["view"])
    await sign_in(platform, viewer["email"])
    read_only = await platform.portal.get("/portal/company")
    assert "Save address" not in read_only.text
    refused = await platform.portal.post(
        f"/portal/company/addresses/{address_id}", data={"line1": "X", "csrf_token": csrf_of(read_only)}
    )
    assert refused.status_code == 403
    assert "may not edit company information" in refused.text
