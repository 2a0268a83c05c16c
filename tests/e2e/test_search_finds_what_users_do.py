"""The search service as a real process beside the customer and contact services, started as
`scripts/up.sh` starts them: what a user creates there is found a moment later by any scrap of it (the
README's quick tour), and a deleted customer is no longer found."""

from __future__ import annotations

import httpx

from servicekit.testing.consumers import eventually

SERVICES = ("customer", "contact", "search")
"""The services this test talks to (the platform fixture runs them all)."""


async def test_what_a_user_creates_is_found_by_any_scrap_of_it(platform, make_token):
    async with httpx.AsyncClient(base_url=platform["search"]) as probe:
        ready = await eventually(lambda: probe.get("/readyz"), within=30)
        assert ready.json()["checks"]["opensearch"] == "ok", ready.text

    headers = {"Authorization": f"Bearer {make_token('manager')}"}
    customer_api, contact_api, search_api = (
        httpx.AsyncClient(base_url=platform[service], headers=headers, timeout=10) for service in SERVICES
    )
    customer = await customer_api.post(
        "/v1/customers", json={"name": "Østbø Bygg AS", "country": "NO", "organisation_number": "923609016"}
    )
    assert customer.status_code == 201, customer.text
    customer_id = customer.json()["id"]
    contact = await contact_api.post(
        "/v1/contacts",
        json={
            "customer_id": customer_id,
            "first_name": "Kari",
            "last_name": "Nordmann",
            "phone": "412 34 567",
        },
    )
    assert contact.status_code == 201, contact.text

    async def found(q: str) -> list[str]:
        answer = await search_api.get("/v1/search/customers", params={"q": q})
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    async def found_by_all() -> bool:
        typed = ("oestboe", "Ostbo", "0047 41234567", "412 34 567", "NO 923 609 016 MVA", "Kari Nordmann")
        for q in typed:
            if (await found(q))[:1] != [customer_id]:
                return False
        return True

    await eventually(found_by_all, within=30)  # the refresh interval (1 s) included
    suggested = await search_api.get("/v1/search/suggest", params={"q": "ostb"})
    assert [item["id"] for item in suggested.json()["items"]] == [customer_id]

    deleted = await customer_api.delete(
        f"/v1/customers/{customer_id}", headers={"If-Match": customer.headers["ETag"]}
    )
    assert deleted.status_code == 204, deleted.text

    async def gone() -> bool:
        return await found("Østbø") == []

    await eventually(gone, within=30)
    for client in (customer_api, contact_api, search_api):
        await client.aclose()
