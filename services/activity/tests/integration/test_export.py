"""The notes export: a CSV file a spreadsheet opens cleanly, with no formula a note holds, filtered like
the lists, of the caller's office only, and read a batch at a time."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from activity.adapters.repository import EXPORT_COLUMNS
from activity.adapters.tables import activities
from activity.domain.listing import activity_query
from activity.service.queries import EXPORT_BATCH_SIZE, exported_notes
from activity_api_helpers import (
    auth,
    contact_created,
    customer_created,
    log,
    new_customer,
    publish_events,
    sessions_of,
    until_copied,
)
from servicekit.testing.states import a_contact, a_customer


async def export(api, token, **params) -> tuple[list[dict[str, str]], bytes]:
    response = await api.get("/v1/activities/export", params=params, headers=auth(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="notes-')
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark"
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    assert tuple(reader.fieldnames or ()) == EXPORT_COLUMNS
    return list(reader), raw


async def test_notes_come_out_readable_quoted_and_without_formulas(
    api, make_token, infra, topology, office_id
):
    customer = a_customer(office_id, customer_number="10042", name="Østbø Bygg, avd. Nord")
    kari = a_contact(office_id, customer.id, first_name="Kari", last_name="Ås")
    ola = a_contact(office_id, customer.id, first_name="Ola", last_name="=Nordmann")
    await publish_events(
        infra.amqp_url, topology, customer_created(customer), contact_created(kari), contact_created(ola)
    )
    for state in (customer, kari, ola):
        await until_copied(sessions_of(api), state)
    token = make_token("manager")
    first = await log(
        api,
        token,
        customer.id,
        subject='=HYPERLINK("http://evil.example","click")',
        body='Line one, with a comma\nand "quotes"\r\n+47 41 23 45 67',
        contact_ids=[str(ola.id), str(kari.id)],
        project={"system": "projects", "reference": "-P-1"},
        occurred_at="2026-11-01T09:00:00Z",
    )
    await log(
        api,
        token,
        customer.id,
        subject="@mention",
        body="-5 is fine as text",
        occurred_at="2026-11-02T09:00:00Z",
    )
    await log(api, token, customer.id, kind="call", subject="A call is no note")
    await log(api, token, customer.id, kind="task", subject="Nor is a task")

    rows, raw = await export(api, token)
    header, *_ = raw.split(b"\r\n", 1)
    assert header == ("\ufeff" + ",".join(EXPORT_COLUMNS)).encode()
    assert raw.endswith(b"+00:00\r\n"), "CRLF ends every line; a line break in a note stays in its quotes"
    assert [row["subject"] for row in rows] == ['\'=HYPERLINK("http://evil.example","click")', "'@mention"]
    row = rows[0]
    assert row["body"] == 'Line one, with a comma\nand "quotes"\r\n+47 41 23 45 67'
    assert rows[1]["body"] == "'-5 is fine as text"
    assert (row["customer_number"], row["customer_name"]) == ("10042", "Østbø Bygg, avd. Nord")
    assert row["contacts"] == "Ola =Nordmann; Kari Ås", "in the order the note names them"
    assert (row["project_system"], row["project_reference"]) == ("projects", "'-P-1")
    assert (row["id"], row["occurred_at"], row["author_id"], row["author_name"]) == (
        first["id"],
        "2026-11-01T09:00:00+00:00",
        first["author"]["id"],
        "Test User",
    )


async def test_the_export_is_filtered_by_customer_author_and_date_range_and_stays_in_the_office(
    api, customer_api, make_token
):
    me, colleague, elsewhere = (
        make_token("manager"),
        make_token("manager"),
        make_token("manager", office="branch"),
    )
    fjord = await new_customer(customer_api, me, name="Fjord AS")
    vik = await new_customer(customer_api, me, name="Vik AS")
    shared = await new_customer(
        customer_api, make_token("office_admin"), name="Shared AS", **{"global": True}
    )
    await log(api, me, fjord["id"], subject="mine, Fjord, 1st", occurred_at="2026-11-01T10:00:00Z")
    await log(api, colleague, fjord["id"], subject="theirs, Fjord, 2nd", occurred_at="2026-11-02T10:00:00Z")
    await log(api, me, vik["id"], subject="mine, Vik, 3rd", occurred_at="2026-11-03T10:00:00Z")
    await log(api, me, shared["id"], subject="mine, shared, 4th", occurred_at="2026-11-04T10:00:00Z")
    await log(api, elsewhere, shared["id"], subject="the branch's", occurred_at="2026-11-04T11:00:00Z")
    author = (await api.get("/v1/activities", params={"customer_id": vik["id"]}, headers=auth(me))).json()[
        "items"
    ][0]

    def subjects(rows):
        return [row["subject"] for row in rows]

    assert subjects((await export(api, me))[0]) == [
        "mine, Fjord, 1st",
        "theirs, Fjord, 2nd",
        "mine, Vik, 3rd",
        "mine, shared, 4th",
    ], "oldest first, and never another office's notes"
    assert subjects((await export(api, me, customer_id=fjord["id"]))[0]) == [
        "mine, Fjord, 1st",
        "theirs, Fjord, 2nd",
    ]
    assert subjects((await export(api, me, author=author["author"]["id"]))[0]) == [
        "mine, Fjord, 1st",
        "mine, Vik, 3rd",
        "mine, shared, 4th",
    ]
    in_range = await export(api, me, **{"from": "2026-11-02T10:00:00Z", "to": "2026-11-04T10:00:00Z"})
    assert subjects(in_range[0]) == ["theirs, Fjord, 2nd", "mine, Vik, 3rd"]
    assert subjects((await export(api, elsewhere))[0]) == ["the branch's"]
    nothing, raw = await export(api, make_token("viewer", office="empty-office"))
    assert (nothing, raw) == ([], ("\ufeff" + ",".join(EXPORT_COLUMNS) + "\r\n").encode())


async def test_an_export_of_a_customer_not_in_the_office_or_with_bad_filters_is_refused(api, make_token):
    token = make_token("viewer")
    unknown = await api.get(
        "/v1/activities/export", params={"customer_id": str(uuid.uuid4())}, headers=auth(token)
    )
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    backwards = await api.get(
        "/v1/activities/export",
        params={"from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"},
        headers=auth(token),
    )
    assert (backwards.status_code, backwards.json()["errors"][0]["field"]) == (422, "to")
    naive = await api.get(
        "/v1/activities/export", params={"from": "2026-11-02T00:00:00"}, headers=auth(token)
    )
    assert (naive.status_code, naive.json()["errors"][0]["field"]) == (422, "from")
    assert (await api.get("/v1/activities/export")).status_code == 401


async def test_a_large_export_is_read_a_batch_at_a_time_and_every_note_comes_out_once(
    api, customer_api, make_token, office_id
):
    token = make_token("manager")
    customer = await new_customer(customer_api, token)
    count = EXPORT_BATCH_SIZE * 2 + 17
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(count):
        moment = start + timedelta(minutes=n // 3)  # several notes share a moment: ties broken by id
        rows.append(
            {
                "id": uuid.uuid4(),
                "office_id": office_id,
                "customer_id": uuid.UUID(customer["id"]),
                "kind": "note",
                "subject": f"note {n}",
                "author_id": "user-1",
                "contact_ids": [],
                "occurred_at": moment,
                "created_at": moment,
                "created_by": "user-1",
                "updated_at": moment,
                "updated_by": "user-1",
                "version": 1,
            }
        )
    async with sessions_of(api)() as session:
        await session.execute(insert(activities), rows)
        await session.commit()

    batches = [
        batch
        async for batch in exported_notes(
            sessions_of(api), office_id, activity_query(kinds=frozenset({"note"}))
        )
    ]
    assert [len(batch) for batch in batches] == [EXPORT_BATCH_SIZE, EXPORT_BATCH_SIZE, 17]

    exported, _ = await export(api, token)
    expected = sorted(rows, key=lambda row: (row["occurred_at"], row["id"]))
    assert [row["id"] for row in exported] == [str(row["id"]) for row in expected]
