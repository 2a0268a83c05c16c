"""Organisation, VAT and tax ID numbers: validated per country, normalised for storage and search.

The valid numbers are the examples from python-stdnum's own doctests (real, valid numbers).
"""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.dk import cvr as dk_cvr
from stdnum.fi import alv as fi_alv
from stdnum.no import orgnr as no_orgnr

from customer.domain import tax_numbers
from customer.domain.tax_numbers import (
    NormalisedNumber,
    normalise_organisation_number,
    normalise_tax_id,
    normalise_vat_number,
    searchable_forms,
)
from domainkit import InvalidField


def refused(call, *args, **kwargs) -> InvalidField:
    with pytest.raises(InvalidField) as caught:
        call(*args, **kwargs)
    return caught.value


def field_of(error: InvalidField) -> str:
    assert error.errors is not None
    [item] = error.errors
    return item["field"]


def message_of(error: InvalidField) -> str:
    assert error.errors is not None
    return error.errors[0]["message"]


# --- organisation numbers, by example ------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["923609016", "923 609 016", "NO 923 609 016 MVA", "923.609.016", "NO923609016MVA", "no 923-609-016"],
)
def test_a_norwegian_organisation_number_is_the_same_however_it_is_written(written):
    assert normalise_organisation_number(written, "NO") == NormalisedNumber("923 609 016", "923609016")


@pytest.mark.parametrize(
    "written", ["5561888404", "556188-8404", "SE 556188-8404", "SE556188840401", "556 188 8404"]
)
def test_a_swedish_organisation_number_is_the_same_however_it_is_written(written):
    assert normalise_organisation_number(written, "SE") == NormalisedNumber("556188-8404", "5561888404")


@pytest.mark.parametrize("written", ["2077474-0", "20774740", "FI 2077474-0", "FI20774740", "2077 474-0"])
def test_a_finnish_business_id_is_stored_as_digits_and_shown_with_its_dash(written):
    assert normalise_organisation_number(written, "FI") == NormalisedNumber("2077474-0", "20774740")


@pytest.mark.parametrize("written", ["13585628", "DK 13585628", "13 58 56 28", "DK-13.58.56.28"])
def test_a_danish_cvr_number_keeps_the_typed_form_for_display(written):
    # stdnum has no format function for CVR numbers, so what the user typed is shown.
    assert normalise_organisation_number(written, "DK") == NormalisedNumber(written, "13585628")


def test_the_country_code_is_tolerated_in_lower_case_and_with_whitespace():
    assert normalise_organisation_number("988077917", " no ") == NormalisedNumber("988 077 917", "988077917")
    assert "Norwegian" in message_of(refused(normalise_organisation_number, "988077918", "no"))


@pytest.mark.parametrize(
    ("country", "written", "country_name"),
    [
        ("NO", "988 077 918", "Norwegian"),
        ("SE", "1234567891", "Swedish"),
        ("FI", "2077474-1", "Finnish"),
        ("DK", "DK 13585627", "Danish"),
    ],
)
def test_a_wrong_check_digit_is_refused_naming_the_field_and_the_country(country, written, country_name):
    error = refused(normalise_organisation_number, written, country, field="organisation_number")
    assert field_of(error) == "organisation_number"
    assert isinstance(error, InvalidField)
    assert country_name in message_of(error)
    assert "check digit is wrong" in message_of(error)


def test_a_wrong_length_and_stray_characters_are_explained():
    assert "wrong length (expected 9 digits)" in message_of(
        refused(normalise_organisation_number, "92360901", "NO")
    )
    assert "characters that do not belong" in message_of(
        refused(normalise_organisation_number, "92360901X", "NO")
    )


def test_a_number_of_another_country_is_not_taken_for_a_norwegian_one():
    assert "Norwegian" in message_of(refused(normalise_organisation_number, "SE5561888404", "NO"))


def test_the_field_name_can_be_chosen_by_the_caller():
    assert (
        field_of(refused(normalise_organisation_number, "1", "NO", field="company.orgnr")) == "company.orgnr"
    )


@pytest.mark.parametrize("country", [None, "GB", "FR", "XX"])
def test_without_a_known_rule_a_number_is_kept_as_typed_and_compacted_for_search(country):
    assert normalise_organisation_number("  sc-123 456.7  ", country) == NormalisedNumber(
        "sc-123 456.7", "SC1234567"
    )


