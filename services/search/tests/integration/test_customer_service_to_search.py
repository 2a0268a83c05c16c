"""What a user does in the customer service is found in search a moment later (the real customer service
in this process, its relay publishing to the test's exchange, the search service consuming from it)."""

from __future__ import annotations

from search_api_helpers import auth, eventually_found


def _names(answer):
    return [(item["name"], item["active"]) for item in answer["items"]]


async def test_a_customer_created_changed_deactivated_and_deleted_is_followed_by_search(
    api, customer_api, make_token
):
    token = make_token("office_admin")
    created = await customer_api.post(
        "/v1/customers",
        json={"name": "Østbø Bygg AS", "country": "NO", "organisation_number": "923 609 016"},
        headers=auth(token),
    )
    assert created.status_code == 201, created.text
    customer = created.json()
    viewer = make_token("viewer")
    answer = await eventually_found(
        api, viewer, lambda a: _names(a) == [("Østbø Bygg AS", True)], q="NO 923 609 016 MVA"
    )
    assert answer["items"][0]["customer_number"] == customer["customer_number"]

    changed = await customer_api.patch(
        f"/v1/customers/{customer['id']}",
        json={"name": "Østbø Bygg og Anlegg AS"},
        headers={**auth(token), "If-Match": created.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.text
    await eventually_found(
        api, viewer, lambda a: _names(a) == [("Østbø Bygg og Anlegg AS", True)], q="anlegg"
    )

    deactivated = await customer_api.post(
        f"/v1/customers/{customer['id']}/deactivate",
        headers={**auth(token), "If-Match": changed.headers["ETag"]},
    )
    assert deactivated.status_code == 200, deactivated.text
    await eventually_found(
        api, viewer, lambda a: _names(a) == [("Østbø Bygg og Anlegg AS", False)], q="oestboe"
    )

    deleted = await customer_api.delete(
        f"/v1/customers/{customer['id']}", headers={**auth(token), "If-Match": deactivated.headers["ETag"]}
    )
    assert deleted.status_code == 204, deleted.text
    await eventually_found(api, viewer, lambda a: a["items"] == [], q="923609016")
