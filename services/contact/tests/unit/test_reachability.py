"""Phone numbers become E.164 in whatever usual form they are written; email addresses are checked and kept
in their normalised form."""

from __future__ import annotations

import pytest

from contact.domain.reachability import normalise_email, normalise_phone
from domainkit import InvalidField


@pytest.mark.parametrize(
    "written",
    ["+47 412 34 567", "0047 41234567", "41234567", "412 34 567", "+47-412-34-567", " 0047 412 34 567 "],
)
def test_a_norwegian_number_in_national_plus_or_00_form_becomes_e164(written):
    assert normalise_phone(written, "NO") == "+4741234567"


@pytest.mark.parametrize(
    ("written", "region", "e164"),
    [
        ("070-123 45 67", "SE", "+46701234567"),
        ("040 1234567", "FI", "+358401234567"),
        ("0046 70 123 45 67", "US", "+46701234567"),  # the US dials 011 abroad; 00 still means +
        ("0047 41234567", None, "+4741234567"),
        ("+1 650 253 0000", "NO", "+16502530000"),
        ("(650) 253-0000", "US", "+16502530000"),
    ],
)
def test_the_region_reads_national_numbers_and_a_country_code_wins_over_it(written, region, e164):
    assert normalise_phone(written, region) == e164


def test_a_national_number_without_a_country_to_read_it_in_is_refused_with_the_reason():
    with pytest.raises(InvalidField) as refused:
        normalise_phone("41234567", None)
    assert refused.value.field == "phone"
    assert "country code" in refused.value.message


@pytest.mark.parametrize("written", ["not a number", "4123", "+47 1234", "+999 12345678", "41234567 ext. 12"])
def test_what_cannot_be_dialled_is_refused_naming_the_phone(written):
    with pytest.raises(InvalidField) as refused:
        normalise_phone(written, "NO")
    assert refused.value.field == "phone"


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("kari@bygg.no", "kari@bygg.no"),
        ("Kari.Nordmann@Bygg.NO", "Kari.Nordmann@bygg.no"),
        ("ola@østbø.no", "ola@østbø.no"),
    ],
)
def test_an_email_keeps_its_local_part_and_gets_its_domain_in_lower_case(written, normalised):
    assert normalise_email(written) == normalised


@pytest.mark.parametrize(
    "written", ["kari", "kari@", "@bygg.no", "kari@bygg", "kari nordmann@bygg.no", "k@localhost"]
)
def test_an_email_that_is_not_an_address_is_refused_naming_the_email(written):
    with pytest.raises(InvalidField) as refused:
        normalise_email(written)
    assert refused.value.field == "email"