def test_whitespace_inside_a_number_is_collapsed_for_display():
    assert normalise_organisation_number("AB \t 12", None).display == "AB 12"


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("1" * 51, "longer than 50"),
        ("--- ...", "at least one letter or digit"),
        ("12\x0034", "characters that do not belong"),
    ],
)
def test_the_basic_sanity_rules_refuse_what_cannot_be_a_number(written, reason):
    error = refused(normalise_organisation_number, written, None)
    assert field_of(error) == "organisation_number"
    assert reason in message_of(error)


def test_the_compact_form_must_fit_as_well():
    # Upper-casing "ß" gives "SS": 30 typed characters would be stored as 60.
    assert "longer than 50" in message_of(refused(normalise_organisation_number, "ß" * 30, None))


def test_letters_that_decompose_when_upper_cased_are_compacted_to_a_stable_form():
    first = normalise_organisation_number("\u03901", None)
    assert first.compact == "\u03aa\u03011"
    assert normalise_organisation_number(first.compact, None) == NormalisedNumber(
        first.compact, first.compact
    )


def test_fifty_characters_are_accepted():
    assert normalise_organisation_number("1" * 50, None).compact == "1" * 50


def test_full_width_digits_and_invisible_characters_are_read_as_the_digits_they_show():
    full_width = "".join(chr(ord("\uff10") + int(digit)) for digit in "923609016")
    assert normalise_organisation_number(full_width, "NO").compact == "923609016"
    assert normalise_organisation_number("923\u200b609\u00ad016", "NO").compact == "923609016"


# --- VAT numbers, by example ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "country", "compact"),
    [
        ("DE136695976", None, "DE136695976"),
        ("136695976", "DE", "DE136695976"),
        ("BE 428759497", None, "BE0428759497"),
        ("428759497", "BE", "BE0428759497"),
        ("FR 61 954 506 077", "FR", "FR61954506077"),
        ("61954506077", "FR", "FR61954506077"),
        ("NL4495445B01", None, "NL004495445B01"),
        ("ATU13585627", "AT", "ATU13585627"),
        ("U13585627", "AT", "ATU13585627"),
        ("SE 556188840401", None, "SE556188840401"),
        ("556188840401", "SE", "SE556188840401"),
        ("FI 20774740", None, "FI20774740"),
        ("DK 13 58 56 28", None, "DK13585628"),
        ("pl 856-734-62-15", None, "PL8567346215"),
    ],
)
def test_eu_vat_numbers_are_stored_upper_case_with_their_country_prefix(written, country, compact):
    assert normalise_vat_number(written, country).compact == compact


def test_the_typed_eu_vat_number_is_displayed_with_the_prefix_it_implied():
    assert normalise_vat_number("DE 136 695 976", None).display == "DE 136 695 976"
    assert normalise_vat_number("136 695 976", "DE").display == "DE 136 695 976"


def test_a_typed_vat_number_too_long_to_show_with_its_prefix_is_shown_compact():
    typed = " ---- ".join("13585628")  # 50 characters: "DK " in front would make 53
    assert normalise_vat_number(typed, "DK") == NormalisedNumber("DK13585628", "DK13585628")


def test_the_prefix_written_on_the_number_wins_over_the_customers_country():
    # A Swedish customer may be registered for VAT in Denmark.
    assert normalise_vat_number("DK13585628", "SE").compact == "DK13585628"


@pytest.mark.parametrize(
    ("written", "country"), [("094259216", "GR"), ("EL 094259216", None), ("GR094259216", None)]
)
def test_greek_vat_numbers_use_the_el_prefix(written, country):
    assert normalise_vat_number(written, country).compact == "EL094259216"


@pytest.mark.parametrize(
    ("written", "country"),
    [
        ("NO 923 609 016 MVA", None),
        ("NO923609016MVA", "NO"),
        ("923609016MVA", "NO"),
        ("923 609 016 mva", "NO"),
        ("923609016", "NO"),
        ("NO 923609016", None),
    ],
)
def test_a_norwegian_vat_number_is_the_organisation_number_with_mva(written, country):
    assert normalise_vat_number(written, country) == NormalisedNumber("NO 923 609 016 MVA", "NO923609016MVA")


