"""Find any customer from any scrap of information (issue 10 points 1 and 3): names with typos, prefixes
and Nordic letters in any spelling, numbers and phones in every written form, addresses, contacts;
filters, facets, sorts and pages; office isolation, with global customers visible to every office."""

from __future__ import annotations

import uuid

import pytest

from contracts.contact import ContactCreated
from contracts.customer import CustomerCreated
from search_api_helpers import auth, contact_state, customer_state, event, eventually_found, ids_found, search
from servicekit.testing.messages import publish

OTHER_OFFICE = "office-elsewhere"


def _address(**fields: object) -> dict[str, object]:
    return {"id": str(uuid.uuid4()), "kind": "visiting", "headquarters": True, **fields}


@pytest.fixture
async def register(api, infra, topology, office_id, make_token):
    """A small register of the test's office (and one of another office), indexed through the consumer."""
    ids = {key: uuid.uuid4() for key in "ABCDEFG"}
    customers = [
        customer_state(
            office_id,
            ids["A"],
            1,
            name="Østbø Bygg AS",
            customer_number="10042",
            organisation_number="923609016",
            vat_number="NO923609016MVA",
            segment="construction",
            owner={"id": "user-ola", "name": "Ola Eier"},
            addresses=[_address(line1="Storgata 12", postal_code="0155", city="Oslo", country="NO")],
        ),
        customer_state(
            office_id,
            ids["B"],
            1,
            name="Sjöberg Konsult AB",
            customer_number="30007",
            country="SE",
            organisation_number="5560360793",
            active=False,
            addresses=[
                _address(line1="Drottninggatan 5", postal_code="111 51", city="Stockholm", country="SE")
            ],
        ),
        customer_state(
            office_id,
            ids["C"],
            1,
            name="Ålesund Fisk AS",
            customer_number="20001",
            addresses=[_address(line1="Kaiveien 1", postal_code="6002", city="Ålesund", country="NO")],
        ),
        customer_state(office_id, ids["D"], 1, name="Fjordkraft Service AS", customer_number="10043"),
        customer_state(OTHER_OFFICE, ids["E"], 1, name="Østbø Bygg AS", customer_number="10042"),
        customer_state(
            OTHER_OFFICE, ids["F"], 1, name="Global Partner AS", customer_number="G-1", **{"global": True}
        ),
        customer_state(office_id, ids["G"], 1, name="Per Hansen", customer_number="40001", type="private"),
    ]
    contacts = [
        contact_state(
            office_id,
            uuid.uuid4(),
            ids["A"],
            1,
            first_name="Kari",
            last_name="Nordmann",
            email="kari.nordmann@ostbo.no",
            phone="+4741234567",
        ),
        contact_state(
            office_id,
            uuid.uuid4(),
            ids["B"],
            1,
            first_name="Lars",
            last_name="Svensson",
            phone="+46701234567",
        ),
    ]
    await publish(
        infra.amqp_url,
        topology,
        *(event(CustomerCreated(customer=customer), customer) for customer in customers),
        *(event(ContactCreated(contact=contact), contact) for contact in contacts),
    )
    token = make_token("viewer")
    await eventually_found(api, token, lambda answer: answer["total"] == 6 and len(answer["items"]) == 6)
    for contact in ("Svensson", "Nordmann"):
        await eventually_found(api, token, lambda answer: answer["total"] == 1, q=contact)
    return {key: str(value) for key, value in ids.items()}


NAMES = [
    ("ostbo", "A"),
    ("Østbø", "A"),
    ("Oestboe", "A"),
    ("østbo bygg", "A"),
    ("sjoberg", "B"),
    ("Sjoeberg konsult", "B"),
    ("Aalesund", "C"),
    ("alesund fisk", "C"),
    ("fjordk", "D"),
    ("fjordkarft", "D"),
    ("Fjordkraft Servce", "D"),
    ("kons", "B"),
]


async def _misses(api, token, register, cases):
    """The cases whose expected customer is not first, with what came first instead."""
    misses = []
    for typed, expected in cases:
        found = await ids_found(api, token, typed)
        if found[:1] != [register[expected]]:
            misses.append((typed, expected, found[:3]))
    return misses


