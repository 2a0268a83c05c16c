"""Lists of activities: per customer and per contact, newest first, filtered, a page at a time; the
planned view soonest first; never another office's."""

from __future__ import annotations

import uuid

import pytest

from activity_api_helpers import (
    auth,
    contact_created,
    log,
    new_customer,
    publish_events,
    sessions_of,
    until_copied,
)
from servicekit.testing.states import a_contact


async def listed(api, token, **params) -> list[dict]:
    response = await api.get("/v1/activities", params=params, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def every_page(api, token, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await api.get("/v1/activities", params=query, headers=auth(token))
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


def subjects(items: list[dict]) -> list[str]:
    return [item["subject"] for item in items]


@pytest.fixture
async def customers(customer_api, make_token):
    token = make_token("manager")
    return await new_customer(customer_api, token, name="Fjord AS"), await new_customer(
        customer_api, token, name="Vik AS"
    )


async def test_a_customers_activities_are_newest_first_page_by_page(api, customers, make_token):
    fjord, vik = customers
    token = make_token("manager")
    for day in (3, 1, 4, 2):
        await log(api, token, fjord["id"], subject=f"day {day}", occurred_at=f"2026-11-0{day}T10:00:00Z")
    same_moment = [
        await log(api, token, fjord["id"], subject="tie", occurred_at="2026-11-02T10:00:00Z")
        for _ in range(2)
    ]
    await log(api, token, vik["id"], subject="Vik's")

    items = await every_page(api, token, customer_id=fjord["id"], limit=2)
    assert len({item["id"] for item in items}) == len(items) == 6, "each once, across pages"
    assert subjects(items[:2]) == ["day 4", "day 3"]
    assert sorted(subjects(items[2:5])) == ["day 2", "tie", "tie"]
    assert subjects(items[5:]) == ["day 1"]
    same_time = [item["id"] for item in items[2:5]]
    assert same_time == sorted(same_time, reverse=True), "at the same moment, by id"
    assert {item["id"] for item in same_moment} <= set(same_time)


async def test_the_all_view_is_every_kind_and_kinds_filter_it(api, customers, make_token):
    fjord, _ = customers
    token = make_token("manager")
    await log(api, token, fjord["id"], kind="note", subject="note", occurred_at="2026-11-01T10:00:00Z")
    await log(api, token, fjord["id"], kind="call", subject="call", occurred_at="2026-11-02T10:00:00Z")
    await log(api, token, fjord["id"], kind="meeting", subject="meeting", occurred_at="2026-11-03T10:00:00Z")
    await log(api, token, fjord["id"], kind="task", subject="task", occurred_at="2026-11-04T10:00:00Z")
    assert subjects(await listed(api, token, customer_id=fjord["id"])) == ["task", "meeting", "call", "note"]
    assert subjects(await listed(api, token, kind=["call", "note"])) == ["call", "note"]
    assert subjects(await listed(api, token, kind="meeting")) == ["meeting"]


async def test_the_planned_view_is_soonest_first_and_the_done_view_newest_first(api, customers, make_token):
    fjord, _ = customers
    token = make_token("manager")
    await log(api, token, fjord["id"], kind="task", subject="no deadline", occurred_at="2026-11-09T10:00:00Z")
    await log(api, token, fjord["id"], kind="task", subject="due 12th", due_at="2026-12-12T10:00:00Z")
    await log(
        api, token, fjord["id"], kind="calendar", subject="visit 10th", starts_at="2026-12-10T08:00:00Z"
    )
    await log(api, token, fjord["id"], kind="task", subject="due 11th", due_at="2026-12-11T10:00:00Z")
    await log(
        api, token, fjord["id"], kind="task", subject="another without", occurred_at="2026-11-08T10:00:00Z"
    )
    done = await log(api, token, fjord["id"], kind="task", subject="done", due_at="2026-12-01T10:00:00Z")
    await api.patch(
        f"/v1/activities/{done['id']}", json={"status": "done"}, headers=auth(token, **{"If-Match": "*"})
    )
    await log(api, token, fjord["id"], kind="note", subject="a note")

    planned = await every_page(api, token, customer_id=fjord["id"], status="planned", limit=1)
    assert subjects(planned[:3]) == ["visit 10th", "due 11th", "due 12th"]
    assert set(subjects(planned[3:])) == {"no deadline", "another without"}, "those without a time come last"
    assert subjects(await listed(api, token, status="planned", sort="newest"))[-2:] == [
        "no deadline",
        "another without",
    ]
    assert subjects(await listed(api, token, status="done")) == ["done"]


async def test_a_contacts_activities_are_those_that_name_them(
    api, customers, make_token, infra, topology, office_id
):
    fjord, _ = customers
    kari = a_contact(office_id, uuid.UUID(fjord["id"]))
    ola = a_contact(office_id, uuid.UUID(fjord["id"]))
    await publish_events(infra.amqp_url, topology, contact_created(kari), contact_created(ola))
    for contact in (kari, ola):
        await until_copied(sessions_of(api), contact)
    token = make_token("manager")
    await log(api, token, fjord["id"], subject="with Kari", contact_ids=[str(kari.id)])
    await log(api, token, fjord["id"], subject="with both", contact_ids=[str(ola.id), str(kari.id)])
    await log(api, token, fjord["id"], subject="with Ola", contact_ids=[str(ola.id)])
    assert subjects(await listed(api, token, contact_id=str(kari.id))) == ["with both", "with Kari"]
    assert subjects(await listed(api, token, contact_id=str(ola.id), customer_id=fjord["id"])) == [
        "with Ola",
        "with both",
    ]


async def test_filters_by_project_author_and_date_range_all_hold(api, customers, make_token):
    fjord, vik = customers
    me, colleague = make_token("manager"), make_token("manager")
    project = {"system": "projects", "reference": "P-100"}
    await log(api, me, fjord["id"], subject="mine P-100", project=project, occurred_at="2026-11-10T12:00:00Z")
    await log(
        api, colleague, vik["id"], subject="theirs P-100", project=project, occurred_at="2026-11-11T12:00:00Z"
    )
    await log(
        api,
        me,
        fjord["id"],
        subject="mine P-200",
        project={**project, "reference": "P-200"},
        occurred_at="2026-11-12T12:00:00Z",
    )
    await log(api, me, fjord["id"], subject="mine, no project", occurred_at="2026-11-13T12:00:00Z")
    mine = (await listed(api, me))[0]["author"]["id"]

    assert subjects(await listed(api, me, project_system="projects", project_reference="P-100")) == [
        "theirs P-100",
        "mine P-100",
    ]
    assert subjects(await listed(api, me, project_system="projects", author=mine)) == [
        "mine P-200",
        "mine P-100",
    ]
    in_range = await listed(api, me, **{"from": "2026-11-11T12:00:00Z", "to": "2026-11-13T12:00:00Z"})
    assert subjects(in_range) == ["mine P-200", "theirs P-100"], "from is inclusive, to exclusive"
    assert subjects(await listed(api, me, **{"from": "2026-11-12T13:00:00+01:00"})) == [
        "mine, no project",
        "mine P-200",
    ]


async def test_no_list_shows_another_offices_activities(api, customer_api, make_token, office_id):
    shared = await new_customer(
        customer_api, make_token("office_admin", office="head-office"), **{"global": True}
    )
    ours, theirs = make_token("manager"), make_token("manager", office="head-office")
    await log(api, ours, shared["id"], subject="ours")
    await log(api, theirs, shared["id"], subject="theirs")
    assert subjects(await listed(api, ours, customer_id=shared["id"])) == ["ours"]
    assert subjects(await listed(api, theirs)) == ["theirs"]
    assert (
        subjects(await listed(api, make_token("viewer", office="third-office"), customer_id=shared["id"]))
        == []
    )
    local = await new_customer(customer_api, ours)
    await log(api, ours, local["id"], subject="local")
    other = await api.get("/v1/activities", params={"customer_id": local["id"]}, headers=auth(theirs))
    assert other.status_code == 404


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"customer_id": str(uuid.uuid4())}, 404, None),
        ({"contact_id": str(uuid.uuid4())}, 404, None),
        ({"cursor": "bm90LW91cnM"}, 422, "cursor"),
        ({"from": "2026-11-10T00:00:00Z", "to": "2026-11-10T00:00:00Z"}, 422, "to"),
        ({"project_reference": "P-1"}, 422, "project_reference"),
        ({"kind": "email"}, 422, "kind.0"),
        ({"status": "open"}, 422, "status"),
        ({"from": "yesterday"}, 422, "from"),
        ({"to": "2026-11-10T00:00:00"}, 422, "to"),
        ({"sort": "oldest"}, 422, "sort"),
        ({"limit": 201}, 422, "limit"),
    ],
)
async def test_a_filter_that_cannot_be_answered_is_refused_clearly(api, make_token, params, status, field):
    response = await api.get("/v1/activities", params=params, headers=auth(make_token("viewer")))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if field:
        assert response.json()["errors"][0]["field"] == field


async def test_a_cursor_of_one_order_is_refused_by_a_list_in_the_other(api, customers, make_token):
    fjord, _ = customers
    token = make_token("manager")
    for _ in range(2):
        await log(api, token, fjord["id"], kind="task", due_at="2026-12-01T10:00:00Z")
    page = await api.get("/v1/activities", params={"limit": 1}, headers=auth(token))
    cursor = page.json()["next_cursor"]
    refused = await api.get(
        "/v1/activities", params={"status": "planned", "cursor": cursor}, headers=auth(token)
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "cursor"
