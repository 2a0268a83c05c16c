"""The contact API against real PostgreSQL and RabbitMQ, beside the real customer service: behaviour,
events, errors, isolation."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from contact_api_helpers import auth, create_contact, create_customer, listed
from servicekit.testing.consumers import eventually


async def test_create_then_read_returns_the_contact_with_its_version(api, customer_api, make_token):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    created = await create_contact(
        api,
        token,
        customer["id"],
        email="Kari.Nordmann@Bygg.NO",
        phone="+47 412 34 567",
        title="Innkjøpssjef",
        roles=["buyer", "decision_maker"],
        keywords=["julekort"],
        receives_service_reports=True,
        language="nb",
        external_ids={"erp": "K-17"},
    )
    body = created.json()
    assert body["customer_id"] == customer["id"]
    assert (body["first_name"], body["last_name"]) == ("Kari", "Nordmann")
    assert body["email"] == "Kari.Nordmann@bygg.no"
    assert body["phone"] == "+4741234567"
    assert body["roles"] == ["buyer", "decision_maker"]
    assert body["keywords"] == ["julekort"]
    assert body["receives_service_reports"] is True
    assert body["receives_work_orders"] is False
    assert body["main"] is False
    assert body["active"] is True
    assert body["customer_active"] is True
    assert body["external_ids"] == {"erp": "K-17"}
    assert body["version"] == 1
    assert created.headers["ETag"] == '"1"'
    assert created.headers["Location"] == f"/v1/contacts/{body['id']}"

    read = await api.get(created.headers["Location"], headers=auth(token))
    assert read.status_code == 200
    assert read.json() == body
    assert read.headers["ETag"] == '"1"'


@pytest.mark.parametrize(
    "written", ["+47 412 34 567", "0047 41234567", "41234567", "412 34 567", "+4741234567"]
)
async def test_a_norwegian_customers_phone_in_any_usual_form_becomes_e164(
    api, customer_api, make_token, written
):
    token = make_token("manager")
    customer = await create_customer(customer_api, token, country="NO")
    contact = await create_contact(api, token, customer["id"], phone=written)
    assert contact.json()["phone"] == "+4741234567"


async def test_a_national_number_is_read_in_the_customers_own_country(api, customer_api, make_token):
    token = make_token("manager")
    swedish = await create_customer(customer_api, token, name="Fjällbo AB", country="SE")
    contact = await create_contact(api, token, swedish["id"], phone="070-123 45 67")
    assert contact.json()["phone"] == "+46701234567"
    # A number with its country code keeps its own country, whatever the customer's.
    foreign = await create_contact(api, token, swedish["id"], phone="0047 412 34 567")
    assert foreign.json()["phone"] == "+4741234567"


async def test_a_customer_without_a_country_takes_only_numbers_with_a_country_code(
    api, customer_api, make_token
):
    token = make_token("manager")
    customer = await create_customer(customer_api, token, country=None)
    national = await api.post(
        "/v1/contacts",
        json={"customer_id": customer["id"], "first_name": "A", "last_name": "B", "phone": "41234567"},
        headers=auth(token),
    )
    assert national.status_code == 422
    assert national.json()["errors"][0]["field"] == "phone"
    assert "country code" in national.json()["detail"]
    international = await create_contact(api, token, customer["id"], phone="0047 41234567")
    assert international.json()["phone"] == "+4741234567"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "not a number"}, "phone"),
        ({"phone": "4123"}, "phone"),
        ({"phone": "+47 412 34 567 ext. 12"}, "phone"),
        ({"email": "kari@"}, "email"),
        ({"email": "kari nordmann@bygg.no"}, "email"),
        ({"email": "kari@localhost"}, "email"),
        ({"receives_service_reports": True}, "receives_service_reports"),
        ({"receives_work_orders": True, "email": ""}, "receives_work_orders"),
        ({"first_name": "   "}, "first_name"),
        ({"last_name": "x" * 201}, "last_name"),
        ({"language": "Norwegian"}, "language"),
        ({"roles": [""]}, "roles.0"),
        ({"external_ids": {"ERP!": "1"}}, "external_ids.ERP!.[key]"),
        ({"active": False}, "active"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_input_gets_a_problem_naming_the_field(api, customer_api, make_token, body, field):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    response = await api.post(
        "/v1/contacts",
        json={"customer_id": customer["id"], "first_name": "Kari", "last_name": "Nordmann", **body},
        headers=auth(token),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert field in response.json()["detail"]
    assert await listed(api, token, customer_id=customer["id"], include_inactive=True) == []


async def test_blank_email_and_phone_mean_none(api, customer_api, make_token):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    body = (await create_contact(api, token, customer["id"], email="  ", phone="")).json()
    assert (body["email"], body["phone"]) == (None, None)


async def test_a_customer_the_office_cannot_see_takes_no_contact(api, customer_api, make_token):
    token = make_token("manager")
    elsewhere = await create_customer(
        customer_api, make_token("manager", office=f"office-{uuid.uuid4().hex[:8]}")
    )
    for customer_id in (elsewhere["id"], str(uuid.uuid4())):
        response = await api.post(
            "/v1/contacts",
            json={"customer_id": customer_id, "first_name": "Kari", "last_name": "Nordmann"},
            headers=auth(token),
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "customer_id"


async def test_a_global_customer_of_another_office_takes_contacts_of_this_office(
    api, customer_api, make_token
):
    home = make_token("office_admin", office=f"office-{uuid.uuid4().hex[:8]}")
    shared = await create_customer(customer_api, home, name="Konsern ASA", **{"global": True})
    token = make_token("manager")
    contact = (await create_contact(api, token, shared["id"])).json()
    assert contact["office_id"] != shared["office_id"]
    # The home office keeps its own contacts of the customer; it does not see this office's.
    assert await listed(api, home, customer_id=shared["id"]) == []
    assert [c["id"] for c in await listed(api, token, customer_id=shared["id"])] == [contact["id"]]


async def test_an_inactive_customer_keeps_and_takes_contacts_and_answers_say_so(
    api, customer_api, make_token
):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    first = (await create_contact(api, token, customer["id"])).json()
    deactivated = await customer_api.post(f"/v1/customers/{customer['id']}/deactivate", headers=auth(token))
    assert deactivated.status_code == 200

    async def customer_shown_inactive():
        read = await api.get(f"/v1/contacts/{first['id']}", headers=auth(token))
        return read.json()["customer_active"] is False

    await eventually(customer_shown_inactive, within=15)
    second = await create_contact(api, token, customer["id"], first_name="Ola")
    assert second.json()["customer_active"] is False
    assert {c["customer_active"] for c in await listed(api, token, customer_id=customer["id"])} == {False}


async def test_making_another_contact_main_clears_the_old_one_with_an_event_for_each(
    api, customer_api, make_token, bus_listener
):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    kari = (await create_contact(api, token, customer["id"], main=True)).json()
    ola = (await create_contact(api, token, customer["id"], first_name="Ola", main=True)).json()
    assert ola["main"] is True
    kari_now = (await api.get(f"/v1/contacts/{kari['id']}", headers=auth(token))).json()
    assert (kari_now["main"], kari_now["version"]) == (False, 2)

    events = await bus_listener.wait_for(1, "contact.updated")
    assert events[0]["aggregate_id"] == kari["id"]
    assert events[0]["payload"]["changed_fields"] == ["main"]
    assert events[0]["payload"]["contact"]["main"] is False
    created = await bus_listener.wait_for(2, "contact.created")
    assert [e["payload"]["contact"]["main"] for e in created] == [True, True]

    # And back, by an edit: Kari takes the mark from Ola in the same transaction.
    patched = await api.patch(
        f"/v1/contacts/{kari['id']}", json={"main": True}, headers=auth(token, **{"If-Match": '"2"'})
    )
    assert patched.status_code == 200, patched.text
    mains = [c["id"] for c in await listed(api, token, customer_id=customer["id"]) if c["main"]]
    assert mains == [kari["id"]]
    updates = await bus_listener.wait_for(3, "contact.updated")
    assert {(e["aggregate_id"], e["payload"]["contact"]["main"]) for e in updates[1:]} == {
        (ola["id"], False),
        (kari["id"], True),
    }


async def test_contacts_made_main_at_the_same_moment_leave_exactly_one_main(api, customer_api, make_token):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    await create_contact(api, token, customer["id"])  # the customer's copy is in place
    answers = await asyncio.gather(
        *(
            api.post(
                "/v1/contacts",
                json={
                    "customer_id": customer["id"],
                    "first_name": f"P{n}",
                    "last_name": "Race",
                    "main": True,
                },
                headers=auth(token),
            )
            for n in range(5)
        )
    )
    assert [a.status_code for a in answers] == [201] * 5, [a.text for a in answers]
    contacts = await listed(api, token, customer_id=customer["id"])
    assert sum(c["main"] for c in contacts) == 1


async def test_main_contacts_of_two_customers_do_not_touch(api, customer_api, make_token):
    token = make_token("manager")
    one, two = [await create_customer(customer_api, token, name=n) for n in ("En AS", "To AS")]
    first = (await create_contact(api, token, one["id"], main=True)).json()
    await create_contact(api, token, two["id"], main=True)
    assert (await api.get(f"/v1/contacts/{first['id']}", headers=auth(token))).json()["main"] is True


async def test_deactivate_hides_the_contact_from_lists_until_reactivated(
    api, customer_api, make_token, bus_listener
):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    contact = (await create_contact(api, token, customer["id"], main=True)).json()
    url = f"/v1/contacts/{contact['id']}"

    deactivated = await api.post(f"{url}/deactivate", headers=auth(token, **{"If-Match": '"1"'}))
    assert deactivated.status_code == 200
    assert (deactivated.json()["active"], deactivated.json()["main"]) == (False, False)
    assert deactivated.headers["ETag"] == '"2"'
    assert await listed(api, token, customer_id=customer["id"]) == []
    assert [
        c["id"] for c in await listed(api, token, customer_id=customer["id"], include_inactive="true")
    ] == [contact["id"]]
    assert (await api.get(url, headers=auth(token))).json()["active"] is False
    assert (await api.post(f"{url}/deactivate", headers=auth(token))).status_code == 409
    made_main = await api.patch(url, json={"main": True}, headers=auth(token, **{"If-Match": '"2"'}))
    assert made_main.status_code == 409
    assert made_main.json()["errors"][0]["field"] == "main"

    reactivated = await api.post(f"{url}/reactivate", headers=auth(token))
    assert reactivated.status_code == 200
    assert reactivated.json()["active"] is True
    assert (await api.post(f"{url}/reactivate", headers=auth(token))).status_code == 409
    assert [c["id"] for c in await listed(api, token, customer_id=customer["id"])] == [contact["id"]]

    await bus_listener.wait_for(1, "contact.reactivated")
    [off] = bus_listener.of_type("contact.deactivated")
    assert off["aggregate_version"] == 2
    assert off["payload"]["contact"]["active"] is False


async def test_a_stale_deactivation_gets_412(api, customer_api, make_token):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    url = (await create_contact(api, token, customer["id"])).headers["Location"]
    stale = await api.post(f"{url}/deactivate", headers=auth(token, **{"If-Match": '"7"'}))
    assert stale.status_code == 412
    assert (await api.get(url, headers=auth(token))).json()["active"] is True


async def test_delete_removes_the_contact_and_publishes_its_last_state(
    api, customer_api, make_token, bus_listener
):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    created = await create_contact(api, token, customer["id"], external_ids={"erp": "K-1"})
    url = created.headers["Location"]
    assert (await api.delete(url, headers=auth(token, **{"If-Match": '"3"'}))).status_code == 412
    assert (await api.delete(url, headers=auth(token))).status_code == 204
    assert (await api.get(url, headers=auth(token))).status_code == 404
    assert (await api.delete(url, headers=auth(token))).status_code == 404
    [deleted] = await bus_listener.wait_for(1, "contact.deleted")
    assert deleted["aggregate_id"] == created.json()["id"]
    assert deleted["aggregate_version"] == 2
    assert deleted["payload"]["contact"]["first_name"] == "Kari"
    # Its external id is free again.
    await create_contact(api, token, customer["id"], external_ids={"erp": "K-1"})


async def test_update_with_the_current_etag_changes_fields_and_publishes(
    api, customer_api, make_token, bus_listener
):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    created = await create_contact(api, token, customer["id"], email="kari@bygg.no", title="Sjef")
    url = created.headers["Location"]
    patched = await api.patch(
        url,
        json={"phone": "412 34 567", "title": None, "last_name": "Hansen", "roles": ["technical"]},
        headers=auth(token, **{"If-Match": created.headers["ETag"]}),
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["phone"], body["title"], body["last_name"], body["roles"]) == (
        "+4741234567",
        None,
        "Hansen",
        ["technical"],
    )
    assert body["email"] == "kari@bygg.no"
    assert patched.headers["ETag"] == '"2"'
    [event] = await bus_listener.wait_for(1, "contact.updated")
    assert event["payload"]["changed_fields"] == ["last_name", "phone", "roles", "title"]
    assert event["payload"]["contact"]["phone"] == "+4741234567"


async def test_patch_needs_if_match_refuses_stale_versions_and_ignores_identical_changes(
    api, customer_api, make_token, bus_listener
):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    url = (await create_contact(api, token, customer["id"], title="Sjef")).headers["Location"]
    assert (await api.patch(url, json={"title": "X"}, headers=auth(token))).status_code == 428
    stale = await api.patch(url, json={"title": "X"}, headers=auth(token, **{"If-Match": '"9"'}))
    assert stale.status_code == 412
    same = await api.patch(url, json={"title": "Sjef"}, headers=auth(token, **{"If-Match": '"1"'}))
    assert same.status_code == 200
    assert same.headers["ETag"] == '"1"'
    await bus_listener.wait_for(1, "contact.created")
    await asyncio.sleep(0.3)
    assert bus_listener.of_type("contact.updated") == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": None}, "first_name"),
        ({"roles": None}, "roles"),
        ({"main": None}, "main"),
        ({"main": 1}, "main"),
        ({"external_ids": None}, "external_ids"),
        ({"customer_id": str(uuid.uuid4())}, "customer_id"),
        ({"email": None, "receives_work_orders": True}, "receives_work_orders"),
    ],
)
async def test_a_patch_that_breaks_a_rule_is_refused_naming_the_field(
    api, customer_api, make_token, body, field
):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    url = (await create_contact(api, token, customer["id"])).headers["Location"]
    response = await api.patch(url, json=body, headers=auth(token, **{"If-Match": '"1"'}))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_clearing_the_email_of_a_contact_who_receives_reports_names_the_email(
    api, customer_api, make_token
):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    url = (
        await create_contact(api, token, customer["id"], email="kari@bygg.no", receives_service_reports=True)
    ).headers["Location"]
    response = await api.patch(url, json={"email": None}, headers=auth(token, **{"If-Match": '"1"'}))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "email"


async def test_external_ids_are_unique_per_office_and_system(api, customer_api, make_token):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    first = (await create_contact(api, token, customer["id"], external_ids={"erp": "K-1"})).json()
    taken = await api.post(
        "/v1/contacts",
        json={
            "customer_id": customer["id"],
            "first_name": "O",
            "last_name": "N",
            "external_ids": {"erp": "K-1"},
        },
        headers=auth(token),
    )
    assert taken.status_code == 409
    assert taken.json()["errors"][0]["field"] == "external_ids.erp"
    assert taken.json()["contact_id"] == first["id"]
    # Another system, or another office, may hold the same value.
    other = await create_contact(api, token, customer["id"], external_ids={"crm": "K-1"})
    office_b = make_token("manager", office=f"office-{uuid.uuid4().hex[:8]}")
    customer_b = await create_customer(customer_api, office_b)
    await create_contact(api, office_b, customer_b["id"], external_ids={"erp": "K-1"})
    # An edit that takes a held id is refused too; null removes one, which frees it.
    url = f"/v1/contacts/{other.json()['id']}"
    clash = await api.patch(
        url, json={"external_ids": {"erp": "K-1"}}, headers=auth(token, **{"If-Match": '"1"'})
    )
    assert clash.status_code == 409
    assert clash.json()["errors"][0]["field"] == "external_ids.erp"
    freed = await api.patch(
        f"/v1/contacts/{first['id']}",
        json={"external_ids": {"erp": None}},
        headers=auth(token, **{"If-Match": '"1"'}),
    )
    assert freed.json()["external_ids"] == {}
    moved = await api.patch(
        url, json={"external_ids": {"erp": "K-1"}}, headers=auth(token, **{"If-Match": '"1"'})
    )
    assert moved.status_code == 200
    assert moved.json()["external_ids"] == {"crm": "K-1", "erp": "K-1"}


async def test_roles_and_keywords_keep_their_order_without_repeats(api, customer_api, make_token):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    body = (
        await create_contact(
            api, token, customer["id"], roles=["buyer", "technical", "buyer"], keywords=[" a ", "a"]
        )
    ).json()
    assert body["roles"] == ["buyer", "technical"]
    assert body["keywords"] == ["a"]


async def test_lists_page_by_name_per_customer_with_a_cursor(api, customer_api, make_token):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    other = await create_customer(customer_api, token, name="Annen AS")
    names = ["Øvrebø", "andersen", "Berg", "Aas", "berg"]
    for n, last in enumerate(names):
        await create_contact(api, token, customer["id"], first_name=f"F{n}", last_name=last)
    await create_contact(api, token, other["id"], last_name="Zeta")

    first_page = await api.get(
        "/v1/contacts", params={"customer_id": customer["id"], "limit": 2}, headers=auth(token)
    )
    assert first_page.status_code == 200
    assert len(first_page.json()["items"]) == 2
    assert first_page.json()["next_cursor"]
    everything = await listed(api, token, customer_id=customer["id"], limit=2)
    assert [(c["last_name"], c["first_name"]) for c in everything] == [
        ("Aas", "F3"),
        ("andersen", "F1"),
        ("Berg", "F2"),
        ("berg", "F4"),
        ("Øvrebø", "F0"),
    ]
    assert {c["customer_id"] for c in everything} == {customer["id"]}
    assert len(await listed(api, token)) == 6  # the office's contacts of every customer


async def test_a_list_of_a_customer_the_office_cannot_see_is_a_404(api, customer_api, make_token):
    token = make_token("manager")
    elsewhere = await create_customer(
        customer_api, make_token("manager", office=f"office-{uuid.uuid4().hex[:8]}")
    )
    for customer_id in (elsewhere["id"], str(uuid.uuid4())):
        response = await api.get("/v1/contacts", params={"customer_id": customer_id}, headers=auth(token))
        assert response.status_code == 404


async def test_office_a_can_neither_read_nor_change_office_b_contacts(
    api, customer_api, make_token, bus_listener
):
    office_b = make_token("office_admin")
    office_a = make_token("office_admin", office=f"office-{uuid.uuid4().hex[:8]}")
    customer = await create_customer(customer_api, office_b)
    created = await create_contact(api, office_b, customer["id"])
    url = created.headers["Location"]

    assert (await api.get(url, headers=auth(office_a))).status_code == 404
    assert await listed(api, office_a) == []
    patch = await api.patch(url, json={"first_name": "Taken"}, headers=auth(office_a, **{"If-Match": '"1"'}))
    assert patch.status_code == 404
    assert (await api.post(f"{url}/deactivate", headers=auth(office_a))).status_code == 404
    assert (await api.post(f"{url}/reactivate", headers=auth(office_a))).status_code == 404
    assert (await api.delete(url, headers=auth(office_a))).status_code == 404

    assert (await api.get(url, headers=auth(office_b))).json() == created.json()
    await bus_listener.wait_for(1, "contact.created")
    await asyncio.sleep(0.3)
    assert [e["type"] for e in bus_listener.received if e["type"].startswith("contact.")] == [
        "contact.created"
    ]


async def test_an_idempotent_create_repeated_replays_the_first_answer(
    api, customer_api, make_token, bus_listener
):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    headers = auth(token, **{"Idempotency-Key": f"import-{uuid.uuid4()}"})
    body = {"customer_id": customer["id"], "first_name": "Kari", "last_name": "Nordmann"}
    first, second = [await api.post("/v1/contacts", json=body, headers=headers) for _ in range(2)]
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    changed = await api.post("/v1/contacts", json={**body, "first_name": "Ola"}, headers=headers)
    assert changed.status_code == 422
    assert len(await listed(api, token)) == 1
    await bus_listener.wait_for(1, "contact.created")
    await asyncio.sleep(0.3)
    assert len(bus_listener.of_type("contact.created")) == 1


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("viewer", {"read"}),
        ("manager", {"read", "create", "edit", "delete"}),
        ("office_admin", {"read", "create", "edit", "delete"}),
    ],
)
async def test_roles_decide_what_a_user_may_do(api, customer_api, make_token, role, allowed):
    token = make_token(role)
    customer = await create_customer(customer_api, make_token("manager"))
    target = (await create_contact(api, make_token("manager"), customer["id"])).headers["Location"]
    body = {"customer_id": customer["id"], "first_name": "N", "last_name": "N"}
    outcomes = {
        "read": (await api.get(target, headers=auth(token))).status_code,
        "create": (await api.post("/v1/contacts", json=body, headers=auth(token))).status_code,
        "edit": (
            await api.patch(target, json={"title": "T"}, headers=auth(token, **{"If-Match": '"1"'}))
        ).status_code,
        "delete": (await api.delete(target, headers=auth(token))).status_code,
    }
    assert {action for action, code in outcomes.items() if code < 400} == allowed
    assert {code for action, code in outcomes.items() if action not in allowed} <= {403}


async def test_requests_without_a_valid_token_are_refused(api, make_token):
    assert (await api.get("/v1/contacts")).status_code == 401
    response = await api.get("/v1/contacts", headers=auth(make_token("manager") + "x"))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_correlation_id_of_the_request_travels_into_the_event(
    api, customer_api, make_token, bus_listener
):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    await api.post(
        "/v1/contacts",
        json={"customer_id": customer["id"], "first_name": "Kari", "last_name": "Nordmann"},
        headers=auth(token, **{"X-Correlation-ID": "trace-contact-1"}),
    )
    [event] = await bus_listener.wait_for(1, "contact.created")
    assert event["correlation_id"] == "trace-contact-1"
    assert event["actor"]["kind"] == "user"


async def test_health_readiness_and_metrics(api, customer_api, make_token):
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    ready = await api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
    token = make_token("manager")
    await create_contact(api, token, (await create_customer(customer_api, token))["id"])
    metrics = (await api.get("/metrics")).text
    assert 'outbox_backlog{service="contact"}' in metrics
    assert 'consumer_lag_messages{queue="' in metrics
    assert 'dead_letter_queue_messages{queue="' in metrics
    assert 'http_requests_total{method="POST",route="/v1/contacts",service="contact",status="201"}' in metrics


async def test_openapi_and_docs_are_served(api):
    spec = (await api.get("/openapi.json")).json()
    assert "/v1/contacts/{contact_id}" in spec["paths"]
    assert "/internal/v1/contacts/{contact_id}" in spec["paths"]
    assert (await api.get("/docs")).status_code == 200
