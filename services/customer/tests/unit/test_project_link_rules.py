"""The project link rules, without a database."""

from dataclasses import FrozenInstanceError, replace
from datetime import UTC, datetime

import pytest

from customer.domain.customer import new_customer
from customer.domain.project_link import new_project_link
from domainkit import Conflict, InvalidField

NOW = datetime(2026, 11, 23, tzinfo=UTC)
CUSTOMER = new_customer(office_id="o1", customer_number="1", name="Acme AS", created_by="u1", now=NOW)


def a_link(**fields):
    values = {"system": "projects", "reference": "P-1001", "title": "Kick-off 2027", **fields}
    return new_project_link(customer=CUSTOMER, created_by="u2", now=NOW, **values)


def test_a_new_link_belongs_to_the_customer_and_records_who_and_when():
    link = a_link()
    assert (link.customer_id, link.system, link.reference, link.title) == (
        CUSTOMER.id,
        "projects",
        "P-1001",
        "Kick-off 2027",
    )
    assert (link.created_by, link.created_at) == ("u2", NOW)
    assert a_link().id != link.id
    with pytest.raises(FrozenInstanceError):
        link.reference = "P-2"  # type: ignore[misc]


@pytest.mark.parametrize("system", ["erp", "a", "web-shop_2", "x" + "y" * 39])
def test_a_system_is_a_short_lower_case_name(system):
    assert a_link(system=system).system == system


@pytest.mark.parametrize(
    "system", ["", "ERP", "2erp", "_erp", "-erp", "erp system", "erp!", "x" + "y" * 40, "erp\n", " erp"]
)
def test_other_systems_are_refused_naming_the_field(system):
    with pytest.raises(InvalidField) as raised:
        a_link(system=system)
    assert [e["field"] for e in raised.value.errors] == ["system"]


def test_the_reference_is_stripped_and_must_hold_1_to_200_characters():
    assert a_link(reference="  P-7 \n").reference == "P-7"
    assert a_link(reference=" " + "r" * 200 + " ").reference == "r" * 200
    for bad in ["", "   ", "r" * 201]:
        with pytest.raises(InvalidField) as raised:
            a_link(reference=bad)
        assert raised.value.errors[0]["field"] == "reference"


def test_the_title_is_optional_stripped_and_at_most_300_characters():
    assert a_link(title=None).title is None
    assert a_link(title="   ").title is None
    assert a_link(title=" Summer party ").title == "Summer party"
    assert a_link(title="t" * 300).title == "t" * 300
    with pytest.raises(InvalidField) as raised:
        a_link(title="t" * 301)
    assert raised.value.errors[0]["field"] == "title"


def test_an_inactive_customer_takes_no_new_link():
    inactive = replace(CUSTOMER, active=False)
    with pytest.raises(Conflict, match="inactive"):
        new_project_link(customer=inactive, system="erp", reference="1", title=None, created_by="u2", now=NOW)
