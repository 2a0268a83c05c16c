"""The customer API against real PostgreSQL and RabbitMQ: behaviour, events, errors, isolation."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from customer_api_helpers import auth, change_settings, create


async def test_create_then_read_returns_the_customer_with_its_version(api, make_token):
    token = make_token("manager")
    created = await create(api, token, country="no", segment="SMB", external_ids={"erp": "10042"})
    body = created.json()
    assert body["name"] == "Østbø Bygg AS"
    assert body["country"] == "NO"
    assert body["customer_number"] == "1"
    assert body["version"] == 1
    assert created.headers["ETag"] == '"1"'
    assert created.headers["Location"] == f"/v1/customers/{body['id']}"

    read = await api.get(created.headers["Location"], headers=auth(token))
    assert read.status_code == 200
    assert read.json() == body
    assert read.headers["ETag"] == '"1"'


async def test_numbers_are_drawn_per_office_and_skip_numbers_taken_by_hand(api, make_token):
    token = make_token("manager")
    await create(api, token, customer_number="2")
    numbers = [(await create(api, token)).json()["customer_number"] for _ in range(2)]
    assert numbers == ["1", "3"]
    other_office = make_token("manager", office=f"office-{uuid.uuid4().hex[:8]}")
    assert (await create(api, other_office)).json()["customer_number"] == "1"


async def test_concurrent_creates_never_share_a_number(api, make_token):
    token = make_token("manager")
    responses = await asyncio.gather(
        *(api.post("/v1/customers", json={"name": f"Kunde {i}"}, headers=auth(token)) for i in range(20))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["customer_number"] for r in responses}) == 20


async def test_a_number_taken_in_the_office_is_refused_naming_the_field(api, make_token):
    token = make_token("manager")
    await create(api, token, customer_number="K-1")
    again = await api.post("/v1/customers", json={"name": "B", "customer_number": "K-1"}, headers=auth(token))
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["errors"] == [{"field": "customer_number", "message": "is already taken"}]


async def test_creating_publishes_customer_created_with_the_full_state(api, make_token, bus_listener):
    token = make_token("manager")
    body = (await create(api, token, vat_number="NO923609016MVA", remarks="Pays late")).json()
    [event] = await bus_listener.wait_for(1, "customer.created")
    assert event["aggregate_id"] == body["id"]
    assert event["aggregate_version"] == 1
    assert event["schema_version"] == 1
    assert event["actor"]["kind"] == "user"
    state = event["payload"]["customer"]
    assert state["name"] == "Østbø Bygg AS"
    assert state["vat_number"] == "NO 923 609 016 MVA"  # the display form; the compact one is searched
    assert state["remarks"] == "Pays late"
    assert state["version"] == 1
    assert "personal_identity_number" not in state


async def test_the_correlation_id_of_the_request_travels_into_the_event(api, make_token, bus_listener):
    token = make_token("manager")
    response = await api.post(
        "/v1/customers", json={"name": "Korr AS"}, headers=auth(token, **{"X-Correlation-ID": "trace-123"})
    )
    assert response.headers["X-Correlation-ID"] == "trace-123"
    [event] = await bus_listener.wait_for(1, "customer.created")
    assert event["correlation_id"] == "trace-123"


async def test_update_with_the_current_etag_changes_fields_and_publishes(api, make_token, bus_listener):
    token = make_token("manager")
    created = await create(api, token)
    url, etag = created.headers["Location"], created.headers["ETag"]
    patched = await api.patch(
        url,
        json={"segment": "Enterprise", "owner": {"id": "u-7", "name": "Kari"}},
        headers=auth(token, **{"If-Match": etag}),
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["segment"] == "Enterprise"
    assert patched.json()["owner"] == {"id": "u-7", "name": "Kari"}
    assert patched.json()["version"] == 2
    assert patched.headers["ETag"] == '"2"'
    [event] = await bus_listener.wait_for(1, "customer.updated")
    assert event["aggregate_version"] == 2
    assert event["payload"]["changed_fields"] == ["owner", "segment"]
    assert event["payload"]["customer"]["segment"] == "Enterprise"


async def test_a_stale_update_gets_412_and_changes_nothing(api, make_token):
    token = make_token("manager")
    created = await create(api, token)
    url = created.headers["Location"]
    first = await api.patch(url, json={"segment": "A"}, headers=auth(token, **{"If-Match": '"1"'}))
    assert first.status_code == 200
    stale = await api.patch(url, json={"segment": "B"}, headers=auth(token, **{"If-Match": '"1"'}))
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert (await api.get(url, headers=auth(token))).json()["segment"] == "A"


async def test_an_update_without_if_match_is_refused_with_428(api, make_token):
    token = make_token("manager")
    url = (await create(api, token)).headers["Location"]
    response = await api.patch(url, json={"segment": "A"}, headers=auth(token))
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]


async def test_an_identical_update_makes_no_new_version_and_no_event(api, make_token, bus_listener):
    token = make_token("manager")
    created = await create(api, token, segment="SMB")
    response = await api.patch(
        created.headers["Location"], json={"segment": "SMB"}, headers=auth(token, **{"If-Match": '"1"'})
    )
    assert response.json()["version"] == 1
    await bus_listener.wait_for(1, "customer.created")
    await asyncio.sleep(0.5)
    assert bus_listener.of_type("customer.updated") == []


async def test_deactivate_and_reactivate_publish_and_cannot_repeat(api, make_token, bus_listener):
    token = make_token("manager")
    url = (await create(api, token)).headers["Location"]
    deactivated = await api.post(f"{url}/deactivate", headers=auth(token))
    assert deactivated.json()["active"] is False
    again = await api.post(f"{url}/deactivate", headers=auth(token))
    assert again.status_code == 409
    listed = await api.get("/v1/customers", params={"active": "false"}, headers=auth(token))
    assert [c["id"] for c in listed.json()["items"]] == [deactivated.json()["id"]]
    reactivated = await api.post(f"{url}/reactivate", headers=auth(token, **{"If-Match": '"2"'}))
    assert reactivated.json()["active"] is True
    assert reactivated.json()["version"] == 3
    events = await bus_listener.wait_for(3)
    assert [e["type"] for e in events] == ["customer.created", "customer.deactivated", "customer.reactivated"]
    assert [e["aggregate_version"] for e in events] == [1, 2, 3]


async def test_delete_removes_the_customer_and_publishes_its_last_state(api, make_token, bus_listener):
    token = make_token("manager")
    created = await create(api, token)
    url = created.headers["Location"]
    assert (await api.delete(url, headers=auth(token))).status_code == 204
    assert (await api.get(url, headers=auth(token))).status_code == 404
    [event] = await bus_listener.wait_for(1, "customer.deleted")
    assert event["aggregate_version"] == 2
    assert event["payload"]["customer"]["id"] == created.json()["id"]


async def test_list_filters_by_name_or_number_prefix_and_pages_with_a_cursor(api, make_token):
    token = make_token("viewer")
    writer = make_token("manager")
    names = ["Alfa AS", "alfabet", "Beta AS", "Gamma", "Alf Hansen"]
    for name in names:
        await create(api, writer, name=name)
    by_prefix = await api.get("/v1/customers", params={"q": "alf"}, headers=auth(token))
    assert [c["name"] for c in by_prefix.json()["items"]] == ["Alf Hansen", "Alfa AS", "alfabet"]
    by_number = await api.get("/v1/customers", params={"q": "3"}, headers=auth(token))
    assert [c["customer_number"] for c in by_number.json()["items"]] == ["3"]

    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/v1/customers", params=params, headers=auth(token))).json()
        seen += [c["name"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(names, key=str.lower)


async def test_a_like_wildcard_in_the_search_text_is_taken_literally(api, make_token):
    token = make_token("manager")
    await create(api, token, name="100% Solar")
    await create(api, token, name="100 Watt")
    found = await api.get("/v1/customers", params={"q": "100%"}, headers=auth(token))
    assert [c["name"] for c in found.json()["items"]] == ["100% Solar"]


async def test_identity_number_is_masked_except_for_admins(api, make_token):
    manager = make_token("manager")
    created = await create(
        api, manager, name="Ola Nordmann", type="private", personal_identity_number="01017012345"
    )
    assert created.json()["personal_identity_number"] == "*******2345"
    admin_view = await api.get(created.headers["Location"], headers=auth(make_token("office_admin")))
    assert admin_view.json()["personal_identity_number"] == "01017012345"


async def test_an_idempotent_create_repeated_replays_the_first_answer(api, make_token, bus_listener):
    token = make_token("manager")
    headers = auth(token, **{"Idempotency-Key": "import-row-17"})
    first = await api.post("/v1/customers", json={"name": "Once AS"}, headers=headers)
    second = await api.post("/v1/customers", json={"name": "Once AS"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    other_body = await api.post("/v1/customers", json={"name": "Other AS"}, headers=headers)
    assert other_body.status_code == 422
    listed = await api.get("/v1/customers", headers=auth(token))
    assert len(listed.json()["items"]) == 1
    await bus_listener.wait_for(1, "customer.created")
    await asyncio.sleep(0.3)
    assert len(bus_listener.of_type("customer.created")) == 1


async def test_concurrent_requests_with_one_idempotency_key_create_once(api, make_token):
    token = make_token("manager")
    headers = auth(token, **{"Idempotency-Key": "double-click"})
    responses = await asyncio.gather(
        *(api.post("/v1/customers", json={"name": "Race AS"}, headers=headers) for _ in range(5))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Unik AS", "country": "NO", "organisation_number": "923609016"},
        {"name": "Synk AS", "external_ids": {"erp": "E-1"}},
    ],
)
async def test_a_retry_whose_twin_is_still_in_flight_gets_the_twins_answer_not_a_conflict(
    api, make_token, body
):
    await change_settings(api, make_token("office_admin"), organisation_number_unique=True)
    headers = auth(make_token("manager"), **{"Idempotency-Key": f"retry-{uuid.uuid4()}"})
    answers = await asyncio.gather(*(api.post("/v1/customers", json=body, headers=headers) for _ in range(5)))
    assert [a.status_code for a in answers] == [201] * 5, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 4


async def test_an_idempotency_key_is_bound_to_its_path_and_may_not_hold_spaces(api, make_token):
    token = make_token("manager")
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    customer = (await api.post("/v1/customers", json={"name": "A"}, headers=auth(token, **key))).json()
    elsewhere = await api.post(
        f"/v1/customers/{customer['id']}/links",
        json={"system": "projects", "reference": "P1"},
        headers=auth(token, **key),
    )
    assert elsewhere.status_code == 422
    assert elsewhere.json()["errors"][0]["field"] == "Idempotency-Key"
    spaced = await api.post(
        "/v1/customers", json={"name": "A"}, headers=auth(token, **{"Idempotency-Key": "a b"})
    )
    assert spaced.status_code == 422
    assert spaced.json()["errors"][0]["field"] == "Idempotency-Key"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 301}, "name"),
        ({"name": "A", "type": "person"}, "type"),
        ({"name": "A", "country": "Norway"}, "country"),
        ({"name": "A", "category_ids": ["not-a-uuid"]}, "category_ids.0"),
        ({"name": "A", "owner": {"id": "u1"}}, "owner.name"),
        ({"name": "A", "colour": "red"}, "colour"),
        ({"name": "A", "external_ids": {"ERP system!": "1"}}, "external_ids.ERP system!.[key]"),
        ({"name": "A", "type": "private", "organisation_number": "923609016"}, "organisation_number"),
        ({"name": "A", "vat_mode": "sometimes"}, "vat_mode"),
    ],
)
async def test_bad_input_gets_a_problem_naming_the_field(api, make_token, body, field):
    response = await api.post("/v1/customers", json=body, headers=auth(make_token("manager")))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert field in [e["field"] for e in problem["errors"]]
    assert field in problem["detail"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        (
            "post",
            "/v1/customers",
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
            422,
        ),
        ("get", "/v1/customers/not-a-uuid", {}, 404),  # no customer id: names nothing, as for activities
        ("get", "/v1/customers", {"params": {"cursor": "garbage!"}}, 422),
        ("get", "/v1/customers", {"params": {"limit": 0}}, 422),
        (
            "patch",
            f"/v1/customers/{uuid.uuid4()}",
            {"json": {"name": None}, "headers": {"If-Match": '"1"'}},
            422,
        ),
        ("patch", f"/v1/customers/{uuid.uuid4()}", {"json": {}, "headers": {"If-Match": "yesterday"}}, 400),
        ("get", f"/v1/customers/{uuid.uuid4()}", {}, 404),
    ],
)
async def test_malformed_requests_get_4xx_problems_never_500(api, make_token, method, path, kwargs, status):
    headers = {**auth(make_token("manager")), **kwargs.pop("headers", {})}
    response = await getattr(api, method)(path, headers=headers, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


async def test_requests_without_a_valid_token_are_refused(api, make_token):
    assert (await api.get("/v1/customers")).status_code == 401
    forged = make_token("manager") + "x"
    response = await api.get("/v1/customers", headers=auth(forged))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("viewer", {"read"}),
        ("manager", {"read", "create", "edit", "delete"}),
        ("office_admin", {"read", "create", "edit", "delete"}),
    ],
)
async def test_roles_decide_what_a_user_may_do(api, make_token, role, allowed):
    token = make_token(role)
    target = (await create(api, make_token("manager"))).headers["Location"]
    outcomes = {
        "read": (await api.get(target, headers=auth(token))).status_code,
        "create": (await api.post("/v1/customers", json={"name": "N"}, headers=auth(token))).status_code,
        "edit": (
            await api.patch(target, json={"segment": "S"}, headers=auth(token, **{"If-Match": '"1"'}))
        ).status_code,
        "delete": (await api.delete(target, headers=auth(token))).status_code,
    }
    assert {action for action, code in outcomes.items() if code < 400} == allowed
    assert {code for action, code in outcomes.items() if action not in allowed} <= {403}


async def test_office_a_can_neither_read_nor_change_office_b_customers(api, make_token, bus_listener):
    office_b = make_token("office_admin")
    office_a = make_token("office_admin", office=f"office-{uuid.uuid4().hex[:8]}")
    created = await create(api, office_b)
    url = created.headers["Location"]

    assert (await api.get(url, headers=auth(office_a))).status_code == 404
    assert (await api.get("/v1/customers", headers=auth(office_a))).json()["items"] == []
    patch = await api.patch(url, json={"name": "Taken over"}, headers=auth(office_a, **{"If-Match": '"1"'}))
    assert patch.status_code == 404
    assert (await api.post(f"{url}/deactivate", headers=auth(office_a))).status_code == 404
    assert (await api.delete(url, headers=auth(office_a))).status_code == 404

    unchanged = await api.get(url, headers=auth(office_b))
    assert unchanged.json() == created.json()
    await bus_listener.wait_for(1)
    await asyncio.sleep(0.3)
    assert [e["type"] for e in bus_listener.received] == ["customer.created"]


async def test_health_readiness_and_metrics(api, make_token):
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    ready = await api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
    await create(api, make_token("manager"))
    metrics = (await api.get("/metrics")).text
    assert 'outbox_backlog{service="customer"}' in metrics
    assert (
        'http_requests_total{method="POST",route="/v1/customers",service="customer",status="201"}' in metrics
    )


async def test_openapi_and_docs_are_served(api):
    spec = (await api.get("/openapi.json")).json()
    assert "/v1/customers/{customer_id}" in spec["paths"]
    assert (await api.get("/docs")).status_code == 200


async def test_a_request_after_the_database_dropped_every_connection_still_succeeds(api, make_token, infra):
    token = make_token("manager")
    await create(api, token)  # the pool now holds open connections
    database = api.app.state.runtime.engine.url.database
    admin = await asyncpg.connect(infra.pg_admin_url)
    try:
        dropped = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
            database,
        )
    finally:
        await admin.close()
    assert dropped >= 1
    # No pre-ping: the first statement meets the dead connection, and the use case runs again.
    response = await api.post("/v1/customers", json={"name": "Etter omstart AS"}, headers=auth(token))
    assert response.status_code == 201, response.text
