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
