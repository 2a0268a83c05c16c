"""Global customers: shared by every office of the organisation, numbered from one counter.

They are visible to every office, so these tests run in a database of their own, where they cannot
show up in other tests' lists.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from customer_api_helpers import auth, create, migrated_customer_database
from servicekit.testing.infrastructure import Infrastructure


@pytest.fixture(scope="module")
async def customer_database(infra: Infrastructure) -> AsyncIterator[str]:
    async for url in migrated_customer_database(infra, "customer_global"):
        yield url


async def test_global_customers_are_visible_to_every_office(api, make_token):
    owner_office = make_token("office_admin")
    created = await create(api, owner_office, name="Konsern ASA", **{"global": True})
    other_office = make_token("viewer", office=f"office-{uuid.uuid4().hex[:8]}")
    seen = await api.get(created.headers["Location"], headers=auth(other_office))
    assert seen.status_code == 200
    assert seen.json()["global"] is True


async def test_global_customers_draw_numbers_from_one_organisation_wide_counter(api, make_token):
    office_a = make_token("office_admin")
    office_b = make_token("office_admin", office=f"office-{uuid.uuid4().hex[:8]}")
    first = (await create(api, office_a, **{"global": True})).json()["customer_number"]
    second = (await create(api, office_b, **{"global": True})).json()["customer_number"]
    assert int(second) > int(first)
    # The office's own counter skips the numbers its global customers hold: an office never shows two
    # customers with one number.
    own = (await create(api, office_b)).json()["customer_number"]
    assert own not in {first, second}


async def test_only_admins_create_global_customers(api, make_token):
    response = await api.post(
        "/v1/customers", json={"name": "G", "global": True}, headers=auth(make_token("manager"))
    )
    assert response.status_code == 403


async def test_a_global_number_skips_numbers_that_any_office_holds(api, make_token):
    home = make_token("office_admin")
    drawn = int((await create(api, home, **{"global": True})).json()["customer_number"])
    elsewhere = make_token("office_admin", office=f"office-{uuid.uuid4().hex[:8]}")
    await create(api, elsewhere, customer_number=str(drawn + 1))
    following = (await create(api, home, **{"global": True})).json()["customer_number"]
    assert following == str(drawn + 2)


async def test_no_office_can_give_a_local_customer_a_number_a_global_customer_holds(api, make_token):
    global_number = (await create(api, make_token("office_admin"), **{"global": True})).json()[
        "customer_number"
    ]
    elsewhere = make_token("office_admin", office=f"office-{uuid.uuid4().hex[:8]}")
    taken = await api.post(
        "/v1/customers", json={"name": "Lokal AS", "customer_number": global_number}, headers=auth(elsewhere)
    )
    assert taken.status_code == 409
    assert taken.json()["errors"][0]["field"] == "customer_number"
    local = (await create(api, elsewhere, customer_number=f"L{uuid.uuid4().hex[:6]}")).json()
    renumbered = await api.patch(
        f"/v1/customers/{local['id']}",
        json={"customer_number": global_number},
        headers=auth(elsewhere, **{"If-Match": '"1"'}),
    )
    assert renumbered.status_code == 409


async def test_a_local_customer_becomes_global_only_with_a_number_no_other_office_holds(api, make_token):
    number = f"S{uuid.uuid4().hex[:6]}"
    office_a = make_token("office_admin")
    office_b = make_token("office_admin", office=f"office-{uuid.uuid4().hex[:8]}")
    in_a = (await create(api, office_a, customer_number=number)).json()
    await create(api, office_b, customer_number=number)
    made_global = await api.patch(
        f"/v1/customers/{in_a['id']}", json={"global": True}, headers=auth(office_a, **{"If-Match": '"1"'})
    )
    assert made_global.status_code == 409
    assert made_global.json()["errors"][0]["field"] == "customer_number"


async def test_other_offices_edit_a_global_customer_but_only_its_home_admin_renumbers_deletes_or_localises(
    api, make_token
):
    home_admin = make_token("office_admin")
    shared = (await create(api, home_admin, name="Konsern ASA", **{"global": True})).json()
    path = f"/v1/customers/{shared['id']}"
    other_office = f"office-{uuid.uuid4().hex[:8]}"
    other_manager = make_token("manager", office=other_office)
    other_admin = make_token("office_admin", office=other_office)

    edited = await api.patch(
        path, json={"segment": "Retail"}, headers=auth(other_manager, **{"If-Match": '"1"'})
    )
    assert edited.status_code == 200
    assert edited.json()["segment"] == "Retail"
    for change in ({"customer_number": f"X{uuid.uuid4().hex[:5]}"}, {"global": False}):
        refused = await api.patch(path, json=change, headers=auth(other_admin, **{"If-Match": '"2"'}))
        assert refused.status_code == 403, refused.text
        assert shared["office_id"] in refused.json()["detail"]
    assert (await api.delete(path, headers=auth(other_admin))).status_code == 403
    assert (await api.get(path, headers=auth(other_admin))).json()["version"] == 2

    made_local = await api.patch(
        path, json={"global": False}, headers=auth(home_admin, **{"If-Match": '"2"'})
    )
    assert made_local.status_code == 200
    assert (await api.get(path, headers=auth(other_admin))).status_code == 404
