"""The demo data of `crm seed`: the same for the same seed, Nordic, with numbers the services accept."""

from __future__ import annotations

import phonenumbers
from stdnum.dk import cvr
from stdnum.fi import ytunnus
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

from crm import seed_data

CHECKS = {"NO": no_orgnr, "SE": se_orgnr, "FI": ytunnus, "DK": cvr}
CUSTOMERS = [seed_data.customer(42, n) for n in range(300)]


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    assert [seed_data.customer(42, n) for n in range(20)] == CUSTOMERS[:20]
    assert [seed_data.customer(43, n).body for n in range(20)] != [c.body for c in CUSTOMERS[:20]]


def test_customers_are_nordic_companies_with_valid_organisation_numbers():
    assert {c.body["country"] for c in CUSTOMERS} == {"NO", "SE", "FI", "DK"}
    for customer in CUSTOMERS:
        assert CHECKS[customer.body["country"]].is_valid(customer.body["organisation_number"])
        assert customer.body["addresses"][0]["country"] == customer.body["country"]
    numbers = [c.body["organisation_number"] for c in CUSTOMERS]
    assert len(set(numbers)) == len(numbers)


def test_contacts_have_valid_phones_and_distinct_emails_and_one_main_contact():
    for customer in CUSTOMERS:
        contacts = [c.body for c in customer.contacts]
        assert 1 <= len(contacts) <= 3
        assert [c["main"] for c in contacts].count(True) == 1
        assert len({c["email"] for c in contacts}) == len(contacts)
        for contact in contacts:
            number = phonenumbers.parse(contact["phone"])
            assert phonenumbers.is_valid_number(number)
            assert phonenumbers.region_code_for_number(number) == customer.body["country"]
            assert contact["email"].isascii()


def test_activities_carry_what_their_kind_needs_and_distinct_subjects():
    kinds = set()
    for customer in CUSTOMERS:
        subjects = [a.body["subject"] for a in customer.activities]
        assert len(set(subjects)) == len(subjects)
        for activity in customer.activities:
            body, kind = activity.body, activity.body["kind"]
            kinds.add(kind)
            assert ("due_at" in body) == (kind == "task")
            assert ("starts_at" in body) == (kind == "calendar")
            assert ("status" in body) == (kind in ("task", "calendar"))
            assert all(n < len(customer.contacts) for n in activity.contacts)
    assert kinds == {"note", "call", "meeting", "task", "calendar"}


def test_ascii_slug_folds_nordic_letters():
    assert seed_data.ascii_slug("Østbø Bygg Æra Åsa Mäkinen", "-") == "ostbo-bygg-aera-asa-makinen"
