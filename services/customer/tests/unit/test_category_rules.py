"""Category rules, without a database: names, state transitions, versions."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from contracts.category import CategoryState
from customer.domain.category import (
    MAX_NAME_LENGTH,
    clean_name,
    deactivate,
    mark_deleted,
    new_category,
    reactivate,
    rename,
)
from customer.service.categories import to_state
from domainkit import Conflict, InvalidField

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


def a_category(name="Hotel"):
    return new_category(office_id="o1", name=name, created_by="u1", now=NOW)


def test_a_new_category_is_active_at_version_one_and_made_by_its_creator():
    category = a_category()
    assert category.name == "Hotel"
    assert category.office_id == "o1"
    assert category.active is True
    assert category.version == 1
    assert (category.created_by, category.created_at) == ("u1", NOW)
    assert (category.updated_by, category.updated_at) == ("u1", NOW)


def test_each_new_category_gets_its_own_id():
    assert a_category().id != a_category().id


def test_the_name_is_stored_stripped():
    assert a_category("  Conference centre \n").name == "Conference centre"


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_a_blank_name_is_refused_naming_the_field(name):
    with pytest.raises(InvalidField) as raised:
        a_category(name)
    assert raised.value.errors == [{"field": "name", "message": "must not be blank"}]


def test_a_name_may_be_100_characters_but_not_101():
    assert len(a_category("x" * MAX_NAME_LENGTH).name) == 100
    with pytest.raises(InvalidField) as raised:
        a_category("x" * (MAX_NAME_LENGTH + 1))
    assert raised.value.errors[0]["field"] == "name"
    assert "100" in raised.value.errors[0]["message"]


def test_the_length_is_counted_after_stripping():
    assert clean_name(" " + "x" * MAX_NAME_LENGTH + " ") == "x" * MAX_NAME_LENGTH


def test_nordic_letters_are_kept():
    assert a_category("Ørsta Øl & Båt").name == "Ørsta Øl & Båt"


def test_renaming_bumps_the_version_and_records_who_and_when():
    renamed = rename(a_category(), " Hotels ", changed_by="u2", now=LATER)
    assert renamed.name == "Hotels"
    assert renamed.version == 2
    assert (renamed.updated_by, renamed.updated_at) == ("u2", LATER)
    assert (renamed.created_by, renamed.created_at) == ("u1", NOW)


def test_renaming_to_the_same_name_is_no_change():
    category = a_category()
    assert rename(category, " Hotel ", changed_by="u2", now=LATER) is category


def test_renaming_only_the_case_is_a_change():
    assert rename(a_category(), "HOTEL", changed_by="u2", now=LATER).version == 2


def test_renaming_to_a_blank_name_is_refused():
    with pytest.raises(InvalidField, match="name"):
        rename(a_category(), "  ", changed_by="u2", now=LATER)


def test_deactivating_makes_it_inactive_with_a_new_version():
    deactivated = deactivate(a_category(), changed_by="u2", now=LATER)
    assert deactivated.active is False
    assert deactivated.version == 2
    assert (deactivated.updated_by, deactivated.updated_at) == ("u2", LATER)


def test_deactivating_twice_is_a_conflict_naming_the_category():
    deactivated = deactivate(a_category(), changed_by="u2", now=LATER)
    with pytest.raises(Conflict, match="Hotel is already inactive"):
        deactivate(deactivated, changed_by="u2", now=LATER)


def test_reactivating_makes_it_active_again_with_a_new_version():
    deactivated = deactivate(a_category(), changed_by="u2", now=LATER)
    reactivated = reactivate(deactivated, changed_by="u3", now=LATER)
    assert reactivated.active is True
    assert reactivated.version == 3
    assert reactivated.updated_by == "u3"


def test_reactivating_an_active_category_is_a_conflict():
    with pytest.raises(Conflict, match="already active"):
        reactivate(a_category(), changed_by="u2", now=LATER)


def test_an_inactive_category_can_still_be_renamed_and_stays_inactive():
    deactivated = deactivate(a_category(), changed_by="u2", now=LATER)
    renamed = rename(deactivated, "Old hotels", changed_by="u2", now=LATER)
    assert (renamed.name, renamed.active, renamed.version) == ("Old hotels", False, 3)


def test_the_last_state_of_a_deleted_category_is_one_version_on():
    category = replace(a_category(), version=4)
    last = mark_deleted(category, changed_by="u9", now=LATER)
    assert last.version == 5
    assert (last.name, last.active, last.updated_by) == ("Hotel", True, "u9")


def test_events_carry_the_full_state():
    category = deactivate(a_category(), changed_by="u2", now=LATER)
    state = to_state(category)
    assert isinstance(state, CategoryState)
    assert state.model_dump() == {
        "id": category.id,
        "office_id": "o1",
        "name": "Hotel",
        "active": False,
        "created_at": NOW,
        "created_by": "u1",
        "updated_at": LATER,
        "updated_by": "u2",
        "version": 2,
    }
