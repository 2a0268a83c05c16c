"""Custom-field rules, without a database: definitions, values, and what a definition change would break."""

from datetime import date, datetime

import pytest

from customer.domain.custom_fields import (
    FieldDefinition,
    change_definition,
    is_valid_stored,
    new_definition,
    removed_options,
    validate_values,
    values_broken_by,
)
from domainkit import InvalidField

TEXT = FieldDefinition("note", "Note", "text")
NUMBER = FieldDefinition("employees", "Employees", "number")
DATE = FieldDefinition("signed_on", "Signed on", "date")
BOOL = FieldDefinition("newsletter", "Newsletter", "bool")
SELECT = FieldDefinition("level", "Contract level", "select", options=("Gold", "Silver", "Bronze"))
REQUIRED = FieldDefinition("region", "Region", "text", required=True, position=1)
DEFINITIONS = {d.key: d for d in (TEXT, NUMBER, DATE, BOOL, SELECT)}


def valid(definition, value):
    return validate_values({definition.key: definition}, {definition.key: value}, creating=False)[
        definition.key
    ]


def refusal(definition, value):
    with pytest.raises(InvalidField) as raised:
        valid(definition, value)
    [error] = raised.value.errors
    assert error["field"] == f"custom_fields.{definition.key}"
    return error["message"]


# --- values of each type -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"),
    [("Pays late", "Pays late"), ("  padded \n", "padded"), ("Ørsta ✓", "Ørsta ✓"), ("x" * 2000, "x" * 2000)],
)
def test_text_is_stored_stripped(value, stored):
    assert valid(TEXT, value) == stored


@pytest.mark.parametrize("value", [42, 4.2, True, ["a"], {"a": 1}])
def test_text_must_be_a_string(value):
    assert refusal(TEXT, value) == "must be text"


def test_text_may_be_2000_characters_after_stripping_but_not_more():
    assert valid(TEXT, " " + "x" * 2000 + " ") == "x" * 2000
    assert "2000" in refusal(TEXT, "x" * 2001)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (42, 42),
        (-7, -7),
        (0, 0),
        (3.5, 3.5),
        (10**20, 10**20),
        ("42", 42),
        (" -3 ", -3),
        ("+8", 8),
        ("3.25", 3.25),
        ("1e3", 1000.0),
        (".5", 0.5),
    ],
)
def test_numbers_become_ints_or_floats(value, stored):
    result = valid(NUMBER, value)
    assert result == stored
    assert type(result) is type(stored)


@pytest.mark.parametrize(
    "value", ["forty", "1,5", "1_000", "0x10", "NaN", "inf", "4 2", True, False, [1], {"n": 1}]
)
def test_anything_else_is_not_a_number(value):
    assert refusal(NUMBER, value).startswith("must be a")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_numbers_must_be_finite(value):
    assert refusal(NUMBER, value) == "must be a finite number"


def test_true_and_false_are_not_numbers_even_though_python_thinks_so():
    assert refusal(NUMBER, True) == "must be a number, not true or false"


@pytest.mark.parametrize(
    ("value", "stored"),
    [("2026-11-23", "2026-11-23"), (" 2024-02-29 ", "2024-02-29"), (date(2025, 1, 5), "2025-01-05")],
)
def test_dates_are_stored_as_iso_calendar_dates(value, stored):
    assert valid(DATE, value) == stored


@pytest.mark.parametrize(
    "value",
    [
        "2025-02-29",
        "2026-13-01",
        "23.11.2026",
        "11/23/2026",
        "20261123",
        "2026-W48-1",
        "2026-11-23T10:00:00",
        "2026-1-5",
        "tomorrow",
        20261123,
        True,
        datetime(2026, 11, 23, 10, 0),
    ],
)
def test_anything_else_is_not_a_date(value):
    assert refusal(DATE, value).startswith("must be a date as YYYY-MM-DD")


@pytest.mark.parametrize(
    ("value", "stored"),
    [(True, True), (False, False), ("true", True), ("FALSE", False), (" True ", True)],
)
def test_bools_are_true_or_false(value, stored):
    assert valid(BOOL, value) is stored