async def test_names_are_found_folded_transliterated_by_prefix_and_with_typos(api, register, make_token):
    assert await _misses(api, make_token("viewer"), register, NAMES) == []


NUMBERS_AND_MORE = [
    ("NO 923 609 016 MVA", "A"),
    ("923609016", "A"),
    ("923 609 016", "A"),
    ("923-609-016", "A"),
    ("SE556036079301", "B"),
    ("556036-0793", "B"),
    ("10042", "A"),
    ("20001", "C"),
    ("+47 412 34 567", "A"),
    ("0047 41234567", "A"),
    ("41234567", "A"),
    ("070-123 45 67", "B"),
    ("kari.nordmann@ostbo.no", "A"),
    ("nordmann", "A"),
    ("Kari Nordmann", "A"),
    ("Storgata 12", "A"),
    ("0155", "A"),
    ("Stockholm", "B"),
    ("Oslo", "A"),
]


async def test_numbers_phones_contacts_and_places_find_their_customer_first(api, register, make_token):
    assert await _misses(api, make_token("viewer"), register, NUMBERS_AND_MORE) == []


async def test_an_exact_customer_number_ranks_first_and_a_prefix_finds_its_neighbours(
    api, register, make_token
):
    token = make_token("viewer")
    assert (await ids_found(api, token, "10043"))[0] == register["D"]
    assert set(await ids_found(api, token, "1004")) >= {register["A"], register["D"]}


async def test_an_office_sees_its_own_and_global_customers_only(api, register, make_token):
    mine = await ids_found(api, make_token("viewer"), "Østbø")
    assert register["E"] not in mine
    assert mine == [register["A"]]
    assert await ids_found(api, make_token("viewer"), "global partner") == [register["F"]]
    theirs = await ids_found(api, make_token("viewer", office=OTHER_OFFICE), "Østbø")
    assert theirs == [register["E"]]
    assert await ids_found(api, make_token("viewer", office=OTHER_OFFICE), "Sjoberg") == []


async def test_a_global_customers_contacts_are_found_only_by_the_office_that_added_them(
    api, register, infra, topology, office_id, make_token
):
    theirs = contact_state(
        OTHER_OFFICE,
        uuid.uuid4(),
        uuid.UUID(register["F"]),
        1,
        first_name="Hemmelig",
        last_name="Kontaktperson",
        email="hemmelig@partner.example",
        phone="+4791234567",
    )
    await publish(infra.amqp_url, topology, event(ContactCreated(contact=theirs), theirs))
    other = make_token("viewer", office=OTHER_OFFICE)
    await eventually_found(api, other, lambda answer: answer["total"] == 1, q="Kontaktperson")
    for typed in ("Kontaktperson", "hemmelig@partner.example", "91234567", "hemm"):
        assert await ids_found(api, other, typed) == [register["F"]], typed
        assert await ids_found(api, make_token("viewer"), typed) == [], typed
    assert await ids_found(api, make_token("viewer"), "Global Partner") == [register["F"]]


async def test_an_inactive_customer_is_found_and_marked(api, register, make_token):
    [item] = (await search(api, make_token("viewer"), q="sjoberg"))["items"]
    assert item["active"] is False
    assert item["city"] == "Stockholm"
    assert item["country"] == "SE"
    assert item["type"] == "company"
    assert item["customer_number"] == "30007"
    assert item["score"] > 0


async def test_filters_narrow_and_facets_count(api, register, make_token):
    token = make_token("viewer")
    assert await ids_found(api, token, "", active="false") == [register["B"]]
    assert await ids_found(api, token, "", type="private") == [register["G"]]
    assert await ids_found(api, token, "", country="SE") == [register["B"]]
    assert await ids_found(api, token, "", city="Oslo") == [register["A"]]
    assert await ids_found(api, token, "", segment="construction") == [register["A"]]
    assert await ids_found(api, token, "", owner="user-ola") == [register["A"]]
    facets = (await search(api, token))["facets"]
    assert {"value": "false", "label": None, "count": 1} in facets["active"]
    assert {"value": "true", "label": None, "count": 5} in facets["active"]
    assert {"value": "private", "label": None, "count": 1} in facets["type"]
    assert {"value": "Oslo", "label": None, "count": 1} in facets["city"]


