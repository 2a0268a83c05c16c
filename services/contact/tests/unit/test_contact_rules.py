"""The contact's own rules: one main contact per customer, the main contact is active, reports and work
orders need an email, an identical change is no change."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from contact.domain import contact as rules
from contact.domain.contact import Contact
from domainkit import Conflict, InvalidField

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CUSTOMER = uuid.uuid4()


def a_contact(**fields) -> Contact:
    values = {"office_id": "office-1", "customer_id": CUSTOMER, "first_name": "Kari", "last_name": "Nordmann"}
    return rules.new_contact(created_by="u1", now=NOW, **{**values, **fields})


def test_a_new_contact_is_active_at_version_one():
    contact = a_contact()
    assert (contact.active, contact.main, contact.version) == (True, False, 1)
    assert contact.updated_by == contact.created_by == "u1"


def test_making_a_contact_main_takes_the_mark_from_the_customers_main_contact_only():
    old_main = a_contact(main=True)
    bystander = a_contact(first_name="Per")
    elsewhere = a_contact(main=True, customer_id=uuid.uuid4())
    other_office = a_contact(main=True, office_id="office-2")
    new_main = a_contact(first_name="Ola", main=True)

    demoted = rules.hand_over_main(
        new_main, [old_main, bystander, elsewhere, other_office, new_main], changed_by="u2", now=NOW
    )
    assert [c.id for c in demoted] == [old_main.id]
    assert (demoted[0].main, demoted[0].version, demoted[0].updated_by) == (False, 2, "u2")


def test_only_a_change_that_sets_main_takes_the_mark():
    plain = a_contact()
    main = replace(plain, main=True)
    assert rules.takes_main(None, main)
    assert rules.takes_main(plain, main)
    assert not rules.takes_main(main, main)
    assert not rules.takes_main(None, plain)


def test_deactivating_the_main_contact_takes_its_mark_and_it_cannot_be_made_main_while_inactive():
    inactive = rules.deactivate(a_contact(main=True), changed_by="u2", now=NOW)
    assert (inactive.active, inactive.main, inactive.version) == (False, False, 2)
    with pytest.raises(Conflict) as refused:
        rules.apply_changes(inactive, {"main": True}, changed_by="u2", now=NOW)
    assert refused.value.errors[0]["field"] == "main"


def test_deactivate_and_reactivate_cannot_repeat():
    contact = a_contact()
    with pytest.raises(Conflict):
        rules.reactivate(contact, changed_by="u", now=NOW)
    inactive = rules.deactivate(contact, changed_by="u", now=NOW)
    with pytest.raises(Conflict):
        rules.deactivate(inactive, changed_by="u", now=NOW)
    assert rules.reactivate(inactive, changed_by="u", now=NOW).active is True


@pytest.mark.parametrize("flag", ["receives_service_reports", "receives_work_orders"])
def test_reports_and_work_orders_need_an_email(flag):
    with pytest.raises(InvalidField) as refused:
        a_contact(**{flag: True})
    assert refused.value.field == flag
    receiver = a_contact(**{flag: True}, email="kari@bygg.no")
    with pytest.raises(InvalidField) as cleared:
        rules.apply_changes(receiver, {"email": None}, changed_by="u", now=NOW)
    assert cleared.value.field == "email"


def test_an_identical_change_makes_no_new_version():
    contact = a_contact(title="Sjef")
    same, changed = rules.apply_changes(contact, {"title": "Sjef"}, changed_by="u2", now=NOW)
    assert (same, changed) == (contact, [])
    renamed, changed = rules.apply_changes(
        contact, {"title": "CTO", "last_name": "Hansen"}, changed_by="u2", now=NOW
    )
    assert changed == ["last_name", "title"]
    assert (renamed.version, renamed.updated_by) == (2, "u2")


@pytest.mark.parametrize("field", ["customer_id", "office_id", "active", "version", "created_by"])
def test_what_an_edit_cannot_change(field):
    with pytest.raises(InvalidField) as refused:
        rules.apply_changes(a_contact(), {field: None}, changed_by="u", now=NOW)
    assert refused.value.field == field


def test_external_ids_merge_and_null_removes_one():
    merged = rules.merge_external_ids({"erp": "1", "crm": "A"}, {"erp": None, "accounting": "77"})
    assert merged == {"crm": "A", "accounting": "77"}


def test_a_deleted_contacts_last_state_is_one_version_on():
    contact = a_contact()
    last = rules.mark_deleted(contact, changed_by="u9", now=NOW)
    assert (last.version, last.updated_by) == (2, "u9")
