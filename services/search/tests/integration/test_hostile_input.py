"""Any text a user types is plain text (issue 10 point 3): query syntax, SQL fragments and odd Unicode
never change a query's meaning and never give a 500."""

from __future__ import annotations

import uuid

import pytest

from contracts.customer import CustomerCreated
from search_api_helpers import auth, customer_state, event, eventually_found, refresh
from servicekit.testing.messages import publish

HOSTILE = [
    'name:"x" OR 1=1',
    "*",
    "*:*",
    "?",
    "'; DROP TABLE search_customers; --",
    '" OR ""="',
    "a AND (b OR",
    "office_id:other",
    "\\",
    "/.*/",
    "~1^2",
    '{"match_all": {}}',
    "<script>alert(1)</script>",
    "\U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522 \u202e \u200b\u200d \U0001f98a\U0001f469\u200d\U0001f469\u200d\U0001f467",
    "\uff46\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48",
    "\u03a9\u2248\u00e7\u221a\u222b\u02dc\u00b5\u2264\u2265\u00f7",
    "q-" * 99,
    "9" * 200,
    "x" * 200,
    "@@@@",
    "+++",
    "    ",
]


@pytest.fixture
async def one_customer(api, infra, topology, office_id, make_token):
    customer = customer_state(office_id, uuid.uuid4(), 1, name="Trygg Søk AS")
    await publish(infra.amqp_url, topology, event(CustomerCreated(customer=customer), customer))
    await eventually_found(api, make_token("viewer"), lambda answer: answer["total"] == 1)
    return str(customer.id)


async def test_hostile_text_finds_nothing_it_should_not_and_never_fails(api, one_customer, make_token):
    token = make_token("viewer")
    await refresh(api)
    for typed in HOSTILE:
        for path in ("/v1/search/customers", "/v1/search/suggest"):
            response = await api.get(path, params={"q": typed[:100]}, headers=auth(token))
            assert response.status_code == 200, (typed, response.text)
            if typed.strip() and path.endswith("customers"):
                assert response.json()["items"] == [], typed


async def test_bad_parameters_are_4xx_problems_naming_the_field(api, make_token):
    token = make_token("viewer")
    for params, field in (
        ({"q": "x" * 201}, "q"),
        ({"limit": 0}, "limit"),
        ({"sort": "drop"}, "sort"),
        ({"type": "robot"}, "type"),
        ({"active": "maybe"}, "active"),
        ({"cursor": "!!"}, "cursor"),
        ({"q": "a\x00b"}, "q"),
    ):
        response = await api.get("/v1/search/customers", params=params, headers=auth(token))
        assert response.status_code in (400, 422), (params, response.text)
        assert field in response.text, (params, response.text)