async def test_a_search_box_may_ask_without_facets_and_gets_the_same_hits(api, register, make_token):
    token = make_token("viewer")
    with_facets = await search(api, token, q="as")
    without = await search(api, token, q="as", facets="false")
    assert without["facets"] == {}
    assert with_facets["facets"]["type"]
    assert [item["id"] for item in without["items"]] == [item["id"] for item in with_facets["items"]]
    assert without["total"] == with_facets["total"]
    assert without["total_exact"]
    assert with_facets["total_exact"]


async def test_a_misspelt_search_counts_and_facets_what_it_found_with_typos(api, register, make_token):
    token = make_token("viewer")
    # "Sjoberg Konsullt": nothing matches plainly, so the typo-tolerant request finds B (inactive, SE).
    answer = await search(api, token, q="Sjoberg Konsullt")
    assert [item["id"] for item in answer["items"]] == [register["B"]]
    assert answer["total"] == 1
    assert answer["total_exact"]
    assert answer["facets"]["active"] == [{"value": "false", "label": None, "count": 1}]
    assert answer["facets"]["country"] == [{"value": "SE", "label": None, "count": 1}]
    without = await search(api, token, q="Sjoberg Konsullt", facets="false")
    assert [item["id"] for item in without["items"]] == [register["B"]]
    assert without["total"] == 1


async def test_highlights_mark_what_matched_and_escape_the_rest(api, register, make_token):
    [item] = (await search(api, make_token("viewer"), q="ostbo"))["items"]
    assert item["highlight"]["name"] == ["<em>Østbø</em> Bygg AS"]


async def test_sorts_and_pages_walk_every_customer_once(api, register, make_token):
    token = make_token("viewer")
    for sort in ("name", "number", "updated", "relevance"):
        seen, cursor = [], None
        while True:
            params = {"sort": sort, "limit": 2, **({"cursor": cursor} if cursor else {})}
            answer = await search(api, token, **params)
            assert answer["total"] == 6
            seen += [item["id"] for item in answer["items"]]
            cursor = answer["next"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(register[key] for key in "ABCDFG"), sort
    names = [item["name"] for item in (await search(api, token, sort="name", limit=10))["items"]]
    assert names == sorted(names, key=lambda name: name.replace("Ø", "O").replace("Å", "A").lower())
    numbers = [
        item["customer_number"] for item in (await search(api, token, sort="number", limit=10))["items"]
    ]
    assert numbers == sorted(numbers)


async def test_relevance_pages_of_a_text_search_walk_every_match_once(api, register, make_token):
    token = make_token("viewer")
    seen, cursor, total = [], None, None
    while True:
        answer = await search(api, token, q="as", limit=2, **({"cursor": cursor} if cursor else {}))
        total = answer["total"]
        seen += [item["id"] for item in answer["items"]]
        scores = [item["score"] for item in answer["items"]]
        assert scores == sorted(scores, reverse=True)
        if (cursor := answer["next"]) is None:
            break
    assert total >= 4
    assert len(seen) == len(set(seen)) == total


async def test_a_cursor_of_another_sort_or_edited_is_a_422_naming_cursor(api, register, make_token):
    token = make_token("viewer")
    cursor = (await search(api, token, sort="name", limit=2))["next"]
    for params in ({"sort": "number", "cursor": cursor}, {"cursor": "bm90LWEtY3Vyc29y"}, {"cursor": "x"}):
        response = await api.get("/v1/search/customers", params=params, headers=auth(token))
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "cursor"


async def test_suggest_gives_a_few_names_by_prefix(api, register, make_token):
    token = make_token("viewer")
    response = await api.get("/v1/search/suggest", params={"q": "fjo"}, headers=auth(token))
    assert response.status_code == 200
    assert [item["name"] for item in response.json()["items"]] == ["Fjordkraft Service AS"]
    response = await api.get("/v1/search/suggest", params={"q": "oest"}, headers=auth(token))
    assert [item["id"] for item in response.json()["items"]] == [register["A"]]


async def test_only_staff_tokens_search(api, register, make_token):
    assert (await api.get("/v1/search/customers", params={"q": "x"})).status_code == 401
