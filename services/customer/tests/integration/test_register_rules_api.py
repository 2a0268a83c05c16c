"""The rules of the customer register (issue: every rule of SPEC §3) through the API, on real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from customer_api_helpers import auth, change_settings, create

NORWEGIAN_ORGNR = "923609016"  # a valid Norwegian organisation number (stdnum's example)


# --- office settings and numbering -------------------------------------------------------------


async def test_settings_have_defaults_and_only_admins_change_them(api, make_token):
    viewer, manager, admin = make_token("viewer"), make_token("manager"), make_token("office_admin")
    defaults = (await api.get("/v1/settings", headers=auth(viewer))).json()
    assert defaults["customer_numbering"] == "auto"
    assert defaults["organisation_number_mandatory"] is False
    for token in (viewer, manager):
        refused = await api.patch("/v1/settings", json={"customer_numbering": "manual"}, headers=auth(token))
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
    changed = await change_settings(api, admin, customer_numbering="manual", customer_number_min_length=3)
    assert (changed["customer_numbering"], changed["customer_number_min_length"]) == ("manual", 3)
    assert (await api.get("/v1/settings", headers=auth(viewer))).json() == changed


async def test_settings_refuse_impossible_lengths_naming_the_field(api, make_token):
    admin = make_token("office_admin")
    response = await api.patch(
        "/v1/settings",
        json={"customer_number_min_length": 8, "customer_number_max_length": 4},
        headers=auth(admin),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "customer_number_min_length"
    zero = await api.patch("/v1/settings", json={"customer_number_max_length": 0}, headers=auth(admin))
    assert zero.status_code == 422
    assert zero.json()["errors"][0]["field"] == "customer_number_max_length"


async def test_automatic_numbers_are_padded_to_the_minimum_length(api, make_token):
    admin = make_token("office_admin")
    await change_settings(api, admin, customer_number_min_length=5)
    assert (await create(api, admin)).json()["customer_number"] == "00001"


async def test_automatic_numbers_stop_with_a_clear_error_at_the_maximum_length(api, make_token):
    admin = make_token("office_admin")
    await change_settings(api, admin, customer_number_min_length=1, customer_number_max_length=1)
    numbers = [(await create(api, admin)).json()["customer_number"] for _ in range(9)]
    assert numbers == [str(n) for n in range(1, 10)]
    exhausted = await api.post("/v1/customers", json={"name": "Tiende AS"}, headers=auth(admin))
    assert exhausted.status_code == 409
    assert exhausted.json()["errors"][0]["field"] == "customer_number"
    assert "customer_number_max_length" in exhausted.json()["detail"]
    await change_settings(api, admin, customer_number_max_length=2)
    # The refused create drew 10 from the sequence: a gap, as after any failed create.
    assert (await create(api, admin)).json()["customer_number"] == "11"


async def test_manual_numbering_requires_a_number_of_the_allowed_length(api, make_token):
    admin, manager = make_token("office_admin"), make_token("manager")
    await change_settings(
        api, admin, customer_numbering="manual", customer_number_min_length=4, customer_number_max_length=6
    )
    missing = await api.post("/v1/customers", json={"name": "A"}, headers=auth(manager))
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "customer_number"
    too_short = await api.post(
        "/v1/customers", json={"name": "A", "customer_number": "12"}, headers=auth(manager)
    )
    assert too_short.status_code == 422
    assert "4 to 6" in too_short.json()["detail"]
    assert (await create(api, manager, customer_number="1234")).json()["customer_number"] == "1234"


async def test_only_an_office_admin_changes_a_number_after_creation(api, make_token):
    manager, admin = make_token("manager"), make_token("office_admin")
    url = (await create(api, manager)).headers["Location"]
    refused = await api.patch(
        url, json={"customer_number": "900"}, headers=auth(manager, **{"If-Match": '"1"'})
    )
    assert refused.status_code == 403
    allowed = await api.patch(
        url, json={"customer_number": "900"}, headers=auth(admin, **{"If-Match": '"1"'})
    )
    assert allowed.status_code == 200
    assert allowed.json()["customer_number"] == "900"
    # Sending the unchanged number along with other fields is no number change.
    same = await api.patch(
        url, json={"customer_number": "900", "segment": "SMB"}, headers=auth(manager, **{"If-Match": '"2"'})
    )
    assert same.status_code == 200


# --- organisation numbers, VAT numbers, tax ids --------------------------------------------------


async def test_organisation_numbers_are_validated_and_normalised_per_country(api, make_token):
    token = make_token("manager")
    body = (await create(api, token, country="NO", organisation_number="NO 923 609 016 MVA")).json()
    assert body["organisation_number"] == "923 609 016"
    wrong = await api.post(
        "/v1/customers",
        json={"name": "X", "country": "NO", "organisation_number": "923609017"},
        headers=auth(token),
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "organisation_number"


async def test_vat_numbers_and_tax_ids_are_validated(api, make_token):
    token = make_token("manager")
    body = (await create(api, token, country="NO", vat_number="923609016mva")).json()
    assert body["vat_number"].replace(" ", "") == "NO923609016MVA"
    bad_tax_id = await api.post(
        "/v1/customers",
        json={
            "name": "X",
            "tax_ids": [{"type": "VAT", "number": "SE556188840401"}, {"type": "SIRET", "number": "123"}],
        },
        headers=auth(token),
    )
    assert bad_tax_id.status_code == 422
    assert bad_tax_id.json()["errors"][0]["field"] == "tax_ids.1.number"


async def test_mandatory_organisation_numbers_apply_to_companies_only(api, make_token):
    admin, manager = make_token("office_admin"), make_token("manager")
    await change_settings(api, admin, organisation_number_mandatory=True)
    missing = await api.post("/v1/customers", json={"name": "Firma AS"}, headers=auth(manager))
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "organisation_number"
    await create(api, manager, name="Ola Nordmann", type="private")
    await create(api, manager, country="NO", organisation_number=NORWEGIAN_ORGNR)


async def test_unique_organisation_numbers_compare_the_normalised_form_and_allow_blanks(api, make_token):
    admin, manager = make_token("office_admin"), make_token("manager")
    await change_settings(api, admin, organisation_number_unique=True)
    first = (await create(api, manager, country="NO", organisation_number=NORWEGIAN_ORGNR)).json()
    again = await api.post(
        "/v1/customers",
        json={"name": "Copy", "country": "NO", "organisation_number": "923 609 016"},
        headers=auth(manager),
    )
    assert again.status_code == 409
    assert again.json()["existing_customer_id"] == first["id"]
    assert again.json()["errors"][0]["field"] == "organisation_number"
    # Blanks are not numbers: any number of customers may have none.
    await create(api, manager, name="No number 1")
    await create(api, manager, name="No number 2")


async def test_without_the_unique_setting_two_customers_may_share_an_organisation_number(api, make_token):
    manager = make_token("manager")
    await create(api, manager, country="NO", organisation_number=NORWEGIAN_ORGNR)
    await create(api, manager, name="Branch", country="NO", organisation_number=NORWEGIAN_ORGNR)


async def test_concurrent_creates_with_one_unique_number_let_one_through(api, make_token):
    admin, manager = make_token("office_admin"), make_token("manager")
    await change_settings(api, admin, organisation_number_unique=True)
    body = {"name": "Race", "country": "NO", "organisation_number": NORWEGIAN_ORGNR}
    responses = await asyncio.gather(
        *(api.post("/v1/customers", json=body, headers=auth(manager)) for _ in range(5))
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]


# --- external ids and back-office sync ----------------------------------------------------------


async def test_an_external_id_belongs_to_one_customer_per_office_and_system(api, make_token):
    token = make_token("manager")
    first = (await create(api, token, external_ids={"erp": "10042"})).json()
    taken = await api.post(
        "/v1/customers", json={"name": "B", "external_ids": {"erp": "10042"}}, headers=auth(token)
    )
    assert taken.status_code == 409
    assert taken.json()["errors"][0]["field"] == "external_ids.erp"
    assert taken.json()["existing_customer_id"] == first["id"]
    await create(api, token, name="Other system", external_ids={"crm": "10042"})
    other_office = make_token("manager", office=f"office-{uuid.uuid4().hex[:8]}")
    await create(api, other_office, external_ids={"erp": "10042"})


async def test_upsert_by_external_id_creates_then_updates_then_changes_nothing(api, make_token, bus_listener):
    token = make_token("manager")
    url = "/v1/customers/by-external-id/erp/E-77"
    created = await api.put(url, json={"name": "Synk AS", "segment": "SMB"}, headers=auth(token))
    assert created.status_code == 201, created.text
    assert created.json()["external_ids"] == {"erp": "E-77"}
    updated = await api.put(url, json={"name": "Synk AS", "segment": "Enterprise"}, headers=auth(token))
    assert updated.status_code == 200
    assert (updated.json()["id"], updated.json()["segment"], updated.json()["version"]) == (
        created.json()["id"],
        "Enterprise",
        2,
    )
    repeated = await api.put(url, json={"name": "Synk AS", "segment": "Enterprise"}, headers=auth(token))
    assert repeated.json()["version"] == 2
    assert (await api.get(url, headers=auth(token))).json()["id"] == created.json()["id"]
    await bus_listener.wait_for(2)
    await asyncio.sleep(0.3)
    assert [e["type"] for e in bus_listener.received] == ["customer.created", "customer.updated"]


async def test_parallel_syncs_of_one_external_id_create_one_customer_and_update_it(api, make_token):
    token = make_token("manager")
    for round_number in range(5):
        url = f"/v1/customers/by-external-id/erp/P-{round_number}"
        answers = await asyncio.gather(
            api.put(url, json={"name": "Parallell AS"}, headers=auth(token)),
            api.put(url, json={"name": "Parallell AS", "segment": "SMB"}, headers=auth(token)),
        )
        assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
        assert len({a.json()["id"] for a in answers}) == 1


async def test_a_customer_is_created_and_synced_with_its_addresses(api, make_token):
    token = make_token("manager")
    addresses = [
        {"kind": "visiting", "line1": "Storgata 1", "city": "Oslo", "country": "no"},
        {"kind": "invoice", "line1": "Postboks 9", "city": "Oslo", "headquarters": True},
    ]
    created = (await create(api, token, addresses=addresses)).json()
    assert [(a["kind"], a["country"], a["headquarters"]) for a in created["addresses"]] == [
        ("visiting", "NO", False),
        ("invoice", None, True),
    ]
    url = "/v1/customers/by-external-id/erp/A-1"
    synced = (
        await api.put(url, json={"name": "Adresse AS", "addresses": addresses}, headers=auth(token))
    ).json()
    assert len(synced["addresses"]) == 2
    again = await api.put(url, json={"name": "Adresse AS", "addresses": addresses}, headers=auth(token))
    assert again.json()["version"] == synced["version"]
    kept = await api.put(url, json={"name": "Adresse AS", "segment": "SMB"}, headers=auth(token))
    assert kept.json()["addresses"] == synced["addresses"]
    replaced = await api.put(
        url,
        json={"name": "Adresse AS", "addresses": [{"kind": "postal", "city": "Bergen"}]},
        headers=auth(token),
    )
    assert [(a["kind"], a["city"], a["headquarters"]) for a in replaced.json()["addresses"]] == [
        ("postal", "Bergen", True)
    ]
    history = (await api.get(f"/v1/customers/{synced['id']}/history", headers=auth(token))).json()["items"]
    assert any(entry["field"].startswith("addresses.") for entry in history)


async def test_upsert_refuses_a_body_that_contradicts_the_path(api, make_token):
    response = await api.put(
        "/v1/customers/by-external-id/erp/1",
        json={"name": "X", "external_ids": {"erp": "2"}},
        headers=auth(make_token("manager")),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "external_ids.erp"


async def test_external_ids_merge_on_patch_and_null_removes_one(api, make_token):
    token = make_token("manager")
    created = await create(api, token, external_ids={"erp": "1", "crm": "c-1"})
    patched = await api.patch(
        created.headers["Location"],
        json={"external_ids": {"crm": None, "accounting": "A1"}},
        headers=auth(token, **{"If-Match": '"1"'}),
    )
    assert patched.json()["external_ids"] == {"erp": "1", "accounting": "A1"}
    assert (await api.get("/v1/customers/by-external-id/crm/c-1", headers=auth(token))).status_code == 404


# --- addresses and the headquarters rule -----------------------------------------------------


async def test_addresses_follow_the_headquarters_rule_and_publish_the_full_state(
    api, make_token, bus_listener
):
    token = make_token("manager")
    url = (await create(api, token)).headers["Location"]
    first = (
        await api.post(
            f"{url}/addresses", json={"kind": "invoice", "city": "Oslo", "country": "no"}, headers=auth(token)
        )
    ).json()
    second = (
        await api.post(f"{url}/addresses", json={"kind": "visiting", "city": "Bergen"}, headers=auth(token))
    ).json()
    assert (first["headquarters"], second["headquarters"], first["country"]) == (True, False, "NO")

    moved = await api.patch(
        f"{url}/addresses/{second['id']}", json={"headquarters": True}, headers=auth(token)
    )
    assert moved.json()["headquarters"] is True
    listed = (await api.get(f"{url}/addresses", headers=auth(token))).json()
    assert [(a["city"], a["headquarters"]) for a in listed] == [("Oslo", False), ("Bergen", True)]

    remaining = (await api.delete(f"{url}/addresses/{second['id']}", headers=auth(token))).json()
    assert [(a["city"], a["headquarters"]) for a in remaining] == [("Oslo", True)]
    assert (await api.delete(f"{url}/addresses/{first['id']}", headers=auth(token))).json() == []

    events = await bus_listener.wait_for(6)
    last = events[-1]
    assert last["type"] == "customer.updated"
    assert last["payload"]["changed_fields"] == ["addresses"]
    assert [e["payload"]["customer"]["addresses"] for e in events][3][0]["city"] == "Oslo"
    assert last["payload"]["customer"]["addresses"] == []
    customer = (await api.get(url, headers=auth(token))).json()
    assert customer["version"] == 6  # created, two added, moved, two removed


async def test_address_input_is_validated_naming_the_field(api, make_token):
    token = make_token("manager")
    url = (await create(api, token)).headers["Location"]
    for body, field in [
        ({"kind": "home"}, "kind"),
        ({"kind": "invoice", "country": "Norway"}, "country"),
        ({}, "kind"),
    ]:
        response = await api.post(f"{url}/addresses", json=body, headers=auth(token))
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == field
    missing = await api.patch(f"{url}/addresses/{uuid.uuid4()}", json={"city": "X"}, headers=auth(token))
    assert missing.status_code == 404


# --- history ------------------------------------------------------------------------------------


async def test_history_lists_who_changed_which_field_from_what_to_what(api, make_token):
    token = make_token("manager")
    created = await create(api, token, segment="SMB", custom_fields={}, external_ids={"erp": "9"})
    url = created.headers["Location"]
    await api.patch(
        url,
        json={"segment": "Enterprise", "external_ids": {"erp": "10"}},
        headers=auth(token, **{"If-Match": '"1"'}),
    )
    await api.post(f"{url}/addresses", json={"kind": "postal", "city": "Tromsø"}, headers=auth(token))
    await api.post(f"{url}/deactivate", headers=auth(token))

    history = (await api.get(f"{url}/history", headers=auth(token))).json()["items"]
    by_version = {}
    for entry in history:
        by_version.setdefault(entry["version"], {})[entry["field"]] = (entry["old_value"], entry["new_value"])
    assert by_version[4] == {"active": (True, False)}
    assert list(by_version[3]) == [next(f for f in by_version[3] if f.startswith("addresses."))]
    assert by_version[2] == {"segment": ("SMB", "Enterprise"), "external_ids.erp": ("9", "10")}
    assert by_version[1]["name"] == (None, "Østbø Bygg AS")
    assert all(entry["changed_by_name"] == "Test User" for entry in history)
    assert [e["version"] for e in history] == sorted((e["version"] for e in history), reverse=True)


async def test_history_pages_and_hides_identity_numbers_from_non_admins(api, make_token):
    manager = make_token("manager")
    created = await create(api, manager, name="Kari", type="private", personal_identity_number="01017012345")
    url = created.headers["Location"]
    first = (await api.get(f"{url}/history", params={"limit": 2}, headers=auth(manager))).json()
    rest = (
        await api.get(f"{url}/history", params={"cursor": first["next_cursor"]}, headers=auth(manager))
    ).json()
    fields = [e["field"] for e in first["items"] + rest["items"]]
    assert len(fields) == len(set(fields))
    identity = next(e for e in first["items"] + rest["items"] if e["field"] == "personal_identity_number")
    assert identity["new_value"] == "*******2345"
    garbage = await api.get(f"{url}/history", params={"cursor": "bm90LWEtbnVtYmVy"}, headers=auth(manager))
    assert garbage.status_code == 422


async def test_another_office_cannot_read_a_customers_history_or_addresses(api, make_token):
    url = (await create(api, make_token("manager"))).headers["Location"]
    stranger = make_token("office_admin", office=f"office-{uuid.uuid4().hex[:8]}")
    assert (await api.get(f"{url}/history", headers=auth(stranger))).status_code == 404
    assert (await api.get(f"{url}/addresses", headers=auth(stranger))).status_code == 404
    added = await api.post(f"{url}/addresses", json={"kind": "invoice"}, headers=auth(stranger))
    assert added.status_code == 404


# --- roles ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer"])
async def test_a_viewer_changes_nothing(api, make_token, role):
    token, manager = make_token(role), make_token("manager")
    url = (await create(api, manager)).headers["Location"]
    attempts = [
        api.post(f"{url}/addresses", json={"kind": "invoice"}, headers=auth(token)),
        api.put("/v1/customers/by-external-id/erp/1", json={"name": "X"}, headers=auth(token)),
        api.post(f"{url}/deactivate", headers=auth(token)),
        api.patch("/v1/settings", json={"customer_numbering": "manual"}, headers=auth(token)),
    ]
    assert {r.status_code for r in await asyncio.gather(*attempts)} == {403}
    assert (await api.get(f"{url}/history", headers=auth(token))).status_code == 200


# --- custom fields and categories on customers ----------------------------------------------------


async def test_customers_bring_valid_values_for_the_offices_custom_fields(api, make_token):
    admin = make_token("office_admin")
    definition = {
        "key": "level",
        "label": "Contract level",
        "type": "select",
        "options": ["Gold", "Silver"],
        "required": True,
    }
    assert (await api.post("/v1/custom-fields", json=definition, headers=auth(admin))).status_code == 201
    missing = await api.post("/v1/customers", json={"name": "A"}, headers=auth(admin))
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "custom_fields.level"
    unknown = await api.post(
        "/v1/customers",
        json={"name": "A", "custom_fields": {"level": "Gold", "shoe_size": 42}},
        headers=auth(admin),
    )
    assert unknown.json()["errors"][0]["field"] == "custom_fields.shoe_size"
    created = await create(api, admin, custom_fields={"level": "gold"})
    assert created.json()["custom_fields"] == {"level": "Gold"}
    # Changing another field later needs no custom-field values at all.
    patched = await api.patch(
        created.headers["Location"], json={"segment": "SMB"}, headers=auth(admin, **{"If-Match": '"1"'})
    )
    assert patched.status_code == 200
    cleared = await api.patch(
        created.headers["Location"],
        json={"custom_fields": {"level": None}},
        headers=auth(admin, **{"If-Match": '"2"'}),
    )
    assert cleared.status_code == 422  # a required field cannot be cleared


async def test_only_active_categories_of_the_office_can_be_assigned_and_assignments_survive_deactivation(
    api, make_token
):
    admin = make_token("office_admin")
    category = (await api.post("/v1/categories", json={"name": "Hotel"}, headers=auth(admin))).json()
    customer = await create(api, admin, category_ids=[category["id"]])
    assert customer.json()["category_ids"] == [category["id"]]
    await api.post(f"/v1/categories/{category['id']}/deactivate", headers=auth(admin))
    refused = await api.post(
        "/v1/customers", json={"name": "B", "category_ids": [category["id"]]}, headers=auth(admin)
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "category_ids.0"
    still = await api.patch(
        customer.headers["Location"], json={"segment": "SMB"}, headers=auth(admin, **{"If-Match": '"1"'})
    )
    assert still.json()["category_ids"] == [category["id"]]
    other_office = make_token("office_admin", office=f"office-{uuid.uuid4().hex[:8]}")
    foreign = await api.post(
        "/v1/customers", json={"name": "C", "category_ids": [category["id"]]}, headers=auth(other_office)
    )
    assert foreign.status_code == 422


async def test_every_change_publishes_exactly_the_state_the_api_shows(api, make_token, bus_listener):
    admin = make_token("office_admin")
    category = (await api.post("/v1/categories", json={"name": "Industri"}, headers=auth(admin))).json()
    await api.post(
        "/v1/custom-fields", json={"key": "tier", "label": "Tier", "type": "text"}, headers=auth(admin)
    )
    created = await create(
        api,
        admin,
        country="NO",
        organisation_number="923 609 016",
        vat_number="NO923609016MVA",
        tax_ids=[{"type": "vat", "number": "SE556188840401"}],
        category_ids=[category["id"]],
        custom_fields={"tier": "A"},
        external_ids={"erp": "77"},
        owner={"id": "u-1", "name": "Kari"},
        remarks="Internal only",
        language="nb",
        vat_mode="no_vat",
        segment="Enterprise",
    )
    url = created.headers["Location"]
    await api.post(
        f"{url}/addresses",
        json={"kind": "visiting", "line1": "Storgata 1", "city": "Oslo"},
        headers=auth(admin),
    )
    await api.patch(url, json={"segment": "SMB"}, headers=auth(admin, **{"If-Match": '"2"'}))

    shown = (await api.get(url, headers=auth(admin))).json()
    updates = await bus_listener.wait_for(2, "customer.updated")  # the address, then the segment
    published = updates[-1]["payload"]["customer"]
    assert updates[-1]["aggregate_version"] == shown["version"] == 3
    expected = {k: v for k, v in shown.items() if k != "personal_identity_number"}
    assert published == expected
    assert published["organisation_number"] == "923 609 016"
    assert published["addresses"][0]["headquarters"] is True
