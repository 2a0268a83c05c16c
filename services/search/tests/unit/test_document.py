"""What a customer document carries (issue 10 point 1; SPEC §3: personal identity numbers never indexed)."""

from __future__ import annotations

import uuid

from search.domain.document import customer_document
from search_api_helpers import contact_state, customer_state


def test_a_company_document_carries_its_numbers_places_contacts_and_category_names():
    category, unknown = uuid.uuid4(), uuid.uuid4()
    customer = customer_state(
        "office-1",
        uuid.uuid4(),
        3,
        organisation_number="923609016",
        category_ids=[category, unknown],
        addresses=[
            {"id": str(uuid.uuid4()), "kind": "invoice", "city": "Bergen", "postal_code": "5003"},
            {
                "id": str(uuid.uuid4()),
                "kind": "visiting",
                "city": "Oslo",
                "postal_code": "0150",
                "headquarters": True,
            },
        ],
    )
    contact = contact_state(
        "office-1", uuid.uuid4(), customer.id, 7, phone="+4741234567", email="kari@firma.no"
    )
    document = customer_document(customer, [contact], {str(category): "Eiendom"})
    assert document["city"] == "Oslo"
    assert document["cities"] == ["Bergen", "Oslo"]
    assert document["postal_codes"] == ["0150", "5003"]
    assert {"923609016", "no923609016mva"} <= set(document["numbers"])
    assert document["category_ids"] == [str(category), str(unknown)]
    assert document["category_names"] == ["Eiendom"]
    [embedded] = document["contacts"]
    assert embedded["version"] == 7
    assert embedded["office_id"] == "office-1"
    assert embedded["name"] == "Kari Nordmann"
    assert "41234567" in embedded["phones"]
    assert document["version"] == 3


def test_a_private_customer_gets_no_organisation_number_indexed():
    # Events carry no personal identity number at all; an organisation number on a private customer
    # (which the customer service should never send) is not indexed either.
    customer = customer_state(
        "office-1", uuid.uuid4(), 1, type="private", name="Per Hansen", organisation_number="01017012345"
    )
    document = customer_document(customer, [], {})
    assert "01017012345" not in str(document)
    assert document["organisation_number"] is None
