"""The rules of an activity: what each kind carries, its status and times, who may change it."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from activity.domain.activity import (
    Activity,
    Author,
    apply_changes,
    check_may_change,
    mark_deleted,
    new_activity,
    without_contact,
)
from domainkit import InvalidField, NotAllowed

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)
AUTHOR = Author("user-1", "Kari Nordmann")


def an_activity(kind="note", **details) -> Activity:
    return new_activity(
        office_id="office-1",
        customer_id=uuid.uuid4(),
        kind=kind,
        subject="Called about the offer",
        author=AUTHOR,
        now=NOW,
        **details,
    )


def refused(field: str, call, *args, **kwargs) -> InvalidField:
    with pytest.raises(InvalidField) as raised:
        call(*args, **kwargs)
    assert raised.value.field == field, raised.value.detail
    return raised.value


# --- what a new activity is -------------------------------------------------------------------------


def test_a_new_activity_happened_now_by_its_author_unless_told_when():
    note = an_activity()
    assert (note.occurred_at, note.author, note.created_by, note.version) == (NOW, AUTHOR, "user-1", 1)
    assert an_activity(occurred_at=NOW - timedelta(days=3)).occurred_at == NOW - timedelta(days=3)


@pytest.mark.parametrize("kind", ["note", "call", "meeting"])
def test_notes_calls_and_meetings_have_no_status(kind):
    assert an_activity(kind).status is None
    refused("status", an_activity, kind, status="planned")


def test_tasks_and_calendar_entries_are_planned_until_marked_done():
    assert an_activity("task").status == "planned"
    assert an_activity("calendar", starts_at=LATER).status == "planned"
    task = an_activity("task", status="done")
    assert (task.status, task.done_at, task.done_by) == ("done", NOW, "user-1")


def test_only_a_task_has_a_due_time():
    assert an_activity("task", due_at=LATER).due_at == LATER
    assert an_activity("task").due_at is None  # a to-do without a deadline
    refused("due_at", an_activity, "calendar", starts_at=NOW, due_at=LATER)
    refused("due_at", an_activity, "note", due_at=LATER)


def test_only_a_calendar_entry_has_a_start_and_an_end_and_it_needs_a_start():
    entry = an_activity("calendar", starts_at=NOW, ends_at=LATER)
    assert (entry.starts_at, entry.ends_at, entry.scheduled_for) == (NOW, LATER, NOW)
    refused("starts_at", an_activity, "calendar")
    refused("starts_at", an_activity, "task", starts_at=NOW)
    refused("ends_at", an_activity, "meeting", ends_at=LATER)


def test_a_calendar_entry_ends_no_earlier_than_it_starts():
    assert an_activity("calendar", starts_at=NOW, ends_at=NOW).ends_at == NOW
    refused("ends_at", an_activity, "calendar", starts_at=LATER, ends_at=NOW)


def test_times_carry_their_zone():
    refused("occurred_at", an_activity, occurred_at=datetime(2026, 12, 1, 9, 0))
    refused("due_at", an_activity, "task", due_at=datetime(2026, 12, 1, 9, 0))


def test_the_subject_is_not_blank_and_contacts_are_named_once():
    refused(
        "subject",
        new_activity,
        office_id="o",
        customer_id=uuid.uuid4(),
        kind="note",
        subject=" \t",
        author=AUTHOR,
        now=NOW,
    )
    contact = uuid.uuid4()
    refused("contact_ids", an_activity, contact_ids=(contact, contact))
    refused("contact_ids", an_activity, contact_ids=tuple(uuid.uuid4() for _ in range(51)))


# --- edits --------------------------------------------------------------------------------------------


def test_marking_done_records_who_and_when_and_reopening_forgets_it():
    task = an_activity("task", due_at=LATER)
    done, changed = apply_changes(task, {"status": "done"}, changed_by="user-2", now=LATER)
    assert (done.status, done.done_at, done.done_by, done.version) == ("done", LATER, "user-2", 2)
    assert changed == ["done_at", "done_by", "status"]
    reopened, changed = apply_changes(done, {"status": "planned"}, changed_by="user-1", now=LATER)
    assert (reopened.status, reopened.done_at, reopened.done_by, reopened.version) == (
        "planned",
        None,
        None,
        3,
    )
    assert changed == ["done_at", "done_by", "status"]


def test_marking_done_what_is_done_changes_nothing_not_even_who_did_it():
    done, _ = apply_changes(an_activity("task"), {"status": "done"}, changed_by="user-1", now=NOW)
    again, changed = apply_changes(done, {"status": "done"}, changed_by="user-2", now=LATER)
    assert (again, changed) == (done, [])


def test_an_edit_that_changes_nothing_is_no_new_version():
    note = an_activity(body="Text")
    same, changed = apply_changes(
        note,
        {"subject": note.subject, "body": "Text", "occurred_at": NOW.astimezone()},
        changed_by="u",
        now=LATER,
    )
    assert (same, changed) == (note, [])


def test_an_edit_names_the_fields_it_changed_and_keeps_the_rules():
    note = an_activity()
    edited, changed = apply_changes(note, {"subject": "New", "body": "Notes"}, changed_by="user-1", now=LATER)
    assert (edited.subject, edited.body, edited.updated_at, edited.version) == ("New", "Notes", LATER, 2)
    assert changed == ["body", "subject"]
    refused("status", apply_changes, note, {"status": "done"}, changed_by="user-1", now=LATER)
    entry = an_activity("calendar", starts_at=NOW, ends_at=LATER)
    refused(
        "ends_at", apply_changes, entry, {"starts_at": LATER + timedelta(hours=1)}, changed_by="u", now=NOW
    )
    refused("starts_at", apply_changes, entry, {"starts_at": None}, changed_by="u", now=NOW)


@pytest.mark.parametrize("field", ["kind", "customer_id", "author", "done_at", "version"])
def test_the_kind_the_customer_and_what_follows_from_changes_cannot_be_edited(field):
    refused(field, apply_changes, an_activity(), {field: None}, changed_by="u", now=NOW)


def test_a_deleted_contact_leaves_an_activity_which_stays():
    kept, gone = uuid.uuid4(), uuid.uuid4()
    meeting = an_activity("meeting", contact_ids=(kept, gone))
    updated, changed = without_contact(meeting, gone, changed_by="activity", now=LATER)
    assert (updated.contact_ids, updated.version, changed) == ((kept,), 2, ["contact_ids"])
    assert without_contact(updated, gone, changed_by="activity", now=LATER) == (updated, [])


def test_the_last_state_of_a_deleted_activity_is_one_version_on():
    last = mark_deleted(an_activity(), changed_by="user-9", now=LATER)
    assert (last.version, last.updated_by, last.updated_at) == (2, "user-9", LATER)


# --- who may change it ------------------------------------------------------------------------------


def test_the_author_and_an_office_admin_may_change_an_activity_and_no_one_else():
    note = an_activity()
    check_may_change(note, user_id="user-1", is_admin=False)
    check_may_change(note, user_id="admin-7", is_admin=True)
    with pytest.raises(NotAllowed):
        check_may_change(note, user_id="user-2", is_admin=False)
