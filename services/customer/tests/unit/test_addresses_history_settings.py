"""Headquarters, change history and office settings: pure rules, no database."""

import uuid

import pytest

from customer.domain.addresses import Address, add_address, change_address, move_headquarters, remove_address
from customer.domain.history import FieldChange, field_changes
from customer.domain.settings import (
    OfficeSettings,
    change_settings,
    check_customer_number,
    organisation_number_required,
)
from domainkit import InvalidField, NotFound


def an_address(kind="invoice", **fields):
    return Address(id=uuid.uuid4(), kind=kind, **fields)


def headquarters_of(addresses):
    return [a.id for a in addresses if a.headquarters]


def test_the_first_address_becomes_the_headquarters_and_later_ones_do_not():
    first, second = an_address(), an_address("visiting")
    addresses = add_address(add_address((), first), second)
    assert headquarters_of(addresses) == [first.id]


def test_an_address_added_as_headquarters_takes_it_over():
    first, second = an_address(), an_address("visiting", headquarters=True)
    addresses = add_address(add_address((), first), second)
    assert headquarters_of(addresses) == [second.id]


def test_the_headquarters_moves_and_there_is_only_ever_one():
    a, b, c = an_address(), an_address(), an_address()
    addresses = add_address(add_address(add_address((), a), b), c)
    addresses = move_headquarters(addresses, c.id)
    assert headquarters_of(addresses) == [c.id]
    addresses = change_address(addresses, b.id, {"headquarters": True, "city": "Bergen"})
    assert headquarters_of(addresses) == [b.id]
    assert next(x for x in addresses if x.id == b.id).city == "Bergen"


def test_removing_the_headquarters_hands_it_to_the_first_remaining_address_or_leaves_none():
    a, b, c = an_address(), an_address(), an_address()
    addresses = move_headquarters(add_address(add_address(add_address((), a), b), c), b.id)
    addresses = remove_address(addresses, b.id)
    assert headquarters_of(addresses) == [a.id]
    addresses = remove_address(remove_address(addresses, a.id), c.id)
    assert addresses == ()


def test_removing_another_address_keeps_the_headquarters():
    a, b = an_address(), an_address()
    addresses = remove_address(add_address(add_address((), a), b), b.id)
    assert headquarters_of(addresses) == [a.id]


def test_an_unknown_address_is_not_found():
    with pytest.raises(NotFound):
        remove_address((an_address(),), uuid.uuid4())


def test_history_names_each_changed_field_with_old_and_new_values():
    before = {
        "name": "A",
        "segment": None,
        "version": 1,
        "updated_at": "t1",
        "custom_fields": {"size": 1, "tier": "b"},
    }
    after = {
        "name": "A",
        "segment": "SMB",
        "version": 2,
        "updated_at": "t2",
        "custom_fields": {"size": 2, "colour": "red"},
    }
    assert field_changes(before, after) == [
        FieldChange("custom_fields.colour", None, "red"),
        FieldChange("custom_fields.size", 1, 2),
        FieldChange("custom_fields.tier", "b", None),
        FieldChange("segment", None, "SMB"),
    ]


def test_history_of_addresses_is_per_address():
    kept = {"id": "a1", "kind": "invoice", "city": "Oslo"}
    before = {"addresses": [kept]}
    after = {"addresses": [{**kept, "city": "Bergen"}, {"id": "a2", "kind": "postal", "city": None}]}
    changes = field_changes(before, after)
    assert [c.field for c in changes] == ["addresses.a1", "addresses.a2"]
    assert changes[0].old["city"] == "Oslo"
    assert changes[0].new["city"] == "Bergen"
    assert changes[1].old is None


def test_a_created_customer_lists_only_the_fields_it_was_given():
    changes = field_changes(None, {"id": "x", "name": "A", "segment": None, "tax_ids": [], "active": True})
    assert [(c.field, c.old, c.new) for c in changes] == [("active", None, True), ("name", None, "A")]


def test_settings_keep_the_length_limits_sensible():
    settings = OfficeSettings("o1")
    assert change_settings(settings, {"customer_number_min_length": 4}).version == 2
    with pytest.raises(InvalidField, match="customer_number_min_length"):
        change_settings(settings, {"customer_number_min_length": 30, "customer_number_max_length": 10})
    with pytest.raises(InvalidField, match="customer_number_max_length"):
        change_settings(settings, {"customer_number_max_length": 51})


def test_a_manual_number_must_fit_the_length_limits():
    settings = OfficeSettings("o1", customer_number_min_length=3, customer_number_max_length=5)
    check_customer_number("123", settings)
    for number in ("12", "123456"):
        with pytest.raises(InvalidField, match="customer_number"):
            check_customer_number(number, settings)


def test_mandatory_organisation_numbers_never_apply_to_private_customers():
    mandatory = OfficeSettings("o1", organisation_number_mandatory=True)
    assert organisation_number_required(mandatory, "company")
    assert not organisation_number_required(mandatory, "private")
    assert not organisation_number_required(OfficeSettings("o1"), "company")
