"""The customer's own rules, without a database."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from customer.api.schemas import CustomerCreate, CustomerPatch
from customer.domain.commands import CustomerDetails
from customer.domain.customer import (
    Owner,
    apply_changes,
    deactivate,
    mask_identity_number,
    new_customer,
    reactivate,
)
from customer.domain.numbering import format_number, sequence_scope
from domainkit import NOT_SENT, Conflict, InvalidField

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def a_customer(**details):
    return new_customer(
        office_id="o1", customer_number="1", name="Acme AS", created_by="u1", now=NOW, **details
    )


@pytest.mark.parametrize("name", ["", "   ", "x" * 301])
def test_a_customer_needs_a_sensible_name(name):
    with pytest.raises(InvalidField) as raised:
        new_customer(office_id="o", customer_number="1", name=name, created_by="u", now=NOW)
    assert raised.value.errors[0]["field"] == "name"


def test_private_customers_have_no_organisation_number_and_companies_no_identity_number():
    with pytest.raises(InvalidField, match="organisation_number"):
        a_customer(type="private", organisation_number="923609016")
    with pytest.raises(InvalidField, match="personal_identity_number"):
        a_customer(type="company", personal_identity_number="01017012345")


def test_a_change_bumps_the_version_and_names_the_changed_fields():
    customer = a_customer(segment="SMB")
    later = NOW + timedelta(minutes=5)
    changed, fields = apply_changes(
        customer,
        {"segment": "SMB", "name": "Acme Group", "owner": Owner("u7", "Kari")},
        changed_by="u2",
        now=later,
    )
    assert fields == ["name", "owner"]
    assert (changed.version, changed.updated_by, changed.updated_at) == (2, "u2", later)
    assert changed.created_by == "u1"


def test_an_identical_change_is_no_change():
    customer = a_customer(segment="SMB")
    same, fields = apply_changes(customer, {"segment": "SMB"}, changed_by="u2", now=NOW)
    assert fields == []
    assert same is customer


def test_a_change_may_not_break_the_rules_or_touch_what_patch_cannot():
    customer = a_customer()
    with pytest.raises(InvalidField):
        apply_changes(customer, {"name": " "}, changed_by="u", now=NOW)
    with pytest.raises(InvalidField, match="version"):
        apply_changes(customer, {"version": 9}, changed_by="u", now=NOW)
    with pytest.raises(InvalidField, match="active"):
        apply_changes(customer, {"active": False}, changed_by="u", now=NOW)


def test_deactivation_and_reactivation_each_happen_once():
    customer = a_customer()
    inactive = deactivate(customer, changed_by="u", now=NOW)
    assert (inactive.active, inactive.version) == (False, 2)
    with pytest.raises(Conflict):
        deactivate(inactive, changed_by="u", now=NOW)
    active = reactivate(inactive, changed_by="u", now=NOW)
    assert (active.active, active.version) == (True, 3)
    with pytest.raises(Conflict):
        reactivate(active, changed_by="u", now=NOW)


@pytest.mark.parametrize(
    ("number", "masked"), [("01017012345", "*******2345"), ("1234", "****"), (None, None), ("", "")]
)
def test_identity_numbers_show_only_their_last_four_characters(number, masked):
    assert mask_identity_number(number) == masked


def test_global_customers_draw_from_the_organisation_wide_counter():
    assert sequence_scope("o1", is_global=False) == "office:o1"
    assert sequence_scope("o1", is_global=True) == sequence_scope("o2", is_global=True) == "global"
    assert format_number(42, min_length=5) == "00042"
    assert format_number(123456, min_length=3) == "123456"


def test_the_api_shape_translates_to_domain_names_and_types():
    body = CustomerCreate.model_validate(
        {"name": " Acme ", "global": True, "owner": {"id": "u1", "name": "Kari"}, "category_ids": []}
    )
    assert body.details() == CustomerDetails(
        name="Acme", is_global=True, owner=Owner("u1", "Kari"), category_ids=()
    )
    assert body.details().segment is NOT_SENT


@pytest.mark.parametrize(
    "field",
    ["name", "type", "vat_mode", "tax_ids", "category_ids", "custom_fields", "external_ids", "global"],
)
def test_a_patch_cannot_send_null_for_what_every_customer_must_have(field):
    with pytest.raises(ValidationError) as raised:
        CustomerPatch.model_validate({field: None})
    assert raised.value.errors()[0]["loc"][0] == field


@pytest.mark.parametrize("field", ["global", "type"])
def test_the_openapi_schema_does_not_offer_null_for_them_either(field):
    schema = CustomerPatch.model_json_schema(by_alias=True)["properties"][field]
    assert "default" not in schema
    assert "null" not in str(schema)
