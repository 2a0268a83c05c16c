"""Logging, reading, editing and deleting activities through the API, with the events they publish."""

from __future__ import annotations

import uuid

import pytest

from activity_api_helpers import auth, log, new_customer


@pytest.fixture
async def customer(customer_api, make_token):
    return await new_customer(customer_api, make_token("manager"))


async def test_a_note_is_logged_by_the_caller_now_and_published_with_its_full_state(
    api, customer, make_token, bus_listener
):
    token = make_token("manager")
    response = await api.post(
        "/v1/activities",
        json={
            "kind": "note",
            "customer_id": customer["id"],
            "subject": " Called Kari ",
            "body": "About the offer",
        },
        headers=auth(token),
    )
    assert response.status_code == 201, response.text
    note = response.json()
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/v1/activities/{note['id']}"
    assert note["subject"] == "Called Kari"
    assert note["author"] == {"id": note["created_by"], "name": "Test User"}
    assert note["occurred_at"] == note["created_at"]
    assert (note["status"], note["due_at"], note["customer_active"], note["version"]) == (None, None, True, 1)

    [event] = await bus_listener.wait_for(1, "activity.created")
    assert event["aggregate_id"] == note["id"]
    assert event["aggregate_version"] == 1
    assert event["payload"]["activity"] == {k: v for k, v in note.items() if k != "customer_active"}
    assert event["actor"]["id"] == note["created_by"]


async def test_a_task_and_a_calendar_entry_are_planned_and_keep_their_times(api, customer, make_token):
    token = make_token("manager")
    task = await log(
        api, token, customer["id"], kind="task", subject="Send offer", due_at="2026-12-10T16:00:00+01:00"
    )
    assert (task["status"], task["due_at"]) == ("planned", "2026-12-10T15:00:00Z")
    entry = await log(
        api,
        token,
        customer["id"],
        kind="calendar",
        subject="Site visit",
        starts_at="2026-12-11T09:00:00Z",
        ends_at="2026-12-11T11:00:00Z",
        occurred_at="2026-12-01T08:00:00Z",
    )
    assert (entry["status"], entry["starts_at"], entry["ends_at"], entry["occurred_at"]) == (
        "planned",
        "2026-12-11T09:00:00Z",
        "2026-12-11T11:00:00Z",
        "2026-12-01T08:00:00Z",
    )
    done = await log(api, token, customer["id"], kind="task", subject="Called back", status="done")
    assert (done["status"], done["done_by"], done["done_at"]) == (
        "done",
        done["author"]["id"],
        done["created_at"],
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "note", "status": "planned"}, "status"),
        ({"kind": "call", "due_at": "2026-12-10T16:00:00Z"}, "due_at"),
        ({"kind": "task", "starts_at": "2026-12-10T16:00:00Z"}, "starts_at"),
        ({"kind": "calendar"}, "starts_at"),
        (
            {"kind": "calendar", "starts_at": "2026-12-10T16:00:00Z", "ends_at": "2026-12-10T15:59:00Z"},
            "ends_at",
        ),
        ({"kind": "meeting", "occurred_at": "2026-12-10T16:00:00"}, "occurred_at"),
        ({"kind": "note", "subject": "   "}, "subject"),
    ],
)
async def test_what_a_kind_does_not_carry_is_refused_naming_the_field(api, customer, make_token, body, field):
    token = make_token("manager")
    sent = {"subject": "Follow up", "customer_id": customer["id"], **body}
    response = await api.post("/v1/activities", json=sent, headers=auth(token))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert (await api.get("/v1/activities", headers=auth(token))).json()["items"] == []


async def test_an_activity_is_read_with_its_etag_and_another_office_never_sees_it(api, customer, make_token):
    token = make_token("viewer")
    note = await log(api, make_token("manager"), customer["id"])
    response = await api.get(f"/v1/activities/{note['id']}", headers=auth(token))
    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    assert response.json() == note
    elsewhere = await api.get(
        f"/v1/activities/{note['id']}", headers=auth(make_token("office_admin", office="other"))
    )
    assert elsewhere.status_code == 404
    assert (await api.get(f"/v1/activities/{uuid.uuid4()}", headers=auth(token))).status_code == 404