@pytest.mark.parametrize("value", [1, 0, 1.0, "yes", "no", "1", "ja", ["true"]])
def test_anything_else_is_not_a_bool(value):
    assert refusal(BOOL, value) == "must be true or false"


@pytest.mark.parametrize(
    ("value", "stored"), [("Gold", "Gold"), ("silver", "Silver"), (" BRONZE ", "Bronze")]
)
def test_a_select_value_is_stored_as_the_option_is_spelt(value, stored):
    assert valid(SELECT, value) == stored


@pytest.mark.parametrize("value", ["Platinum", "Gol", 1, True, ["Gold"]])
def test_a_select_value_must_be_one_of_the_options_and_the_message_lists_them(value):
    assert refusal(SELECT, value) == "must be one of: Gold, Silver, Bronze"


# --- clearing, unknown keys, required ----------------------------------------------------------------


@pytest.mark.parametrize("definition", [TEXT, NUMBER, DATE, BOOL, SELECT])
@pytest.mark.parametrize("empty", [None, "", "   "])
def test_null_or_a_blank_string_clears_a_value_of_any_type(definition, empty):
    assert valid(definition, empty) is None


def test_an_unknown_key_is_refused_naming_it():
    with pytest.raises(InvalidField) as raised:
        validate_values(DEFINITIONS, {"note": "ok", "shoe_size": 44}, creating=False)
    assert raised.value.errors == [
        {"field": "custom_fields.shoe_size", "message": "is not a custom field of this office"}
    ]


def test_an_office_without_definitions_takes_no_values_but_an_empty_map():
    assert validate_values({}, {}, creating=True) == {}
    with pytest.raises(InvalidField, match=r"custom_fields\.anything"):
        validate_values({}, {"anything": "x"}, creating=True)


def test_several_values_are_validated_and_normalised_together():
    values = {
        "note": " hi ",
        "employees": "12",
        "signed_on": "2026-01-02",
        "newsletter": "true",
        "level": "gold",
    }
    assert validate_values(DEFINITIONS, values, creating=False) == {
        "note": "hi",
        "employees": 12,
        "signed_on": "2026-01-02",
        "newsletter": True,
        "level": "Gold",
    }


def test_only_the_values_given_are_returned_on_update():
    definitions = {**DEFINITIONS, "region": REQUIRED}
    assert validate_values(definitions, {"employees": 3}, creating=False) == {"employees": 3}


def test_creating_needs_every_required_field():
    definitions = {**DEFINITIONS, "region": REQUIRED}
    with pytest.raises(InvalidField) as raised:
        validate_values(definitions, {"note": "x"}, creating=True)
    assert raised.value.errors == [{"field": "custom_fields.region", "message": "is required (Region)"}]


@pytest.mark.parametrize("empty", [None, "  "])
def test_creating_with_a_required_field_left_empty_is_refused(empty):
    with pytest.raises(InvalidField, match=r"custom_fields\.region: is required"):
        validate_values({"region": REQUIRED}, {"region": empty}, creating=True)


def test_creating_with_every_required_field_passes():
    assert validate_values({"region": REQUIRED}, {"region": " Vest "}, creating=True) == {"region": "Vest"}


def test_a_required_value_cannot_be_cleared_on_update():
    with pytest.raises(InvalidField) as raised:
        validate_values({"region": REQUIRED}, {"region": None}, creating=False)
    assert raised.value.errors == [
        {"field": "custom_fields.region", "message": "is required and cannot be cleared (Region)"}
    ]


def test_an_optional_value_can_be_cleared():
    assert validate_values(DEFINITIONS, {"note": None}, creating=False) == {"note": None}


def test_the_first_missing_required_field_in_card_order_is_named():
    first = FieldDefinition("b_first", "B", "text", required=True, position=0)
    second = FieldDefinition("a_second", "A", "text", required=True, position=5)
    with pytest.raises(InvalidField, match=r"custom_fields\.b_first"):
        validate_values({d.key: d for d in (second, first)}, {}, creating=True)