def test_uk_and_swiss_vat_numbers_have_their_own_rules():
    assert normalise_vat_number("980 7806 84", "GB") == NormalisedNumber("GB 980 7806 84", "GB980780684")
    assert normalise_vat_number("CHE-107.787.577 IVA", None) == NormalisedNumber(
        "CHE-107.787.577 IVA", "CHE107787577IVA"
    )
    assert normalise_vat_number("107.787.577 MWST", "CH").compact == "CHE107787577MWST"


@pytest.mark.parametrize(
    ("written", "country", "country_name"),
    [
        ("DE136695977", None, "Germany"),
        ("NO 923 609 017 MVA", None, "Norway"),
        ("802311781", "GB", "the United Kingdom"),
        ("CHE-107.787.578 IVA", None, "Switzerland"),
        ("SE556188840501", None, "Sweden"),
    ],
)
def test_an_invalid_vat_number_is_refused_naming_the_field_and_the_country(written, country, country_name):
    error = refused(normalise_vat_number, written, country)
    assert field_of(error) == "vat_number"
    assert f"VAT number for {country_name}" in message_of(error)


@pytest.mark.parametrize("country", [None, "US", "JP"])
def test_vat_numbers_of_other_countries_get_the_sanity_rules_only(country):
    assert normalise_vat_number("12-345 678", country) == NormalisedNumber("12-345 678", "12345678")


# --- further tax IDs -----------------------------------------------------------------------------


def test_tax_ids_of_type_vat_and_org_follow_the_vat_and_organisation_rules():
    assert normalise_tax_id("VAT", "923609016", "NO", 0).compact == "NO923609016MVA"
    assert normalise_tax_id("org", "NO 923 609 016 MVA", "NO", 0).compact == "923609016"


def test_siret_siren_and_ein_are_checked():
    assert normalise_tax_id("SIRET", "73282932000074", "FR", 0) == NormalisedNumber(
        "732 829 320 00074", "73282932000074"
    )
    assert normalise_tax_id("SIREN", "404.833.048", None, 0) == NormalisedNumber("404 833 048", "404833048")
    assert normalise_tax_id("EIN", "91-1144442", "US", 0) == NormalisedNumber("91-1144442", "911144442")
    assert "check digit" in message_of(refused(normalise_tax_id, "SIRET", "73282932000079", "FR", 0))
    assert "EIN" in message_of(refused(normalise_tax_id, "EIN", "07-1144442", "US", 0))


def test_gst_is_checked_as_an_indian_gstin_only_for_indian_customers():
    assert normalise_tax_id("GST", "27AAPFU0939F1ZV", "IN", 0).compact == "27AAPFU0939F1ZV"
    assert "GSTIN" in message_of(refused(normalise_tax_id, "GST", "27AAPFU0939F1ZO", "IN", 0))
    # An Australian GST registration is an ABN, not a GSTIN.
    assert normalise_tax_id("GST", "51 824 753 556", "AU", 0).compact == "51824753556"


def test_unknown_tax_id_types_get_the_sanity_rules_only():
    assert normalise_tax_id("KVK", "  1234 5678 ", "NL", 0) == NormalisedNumber("1234 5678", "12345678")


@pytest.mark.parametrize("tax_type", ["VAT", "ORG", "SIRET", "EIN", "anything"])
def test_tax_id_errors_name_the_exact_item(tax_type):
    assert field_of(refused(normalise_tax_id, tax_type, "", "NO", 2)) == "tax_ids.2.number"
    if tax_type != "anything":
        assert (
            field_of(refused(normalise_tax_id, tax_type, "NO 923 609 017 MVA", "NO", 2)) == "tax_ids.2.number"
        )


@pytest.mark.parametrize(
    "trip", [ValueError("invalid literal for int()"), IndexError("string index out of range")]
)
def test_whatever_else_a_stdnum_check_trips_over_is_refused_as_invalid(monkeypatch, trip):
    def trips(number: str) -> str:
        raise trip

    monkeypatch.setitem(tax_numbers._TAX_ID_SCHEMES, "EIN", tax_numbers._Scheme("test number", trips, None))
    error = refused(normalise_tax_id, "EIN", "12-3456789", "US", 1)
    assert field_of(error) == "tax_ids.1.number"
    assert message_of(error) == "is not a valid test number: it is not a valid number"