async def test_an_edit_needs_the_version_read_and_names_what_it_changed(
    api, customer, make_token, bus_listener
):
    token = make_token("manager")
    note = await log(api, token, customer["id"])
    path = f"/v1/activities/{note['id']}"
    assert (await api.patch(path, json={"subject": "x"}, headers=auth(token))).status_code == 428
    response = await api.patch(
        path, json={"subject": "Called again", "body": None}, headers=auth(token, **{"If-Match": '"1"'})
    )
    assert response.status_code == 200, response.text
    assert (response.json()["subject"], response.json()["version"], response.headers["ETag"]) == (
        "Called again",
        2,
        '"2"',
    )
    stale = await api.patch(path, json={"subject": "Lost"}, headers=auth(token, **{"If-Match": '"1"'}))
    assert stale.status_code == 412
    [event] = await bus_listener.wait_for(1, "activity.updated")
    assert event["payload"]["changed_fields"] == ["subject"]
    assert event["aggregate_version"] == 2


async def test_an_edit_that_changes_nothing_keeps_the_version_and_publishes_nothing(
    api, customer, make_token, bus_listener
):
    token = make_token("manager")
    note = await log(api, token, customer["id"], body="Text")
    response = await api.patch(
        f"/v1/activities/{note['id']}",
        json={"subject": note["subject"], "body": "Text", "occurred_at": note["occurred_at"]},
        headers=auth(token, **{"If-Match": "*"}),
    )
    assert (response.status_code, response.json()["version"]) == (200, 1)
    await bus_listener.wait_for(1, "activity.created")
    assert bus_listener.of_type("activity.updated") == []


async def test_marking_a_task_done_records_who_and_when_and_reopening_clears_it(
    api, customer, make_token, bus_listener
):
    author, admin = make_token("manager"), make_token("office_admin")
    task = await log(api, author, customer["id"], kind="task", subject="Send offer")
    path = f"/v1/activities/{task['id']}"
    done = await api.patch(path, json={"status": "done"}, headers=auth(admin, **{"If-Match": '"1"'}))
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done"
    assert done.json()["done_by"] == done.json()["updated_by"] != task["author"]["id"]
    assert done.json()["done_at"] == done.json()["updated_at"]
    reopened = await api.patch(path, json={"status": "planned"}, headers=auth(author, **{"If-Match": '"2"'}))
    assert (reopened.json()["status"], reopened.json()["done_at"], reopened.json()["done_by"]) == (
        "planned",
        None,
        None,
    )
    events = await bus_listener.wait_for(2, "activity.updated")
    assert [e["payload"]["changed_fields"] for e in events] == [["done_at", "done_by", "status"]] * 2