# --- definitions -------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["a", "contract_level", "vip2", "x" + "_" * 39, "a1_b2"])
def test_keys_are_lowercase_letters_digits_and_underscores(key):
    assert new_definition(key=key, label="L", type="text").key == key


@pytest.mark.parametrize(
    "key", ["", "1abc", "_abc", "Abc", "contract-level", "contract level", "æøå", "x" * 41, "a.b", "a\n"]
)
def test_other_keys_are_refused_naming_key(key):
    with pytest.raises(InvalidField) as raised:
        new_definition(key=key, label="L", type="text")
    assert raised.value.errors[0]["field"] == "key"


def test_a_new_definition_has_defaults_and_version_one():
    definition = new_definition(key="note", label="  Note ", type="text")
    assert definition == FieldDefinition("note", "Note", "text", (), False, 0, 1)


@pytest.mark.parametrize("label", ["", "   ", "x" * 101])
def test_a_label_is_1_to_100_characters(label):
    with pytest.raises(InvalidField) as raised:
        new_definition(key="k", label=label, type="text")
    assert raised.value.errors[0]["field"] == "label"


def test_an_unknown_type_is_refused_naming_type():
    with pytest.raises(InvalidField) as raised:
        new_definition(key="k", label="K", type="colour")
    assert raised.value.errors == [
        {"field": "type", "message": "must be one of text, number, date, bool, select"}
    ]


def test_a_select_needs_at_least_one_option():
    with pytest.raises(InvalidField) as raised:
        new_definition(key="k", label="K", type="select")
    assert raised.value.errors == [
        {"field": "options", "message": "a select field needs at least one option"}
    ]


def test_select_options_are_stripped_and_keep_their_order():
    definition = new_definition(key="k", label="K", type="select", options=[" B ", "A"])
    assert definition.options == ("B", "A")


@pytest.mark.parametrize(
    ("options", "field"),
    [
        (["Gold", "gold"], "options.1"),
        (["A", " ", "B"], "options.1"),
        (["A", "x" * 101], "options.1"),
        ([7], "options.0"),
    ],
)
def test_options_must_be_distinct_ignoring_case_and_not_blank(options, field):
    with pytest.raises(InvalidField) as raised:
        new_definition(key="k", label="K", type="select", options=options)
    assert raised.value.errors[0]["field"] == field


@pytest.mark.parametrize("field_type", ["text", "number", "date", "bool"])
def test_only_a_select_has_options(field_type):
    with pytest.raises(InvalidField) as raised:
        new_definition(key="k", label="K", type=field_type, options=["A"])
    assert raised.value.errors == [{"field": "options", "message": "only a select field has options"}]


@pytest.mark.parametrize("position", [-1, 10_001])
def test_position_is_0_to_10000(position):
    with pytest.raises(InvalidField, match="position"):
        new_definition(key="k", label="K", type="text", position=position)


# --- changing definitions ----------------------------------------------------------------------------


def test_a_change_bumps_the_version():
    changed = change_definition(SELECT, {"label": "Level", "options": ["Gold", "Silver", "Bronze", "Iron"]})
    assert (changed.label, changed.options, changed.version) == (
        "Level",
        ("Gold", "Silver", "Bronze", "Iron"),
        2,
    )
    assert changed.key == SELECT.key


def test_the_same_values_are_no_change():
    assert (
        change_definition(SELECT, {"label": " Contract level ", "options": ["Gold", "Silver", "Bronze"]})
        is SELECT
    )
    assert change_definition(SELECT, {}) is SELECT


@pytest.mark.parametrize("field", ["label", "type", "required", "position", "options"])
def test_nothing_can_be_set_to_null(field):
    with pytest.raises(InvalidField) as raised:
        change_definition(SELECT, {field: None})
    assert raised.value.errors[0]["field"] == field


def test_the_key_cannot_change():
    with pytest.raises(InvalidField) as raised:
        change_definition(TEXT, {"key": "other"})
    assert raised.value.errors == [{"field": "key", "message": "cannot be changed"}]


def test_leaving_select_drops_the_options():
    assert change_definition(SELECT, {"type": "text"}).options == ()


