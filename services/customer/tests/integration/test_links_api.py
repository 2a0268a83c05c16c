"""Project links through the API against real PostgreSQL: register, list, remove, and their rules."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from customer_api_helpers import auth


async def a_customer(api: httpx.AsyncClient, token: str, name: str = "Østbø Bygg AS") -> str:
    response = await api.post("/v1/customers", json={"name": name}, headers=auth(token))
    assert response.status_code == 201, response.text
    return f"/v1/customers/{response.json()['id']}"


async def link(api: httpx.AsyncClient, token: str, customer: str, **body: object) -> httpx.Response:
    return await api.post(
        f"{customer}/links", json={"system": "projects", "reference": "P-1", **body}, headers=auth(token)
    )


async def all_links(api: httpx.AsyncClient, token: str, customer: str, limit: int = 50) -> list[dict]:
    seen, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = await api.get(f"{customer}/links", params=params, headers=auth(token))
        assert page.status_code == 200, page.text
        seen += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return seen


async def test_register_read_list_and_remove_a_link(api, make_token):
    token = make_token("manager")
    customer = await a_customer(api, token)
    created = await link(api, token, customer, reference="  P-1001 ", title="Summer party 2027")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["customer_id"] == customer.rsplit("/", 1)[1]
    assert (body["system"], body["reference"], body["title"]) == ("projects", "P-1001", "Summer party 2027")
    assert body["created_by"].startswith("user-")
    assert body["created_at"]
    assert created.headers["Location"] == f"{customer}/links/{body['id']}"

    read = await api.get(created.headers["Location"], headers=auth(token))
    assert read.status_code == 200
    assert read.json() == body
    assert await all_links(api, token, customer) == [body]

    assert (await api.delete(created.headers["Location"], headers=auth(token))).status_code == 204
    assert await all_links(api, token, customer) == []
    assert (await api.get(created.headers["Location"], headers=auth(token))).status_code == 404
    again = await api.delete(created.headers["Location"], headers=auth(token))
    assert again.status_code == 404
    assert again.headers["content-type"] == "application/problem+json"


async def test_the_list_pages_through_every_link_once_oldest_first(api, make_token):
    token = make_token("manager")
    customer = await a_customer(api, token)
    other = await a_customer(api, token, "Other AS")
    registered = []
    for n in range(7):
        response = await link(api, token, customer, reference=f"P-{n}")
        assert response.status_code == 201, response.text
        registered.append(response.json())
    assert (await link(api, token, other, reference="P-0")).status_code == 201

    first = (await api.get(f"{customer}/links", params={"limit": 3}, headers=auth(token))).json()
    assert len(first["items"]) == 3
    assert first["next_cursor"]
    seen = await all_links(api, token, customer, limit=3)
    assert [item["id"] for item in seen] == [item["id"] for item in registered]
    exact = await api.get(f"{customer}/links", params={"limit": 7}, headers=auth(token))
    assert len(exact.json()["items"]) == 7
    assert exact.json()["next_cursor"] is None


async def test_an_inactive_customer_takes_no_new_link_but_keeps_and_can_lose_its_links(api, make_token):
    token = make_token("manager")
    customer = await a_customer(api, token)
    kept = (await link(api, token, customer, reference="P-1")).json()
    assert (await api.post(f"{customer}/deactivate", headers=auth(token))).status_code == 200

    refused = await link(api, token, customer, reference="P-2")
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == "The customer is inactive and takes no new project links."
    assert await all_links(api, token, customer) == [kept]
    removed = await api.delete(f"{customer}/links/{kept['id']}", headers=auth(token))
    assert removed.status_code == 204

    assert (await api.post(f"{customer}/reactivate", headers=auth(token))).status_code == 200
    assert (await link(api, token, customer, reference="P-2")).status_code == 201


async def test_one_reference_of_one_system_is_linked_once_per_customer(api, make_token):
    token = make_token("manager")
    customer = await a_customer(api, token)
    other = await a_customer(api, token, "Other AS")
    first = await link(api, token, customer, system="erp", reference="O-1")
    assert first.status_code == 201

    twice = await link(api, token, customer, system="erp", reference=" O-1 ", title="Again")
    assert twice.status_code == 409
    assert twice.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in twice.json()["errors"]] == ["reference"]
    assert (await link(api, token, customer, system="projects", reference="O-1")).status_code == 201
    assert (await link(api, token, other, system="erp", reference="O-1")).status_code == 201
    assert len(await all_links(api, token, customer)) == 2


async def test_an_idempotent_register_repeated_replays_the_first_answer(api, make_token):
    token = make_token("manager")
    customer = await a_customer(api, token)
    headers = auth(token, **{"Idempotency-Key": "project-created-4711"})
    body = {"system": "projects", "reference": "P-4711", "title": "Gala"}
    first = await api.post(f"{customer}/links", json=body, headers=headers)
    second = await api.post(f"{customer}/links", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers

    other_body = await api.post(f"{customer}/links", json={**body, "title": "Other"}, headers=headers)
    assert other_body.status_code == 422
    assert [e["field"] for e in other_body.json()["errors"]] == ["Idempotency-Key"]
    assert [item["id"] for item in await all_links(api, token, customer)] == [first.json()["id"]]


async def test_concurrent_requests_with_one_idempotency_key_register_once(api, make_token):
    token = make_token("manager")
    customer = await a_customer(api, token)
    headers = auth(token, **{"Idempotency-Key": "double-click"})
    responses = await asyncio.gather(
        *(
            api.post(f"{customer}/links", json={"system": "projects", "reference": "P-9"}, headers=headers)
            for _ in range(6)
        )
    )
    assert [r.status_code for r in responses] == [201] * 6, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 5
    assert len(await all_links(api, token, customer)) == 1


async def test_registering_a_link_publishes_no_event(api, make_token, bus_listener):
    token = make_token("manager")
    customer = await a_customer(api, token)
    created = await link(api, token, customer)
    await api.delete(created.headers["Location"], headers=auth(token))
    await bus_listener.wait_for(1, "customer.created")
    await asyncio.sleep(0.5)
    assert [e["type"] for e in bus_listener.received] == ["customer.created"]


async def test_a_customer_with_links_cannot_be_deleted_until_they_are_removed(api, make_token):
    token = make_token("manager")
    customer = await a_customer(api, token)
    urls = [(await link(api, token, customer, reference=f"P-{n}")).headers["Location"] for n in range(2)]
    refused = await api.delete(customer, headers=auth(token))
    assert refused.status_code == 409
    assert "2 project links" in refused.json()["detail"]
    for url in urls:
        assert (await api.delete(url, headers=auth(token))).status_code == 204
    assert (await api.delete(customer, headers=auth(token))).status_code == 204


async def test_a_viewer_lists_links_but_neither_registers_nor_removes(api, make_token):
    manager, viewer = make_token("manager"), make_token("viewer")
    customer = await a_customer(api, manager)
    created = (await link(api, manager, customer)).json()
    assert [item["id"] for item in await all_links(api, viewer, customer)] == [created["id"]]
    assert (await api.get(f"{customer}/links/{created['id']}", headers=auth(viewer))).status_code == 200

    post = await link(api, viewer, customer, reference="P-2")
    assert post.status_code == 403
    assert post.headers["content-type"] == "application/problem+json"
    delete = await api.delete(f"{customer}/links/{created['id']}", headers=auth(viewer))
    assert delete.status_code == 403
    assert [item["id"] for item in await all_links(api, manager, customer)] == [created["id"]]


async def test_links_need_a_user_token(api, make_token):
    customer = await a_customer(api, make_token("manager"))
    assert (await api.get(f"{customer}/links")).status_code == 401
    assert (await api.post(f"{customer}/links", json={"system": "erp", "reference": "1"})).status_code == 401


async def test_another_office_can_neither_see_nor_change_the_links(api, make_token):
    owner = make_token("office_admin")
    stranger = make_token("office_admin", office=f"office-{uuid.uuid4().hex[:8]}")
    customer = await a_customer(api, owner)
    created = (await link(api, owner, customer)).json()

    assert (await api.get(f"{customer}/links", headers=auth(stranger))).status_code == 404
    assert (await api.get(f"{customer}/links/{created['id']}", headers=auth(stranger))).status_code == 404
    assert (await link(api, stranger, customer, reference="P-2")).status_code == 404
    delete = await api.delete(f"{customer}/links/{created['id']}", headers=auth(stranger))
    assert delete.status_code == 404
    assert await all_links(api, owner, customer) == [created]


async def test_a_link_is_reached_only_through_its_own_customer(api, make_token):
    token = make_token("manager")
    customer = await a_customer(api, token)
    other = await a_customer(api, token, "Other AS")
    created = (await link(api, token, customer)).json()
    assert (await api.get(f"{other}/links/{created['id']}", headers=auth(token))).status_code == 404
    assert (await api.delete(f"{other}/links/{created['id']}", headers=auth(token))).status_code == 404
    assert await all_links(api, token, customer) == [created]
    unknown = f"/v1/customers/{uuid.uuid4()}"
    assert (await api.get(f"{unknown}/links", headers=auth(token))).status_code == 404
    assert (await link(api, token, unknown)).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reference": "P-1"}, "system"),
        ({"system": "ERP", "reference": "P-1"}, "system"),
        ({"system": "2erp", "reference": "P-1"}, "system"),
        ({"system": "x" * 41, "reference": "P-1"}, "system"),
        ({"system": "erp"}, "reference"),
        ({"system": "erp", "reference": "   "}, "reference"),
        ({"system": "erp", "reference": "r" * 201}, "reference"),
        ({"system": "erp", "reference": 17}, "reference"),
        ({"system": "erp", "reference": "P-1", "title": "t" * 301}, "title"),
        ({"system": "erp", "reference": "P-1", "colour": "red"}, "colour"),
    ],
)
async def test_bad_input_gets_a_problem_naming_the_field(api, make_token, body, field):
    token = make_token("manager")
    customer = await a_customer(api, token)
    response = await api.post(f"{customer}/links", json=body, headers=auth(token))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert field in response.json()["detail"]
    assert await all_links(api, token, customer) == []


@pytest.mark.parametrize(
    ("method", "suffix", "params", "field"),
    [
        ("get", "/links", {"limit": 0}, "limit"),
        ("get", "/links", {"limit": 201}, "limit"),
        ("get", "/links", {"cursor": "garbage!"}, "cursor"),
        ("get", "/links", {"cursor": "WyJ5ZXN0ZXJkYXkiLCAibm8iXQ"}, "cursor"),  # ["yesterday", "no"]
        ("get", "/links/not-a-uuid", {}, "link_id"),
        ("delete", "/links/not-a-uuid", {}, "link_id"),
    ],
)
async def test_malformed_requests_get_a_problem_naming_the_field(
    api, make_token, method, suffix, params, field
):
    token = make_token("manager")
    customer = await a_customer(api, token)
    response = await getattr(api, method)(f"{customer}{suffix}", params=params, headers=auth(token))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_the_links_are_in_the_openapi_document(api):
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert set(paths["/v1/customers/{customer_id}/links"]) == {"get", "post"}
    assert set(paths["/v1/customers/{customer_id}/links/{link_id}"]) == {"get", "delete"}