# --- searchable forms ----------------------------------------------------------------------------


def test_a_norwegian_vat_number_is_found_by_the_organisation_number():
    forms = searchable_forms(normalise_vat_number("NO 923 609 016 MVA", None))
    assert forms == {"NO923609016MVA", "923609016MVA", "NO923609016", "923609016"}
    assert normalise_organisation_number("923 609 016", "NO").compact in forms


@pytest.mark.parametrize(
    ("vat", "organisation_number", "country"),
    [
        ("SE556188840401", "556188-8404", "SE"),
        ("FI20774740", "2077474-0", "FI"),
        ("DK13585628", "13585628", "DK"),
    ],
)
def test_a_nordic_vat_number_is_found_by_the_organisation_number(vat, organisation_number, country):
    forms = searchable_forms(normalise_vat_number(vat, None))
    assert normalise_organisation_number(organisation_number, country).compact in forms


def test_vat_numbers_are_found_without_their_prefix():
    assert "U13585627" in searchable_forms(normalise_vat_number("ATU13585627", None))
    assert "004495445B01" in searchable_forms(normalise_vat_number("NL004495445B01", None))


def test_swiss_vat_numbers_are_found_by_their_uid_whatever_the_language_suffix():
    forms = searchable_forms(normalise_vat_number("CHE-107.787.577 MWST", None))
    assert {"CHE107787577", "107787577"} <= forms
    assert "CHE107787577" in searchable_forms(normalise_vat_number("CHE-107.787.577 IVA", None))


def test_searchable_forms_of_a_number_without_digits_is_just_the_compact_form():
    assert searchable_forms(NormalisedNumber("abc", "ABC")) == {"ABC"}


def test_an_unknown_prefix_is_not_stripped():
    assert searchable_forms(NormalisedNumber("SC 123", "SC123")) == {"SC123", "123"}


# --- properties ----------------------------------------------------------------------------------

DIGITS = "0123456789"


def _complete(base: str, checksum) -> str | None:
    """The base with the check digit that makes a mod-11 checksum zero, if there is one."""
    return next((base + d for d in DIGITS if checksum(base + d) == 0), None)


@st.composite
def valid_numbers(draw, country: str | None = None) -> tuple[str, str]:
    """(country, compact) of a valid organisation number, check digit computed by stdnum."""
    country = country or draw(st.sampled_from(["NO", "SE", "FI", "DK"]))
    if country == "NO":
        number = _complete(draw(st.text(DIGITS, min_size=8, max_size=8)), no_orgnr.checksum)
    elif country == "SE":
        base = draw(st.text(DIGITS, min_size=9, max_size=9))
        number = base + luhn.calc_check_digit(base)
    elif country == "FI":
        number = _complete(draw(st.text(DIGITS, min_size=7, max_size=7)), fi_alv.checksum)
    else:
        # CVR numbers never start with 0.
        number = _complete(
            draw(st.sampled_from("123456789")) + draw(st.text(DIGITS, min_size=6, max_size=6)),
            dk_cvr.checksum,
        )
    # Some bases have no check digit (the remainder would have to be 10): stdnum rejects them all.
    assume(number is not None)
    assert number is not None
    return country, number


@st.composite
def written_variants(draw, country: str, compact: str) -> str:
    """One of the ways people write a number: separators anywhere, prefix in any case, VAT forms."""
    separators = st.sampled_from(["", "", " ", "  ", ".", "-", "\u2013", "\u00a0"])
    written = compact[0] + "".join(draw(separators) + digit for digit in compact[1:])
    prefix = draw(
        st.sampled_from(["", country, country.lower(), country.title(), f"{country} ", f"{country}-"])
    )
    suffix = ""
    if country == "NO":
        suffix = draw(st.sampled_from(["", "MVA", " MVA", " mva"]))
    elif country == "SE" and prefix:
        suffix = draw(st.sampled_from(["", "01"]))
    padding = st.sampled_from(["", " ", "\t"])
    return draw(padding) + prefix + written + suffix + draw(padding)