def test_becoming_a_select_needs_options():
    with pytest.raises(InvalidField, match="options"):
        change_definition(TEXT, {"type": "select"})
    assert change_definition(TEXT, {"type": "select", "options": ["A"]}).options == ("A",)


def test_changed_attributes_are_checked_like_new_ones():
    with pytest.raises(InvalidField, match="label"):
        change_definition(TEXT, {"label": ""})
    with pytest.raises(InvalidField, match="required"):
        change_definition(TEXT, {"required": "yes"})
    with pytest.raises(InvalidField, match="position"):
        change_definition(TEXT, {"position": True})
    with pytest.raises(InvalidField, match="options"):
        change_definition(SELECT, {"options": "Gold"})
    with pytest.raises(InvalidField, match="type"):
        change_definition(TEXT, {"type": "colour"})


def test_removed_options_are_those_no_longer_there_as_spelt():
    changed = change_definition(SELECT, {"options": ["GOLD", "Silver"]})
    assert removed_options(SELECT, changed) == ("Gold", "Bronze")


# --- what a change would break -----------------------------------------------------------------------


def test_values_in_the_stored_form_are_valid_under_their_own_definition():
    assert values_broken_by(TEXT, ["a", "b c"]) == 0
    assert values_broken_by(NUMBER, [1, 2.5, -3]) == 0
    assert values_broken_by(DATE, ["2026-11-23"]) == 0
    assert values_broken_by(BOOL, [True, False]) == 0
    assert values_broken_by(SELECT, ["Gold", "Bronze"]) == 0


def test_stored_nulls_are_no_values_and_never_broken():
    assert values_broken_by(NUMBER, [None, None]) == 0
    assert is_valid_stored(SELECT, None)


def test_text_to_number_breaks_every_stored_text_even_numeric_ones():
    to_number = change_definition(TEXT, {"type": "number"})
    # "42" would be read as 42 now, but the stored "42" would stay a string: not the number's form.
    assert values_broken_by(to_number, ["42", "many", "3.5"]) == 3


def test_number_to_text_breaks_stored_numbers():
    assert values_broken_by(change_definition(NUMBER, {"type": "text"}), [1, 2.5]) == 2


def test_bool_to_anything_breaks_stored_bools():
    for field_type in ("text", "number", "date"):
        assert values_broken_by(change_definition(BOOL, {"type": field_type}), [True, False, True]) == 3


def test_text_to_date_breaks_only_what_is_not_an_iso_date():
    to_date = change_definition(TEXT, {"type": "date"})
    assert values_broken_by(to_date, ["2026-11-23", "23.11.2026", "soon"]) == 2


def test_select_to_text_breaks_nothing():
    assert values_broken_by(change_definition(SELECT, {"type": "text"}), ["Gold", "Silver"]) == 0


def test_text_to_select_breaks_what_is_not_exactly_an_option():
    to_select = change_definition(TEXT, {"type": "select", "options": ["Gold", "Silver"]})
    assert values_broken_by(to_select, ["Gold", "gold", "Platinum", "Silver"]) == 2


def test_removing_options_breaks_the_values_that_had_them():
    fewer = change_definition(SELECT, {"options": ["Gold"]})
    assert values_broken_by(fewer, ["Gold", "Silver", "Bronze", "Silver"]) == 3


def test_respelling_an_option_breaks_values_with_the_old_spelling():
    respelt = change_definition(SELECT, {"options": ["GOLD", "Silver", "Bronze"]})
    assert values_broken_by(respelt, ["Gold", "Silver"]) == 1


def test_adding_or_reordering_options_breaks_nothing():
    more = change_definition(SELECT, {"options": ["Bronze", "Iron", "Silver", "Gold"]})
    assert values_broken_by(more, ["Gold", "Silver", "Bronze"]) == 0


def test_values_that_were_stored_unvalidated_count_as_broken():
    assert values_broken_by(NUMBER, ["12", True]) == 2
    assert values_broken_by(TEXT, ["  padded"]) == 1
    assert not is_valid_stored(SELECT, "silver")
