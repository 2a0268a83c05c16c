"""The relevance suite (issue 10 point 6): a generated Nordic register (fixed seed, ~3,000 customers of
NO, SE, FI and DK) and golden queries of every kind a user types; each expects its customer among the
first 3, and first for exact numbers, phones and e-mails. Through the HTTP API, on real OpenSearch."""

from __future__ import annotations

from collections import defaultdict

import pytest
from search_relevance_data import OFFICE, Register, generate

from search.domain.document import customer_document
from search_api_helpers import auth, refresh

FIRST = 1
TOP3 = 3


def golden_queries(register: Register) -> list[tuple[str, str, int]]:
    """(typed, expected customer id, within the first n)."""
    a = {key: str(customer.id) for key, customer in register.anchors.items()}
    queries = [
        # names: folded, transliterated, prefixes, typos
        ("Østbø", a["ostbo"], TOP3),
        ("ostbo", a["ostbo"], TOP3),
        ("Oestboe", a["ostbo"], TOP3),
        ("østbø blikk", a["ostbo"], TOP3),
        ("Ostbo Blikkenslagr", a["ostbo"], TOP3),
        ("Sjöberg", a["sjoberg"], TOP3),
        ("sjoberg", a["sjoberg"], TOP3),
        ("Sjoeberg snickeri", a["sjoberg"], TOP3),
        ("sjöbreg snickeri", a["sjoberg"], TOP3),
        ("snick", a["sjoberg"], TOP3),
        ("Aalesund sjomat", a["alesund"], TOP3),
        ("ålesund sjømat", a["alesund"], TOP3),
        ("Makinen puutarha", a["makinen"], TOP3),
        ("Maekinen", a["makinen"], TOP3),
        ("Aeroe Cykelvaerksted", a["aero"], TOP3),
        ("aero cykel", a["aero"], TOP3),
        ("Ærø", a["aero"], TOP3),
        ("fjordkraft ventilasjn", a["fjordkraft"], TOP3),
        ("fjordkraft vent", a["fjordkraft"], TOP3),
        ("Gudrun Vinje", a["private"], TOP3),
        # contacts: names in any spelling, e-mails
        ("Solveig Aasheim", a["ostbo"], TOP3),
        ("aasheim", a["ostbo"], TOP3),
        ("Björn Åkesson", a["sjoberg"], TOP3),
        ("Bjorn Akesson", a["sjoberg"], TOP3),
        ("Bjoern Aakesson", a["sjoberg"], TOP3),
        ("Orjan Brekke", a["alesund"], TOP3),
        ("Paivi Makela", a["makinen"], TOP3),
        ("Soren Kjaergaard", a["aero"], TOP3),
        ("wergeland", a["fjordkraft"], TOP3),
        ("solveig.aasheim@ostbo-firma.example", a["ostbo"], FIRST),
        ("idun.wergeland@fjordkraft", a["fjordkraft"], FIRST),
        # places: streets, postal codes, cities
        ("Fjellveien 7", a["ostbo"], TOP3),
        ("Ringvägen 33", a["sjoberg"], TOP3),
        ("Ringvagen 33", a["sjoberg"], TOP3),
        ("Sandviksveien 90", a["fjordkraft"], TOP3),
        ("Marstal", a["aero"], TOP3),
        ("Marstall", a["aero"], TOP3),  # a city with a typo
        ("5960", a["aero"], TOP3),
        ("Brosundet Ålesund", a["alesund"], TOP3),
    ]
    for key in ("ostbo", "sjoberg", "alesund", "makinen", "aero", "fjordkraft"):
        customer = register.anchors[key]
        organisation = customer.organisation_number or ""
        digits = organisation.replace("-", "")
        spaced = " ".join(digits[i : i + 3] for i in range(0, len(digits), 3))
        queries += [
            (customer.customer_number or "", a[key], FIRST),
            (organisation, a[key], FIRST),
            (spaced, a[key], FIRST),
            (customer.vat_number or "", a[key], FIRST),
        ]
    vat_spelled = {
        "ostbo": f"NO {register.anchors['ostbo'].organisation_number} MVA",
        "sjoberg": f"SE {register.anchors['sjoberg'].organisation_number}01",
        "aero": "DK "
        + " ".join((register.anchors["aero"].organisation_number or "")[i : i + 2] for i in (0, 2, 4, 6)),
    }
    queries += [(typed, a[key], FIRST) for key, typed in vat_spelled.items()]
    for key in ("ostbo", "sjoberg", "makinen", "aero"):
        e164 = register.anchor_contacts[key].phone or ""
        country_code = {"ostbo": "47", "sjoberg": "46", "makinen": "358", "aero": "45"}[key]
        national = e164[1 + len(country_code) :]
        queries += [
            (e164, a[key], FIRST),
            (f"00{country_code} {national}", a[key], FIRST),
            (national if key in ("ostbo", "aero") else f"0{national}", a[key], FIRST),
        ]
    # random customers of the generated register: every number form finds them first
    companies = [c for c in register.customers if c.organisation_number and c.customer_number.startswith("1")]
    by_customer = defaultdict(list)
    for contact in register.contacts:
        by_customer[contact.customer_id].append(contact)
    for customer in (companies[7], companies[777], companies[1900]):
        queries += [
            (customer.customer_number or "", str(customer.id), FIRST),
            (customer.organisation_number or "", str(customer.id), FIRST),
            (customer.vat_number or "", str(customer.id), FIRST),
        ]
        for contact in by_customer[customer.id][:1]:
            queries += [
                (contact.phone or "", str(customer.id), FIRST),
                (contact.email or "", str(customer.id), FIRST),
            ]
    return queries


@pytest.fixture
async def register(api) -> Register:
    """The generated register bulk-loaded into the test's index, as the consumer would write it."""
    generated = generate()
    contacts = defaultdict(list)
    for contact in generated.contacts:
        contacts[contact.customer_id].append(contact)
    index = api.app.state.search_index
    actions = []
    for customer in generated.customers:
        actions.append({"index": {"_index": index.alias, "_id": str(customer.id)}})
        actions.append(customer_document(customer, contacts[customer.id], {}))
    for start in range(0, len(actions), 2000):
        results = await index.bulk(actions[start : start + 2000])
        assert all(next(iter(result.values()))["status"] < 300 for result in results)
    await refresh(api)
    return generated


async def test_golden_queries_find_their_customer_at_the_top(api, register, make_token):
    token = make_token("viewer", office=OFFICE)
    queries = golden_queries(register)
    assert len(queries) >= 40
    misses = []
    for typed, expected, within in queries:
        response = await api.get("/v1/search/customers", params={"q": typed, "limit": 5}, headers=auth(token))
        assert response.status_code == 200, response.text
        found = [item["id"] for item in response.json()["items"]]
        if expected not in found[:within]:
            misses.append((typed, within, [item["name"] for item in response.json()["items"][:3]]))
    assert misses == [], f"{len(misses)} of {len(queries)} golden queries missed"