@given(st.data())
@settings(max_examples=200)
def test_any_written_variant_of_a_valid_number_gives_the_same_compact_form(data):
    country, number = data.draw(valid_numbers())
    written = data.draw(written_variants(country, number))
    assert normalise_organisation_number(written, country).compact == number


@given(valid_numbers())
@settings(max_examples=200)
def test_organisation_number_normalisation_is_idempotent(valid):
    country, number = valid
    first = normalise_organisation_number(number, country)
    assert normalise_organisation_number(first.compact, country).compact == first.compact
    assert normalise_organisation_number(first.display, country) == first


@given(valid_numbers())
@settings(max_examples=200)
def test_vat_normalisation_is_idempotent(valid):
    country, number = valid
    vat_body = {"NO": f"{number}MVA", "SE": f"{number}01"}.get(country, number)
    first = normalise_vat_number(vat_body, country)
    assert first.compact.startswith(country)
    assert normalise_vat_number(first.compact, None).compact == first.compact
    assert normalise_vat_number(first.display, country) == first
    # ... and the VAT number is found by its organisation number.
    assert number in searchable_forms(first)


@given(valid_numbers(), st.data())
@settings(max_examples=200)
def test_any_single_digit_change_is_refused(valid, data):
    # True for all four: NO, DK and FI use mod 11 with weights that are all non-zero mod 11, so
    # a single substitution changes the sum by w * (d' - d), never a multiple of 11; Luhn (SE)
    # maps each digit, doubled or not, to distinct values, so a substitution always changes it.
    country, number = valid
    position = data.draw(st.integers(0, len(number) - 1))
    digit = data.draw(st.sampled_from(DIGITS.replace(number[position], "")))
    changed = number[:position] + digit + number[position + 1 :]
    assert field_of(refused(normalise_organisation_number, changed, country)) == "organisation_number"


COUNTRIES = st.sampled_from(
    [None, "NO", "SE", "FI", "DK", "DE", "GR", "NL", "AT", "GB", "CH", "FR", "IN", "US", "XX"]
)
TAX_TYPES = st.sampled_from(["VAT", "ORG", "SIRET", "SIREN", "GST", "EIN", "OTHER"])
# Text that looks like numbers often enough to reach the stdnum checks, as well as anything at all.
NUMBERISH = st.text() | st.text("0123456789 .-ABCDEFGHIJKLMNOPQRSTUVWXYZmvaeln", max_size=20)


def normalise_any(kind: str, text: str, country: str | None) -> NormalisedNumber:
    if kind == "ORGANISATION":
        return normalise_organisation_number(text, country)
    if kind == "VAT NUMBER":
        return normalise_vat_number(text, country)
    return normalise_tax_id(kind, text, country, 0)


@given(st.sampled_from(["ORGANISATION", "VAT NUMBER"]) | TAX_TYPES, NUMBERISH, COUNTRIES)
@settings(max_examples=500)
def test_arbitrary_text_is_normalised_idempotently_or_refused_with_invalid_field(kind, text, country):
    try:
        first = normalise_any(kind, text, country)
    except InvalidField:
        return  # the only exception allowed out: no stdnum error, no crash
    assert normalise_any(kind, first.compact, country).compact == first.compact
    assert normalise_any(kind, first.display, country) == first
    assert 0 < len(first.compact) <= 50
    assert len(first.display) <= 50


@given(st.text(min_size=1), st.text())
@settings(max_examples=200)
def test_searchable_forms_always_hold_the_compact_and_digits_only_forms(compact, display):
    forms = searchable_forms(NormalisedNumber(display, compact))
    digits = "".join(ch for ch in compact if ch in DIGITS)
    assert compact in forms
    assert not digits or digits in forms
    assert "" not in forms
    assert searchable_forms(NormalisedNumber(display, compact)) == forms


def test_a_separator_between_a_letter_and_its_accent_still_normalises_idempotently():
    # Found by hypothesis: NFKC turns a spacing cedilla into a space and a combining cedilla.
    first = normalise_organisation_number("K\u00b8", None)
    assert normalise_organisation_number(first.compact, None).compact == first.compact
    assert normalise_organisation_number(first.display, None).compact == first.compact