@pytest.mark.parametrize(
    ("kind", "patch", "field"),
    [
        ("note", {"status": "done"}, "status"),
        ("note", {"kind": "task"}, "kind"),
        ("note", {"customer_id": str(uuid.uuid4())}, "customer_id"),
        ("task", {"starts_at": "2026-12-10T16:00:00Z"}, "starts_at"),
        ("task", {"status": None}, "status"),
        ("note", {"subject": None}, "subject"),
        ("note", {"contact_ids": None}, "contact_ids"),
        ("note", {"occurred_at": None}, "occurred_at"),
    ],
)
async def test_an_edit_the_rules_refuse_is_a_422_naming_the_field(
    api, customer, make_token, kind, patch, field
):
    token = make_token("manager")
    activity = await log(api, token, customer["id"], kind=kind)
    response = await api.patch(
        f"/v1/activities/{activity['id']}", json=patch, headers=auth(token, **{"If-Match": '"1"'})
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_a_calendar_entry_moved_to_end_before_it_starts_is_refused(api, customer, make_token):
    token = make_token("manager")
    entry = await log(
        api,
        token,
        customer["id"],
        kind="calendar",
        starts_at="2026-12-11T09:00:00Z",
        ends_at="2026-12-11T10:00:00Z",
    )
    response = await api.patch(
        f"/v1/activities/{entry['id']}",
        json={"starts_at": "2026-12-11T10:30:00Z"},
        headers=auth(token, **{"If-Match": "*"}),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "ends_at"


async def test_only_the_author_or_an_office_admin_edits_or_deletes(api, customer, make_token):
    author, colleague, admin = make_token("manager"), make_token("manager"), make_token("office_admin")
    note = await log(api, author, customer["id"])
    path = f"/v1/activities/{note['id']}"
    by_colleague = await api.patch(
        path, json={"subject": "Mine now"}, headers=auth(colleague, **{"If-Match": "*"})
    )
    assert by_colleague.status_code == 403
    assert by_colleague.headers["content-type"] == "application/problem+json"
    assert (await api.delete(path, headers=auth(colleague))).status_code == 403
    assert (
        await api.patch(path, json={"subject": "Fixed"}, headers=auth(admin, **{"If-Match": "*"}))
    ).status_code == 200
    assert (
        await api.patch(path, json={"subject": "Again"}, headers=auth(author, **{"If-Match": "*"}))
    ).status_code == 200
    assert (await api.delete(path, headers=auth(admin))).status_code == 204
    other_office_admin = make_token("office_admin", office="another-office")
    mine = await log(api, author, customer["id"])
    assert (
        await api.delete(f"/v1/activities/{mine['id']}", headers=auth(other_office_admin))
    ).status_code == 404


async def test_roles_decide_who_logs_edits_and_deletes_at_all(api, customer, make_token):
    viewer = make_token("viewer")
    sent = {"kind": "note", "subject": "Hello", "customer_id": customer["id"]}
    assert (await api.post("/v1/activities", json=sent, headers=auth(viewer))).status_code == 403
    note = await log(api, make_token("manager"), customer["id"])
    path = f"/v1/activities/{note['id']}"
    assert (
        await api.patch(path, json={"subject": "x"}, headers=auth(viewer, **{"If-Match": "*"}))
    ).status_code == 403
    assert (await api.delete(path, headers=auth(viewer))).status_code == 403
    assert (await api.get(path)).status_code == 401


async def test_a_deleted_activity_is_gone_and_its_last_state_published(
    api, customer, make_token, bus_listener
):
    token = make_token("manager")
    note = await log(api, token, customer["id"])
    path = f"/v1/activities/{note['id']}"
    assert (await api.delete(path, headers=auth(token, **{"If-Match": '"7"'}))).status_code == 412
    assert (await api.delete(path, headers=auth(token, **{"If-Match": '"1"'}))).status_code == 204
    assert (await api.get(path, headers=auth(token))).status_code == 404
    assert (await api.delete(path, headers=auth(token))).status_code == 404
    [event] = await bus_listener.wait_for(1, "activity.deleted")
    assert event["aggregate_version"] == 2
    assert event["payload"]["activity"]["subject"] == note["subject"]


async def test_a_repeated_log_with_the_same_idempotency_key_logs_once(api, customer, make_token):
    token = make_token("manager")
    sent = {"kind": "call", "subject": "Called", "customer_id": customer["id"]}
    first = await api.post("/v1/activities", json=sent, headers=auth(token, **{"Idempotency-Key": "call-1"}))
    again = await api.post("/v1/activities", json=sent, headers=auth(token, **{"Idempotency-Key": "call-1"}))
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len((await api.get("/v1/activities", headers=auth(token))).json()["items"]) == 1
    other = await api.post(
        "/v1/activities",
        json={**sent, "subject": "Other"},
        headers=auth(token, **{"Idempotency-Key": "call-1"}),
    )
    assert other.status_code == 422
