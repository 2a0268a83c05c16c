"""Numbers in every written form a user may type reduce to the forms the index holds (issue 10 point 1)."""

from __future__ import annotations

import pytest

from search.domain.numbers import (
    compact,
    digits,
    looks_like_number,
    number_forms,
    phone_forms,
    query_phone_forms,
)


@pytest.mark.parametrize(
    "typed",
    ["NO 923 609 016 MVA", "923609016", "923 609 016", "923-609-016", "NO923609016MVA", "no 923609016"],
)
def test_a_norwegian_organisation_number_in_any_written_form_meets_an_indexed_form(typed):
    indexed = set(number_forms(country="NO", organisation="923609016"))
    assert compact(typed) in indexed or digits(typed) in indexed


@pytest.mark.parametrize(
    ("country", "organisation", "vat"),
    [
        ("SE", "556036-0793", "SE 556036079301"),
        ("FI", "0112038-9", "FI01120389"),
        ("DK", "13585628", "DK 13 58 56 28"),
        ("NO", "923 609 016", "NO 923 609 016 MVA"),
    ],
)
def test_the_vat_form_of_an_organisation_number_is_indexed_for_each_nordic_country(
    country, organisation, vat
):
    assert compact(vat) in number_forms(country=country, organisation=organisation)


def test_numbers_are_indexed_compact_and_as_digits_without_repeats():
    forms = number_forms("FR 40 303 265 045", "40303265045", country="FR")
    assert forms == ["40303265045", "fr40303265045"]


def test_a_country_without_a_vat_rule_adds_no_vat_form():
    assert number_forms(country="DE", organisation="HRB 1234") == ["1234", "hrb1234"]


@pytest.mark.parametrize(
    "typed", ["+47 412 34 567", "0047 41234567", "41234567", "+4741234567", "412 34 567"]
)
def test_a_norwegian_phone_in_any_written_form_meets_an_indexed_form(typed):
    assert set(query_phone_forms(typed)) & set(phone_forms("+4741234567"))


@pytest.mark.parametrize("typed", ["070-123 45 67", "+46 70 123 45 67", "0046701234567", "701234567"])
def test_a_swedish_mobile_with_its_trunk_zero_meets_an_indexed_form(typed):
    assert set(query_phone_forms(typed)) & set(phone_forms("+46701234567"))


def test_an_unparseable_phone_is_still_indexed_by_its_digits():
    assert phone_forms("not a phone 12") == ["12"]
    assert phone_forms(None) == []


def test_short_digit_runs_are_not_looked_up_as_phones_or_numbers():
    assert query_phone_forms("12 34") == []
    assert not looks_like_number("AS 12")
    assert looks_like_number("NO 923 609 016 MVA")
    assert not looks_like_number("Storgata 12")
