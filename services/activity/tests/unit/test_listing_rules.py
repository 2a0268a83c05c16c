"""Which activities a list shows and in what order: the planned view reads soonest first."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from activity.domain.listing import activity_query
from domainkit import InvalidField

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_lists_are_newest_first_and_the_planned_view_soonest_first():
    assert activity_query().sort == "newest"
    assert activity_query(status="done").sort == "newest"
    assert activity_query(status="planned").sort == "schedule"


def test_an_order_asked_for_wins_over_the_default():
    assert activity_query(status="planned", sort="newest").sort == "newest"
    assert activity_query(sort="schedule").sort == "schedule"


def test_a_project_reference_needs_its_system():
    assert activity_query(project_system="projects", project_reference="P-1").project_reference == "P-1"
    with pytest.raises(InvalidField) as raised:
        activity_query(project_reference="P-1")
    assert raised.value.field == "project_reference"


@pytest.mark.parametrize("to", [NOW, NOW - timedelta(seconds=1)])
def test_a_date_range_ends_after_it_starts(to):
    with pytest.raises(InvalidField) as raised:
        activity_query(occurred_from=NOW, occurred_to=to)
    assert raised.value.field == "to"


def test_filters_are_kept_as_given():
    customer, contact = uuid.uuid4(), uuid.uuid4()
    query = activity_query(
        customer_id=customer, contact_id=contact, kinds=frozenset({"task", "calendar"}), author_id="user-1"
    )
    assert (query.customer_id, query.contact_id, query.kinds, query.author_id) == (
        customer,
        contact,
        frozenset({"task", "calendar"}),
        "user-1",
    )
