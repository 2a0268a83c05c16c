"""The customer and contact services as real processes on one exchange: a contact added right after its
customer, an address naming it, and the customer's deletion taking its contacts (and their events) along."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from servicekit.auth import issue_token
from servicekit.settings import JwtSettings
from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.processes import free_port, running_service


@pytest.fixture
async def databases(infra) -> Iterator[dict[str, str]]:
    names = {
        service: await create_database(infra.pg_admin_url, f"e2e_{service}")
        for service in ("customer", "contact")
    }
    yield {
        service: with_database(infra.pg_admin_url, name, driver="asyncpg") for service, name in names.items()
    }
    for name in names.values():
        await drop_database(infra.pg_admin_url, name)


@pytest.fixture
def services(databases, infra, topology, tmp_path: Path) -> Iterator[dict[str, str]]:
    ports = {"customer": free_port(), "contact": free_port()}
    shared = {
        "AMQP_URL": infra.amqp_url,
        "BUS_EXCHANGE": topology.exchange,
        "BUS_QUEUE_TYPE": topology.queue_type,
        "MIGRATE_ON_START": "true",
        "ENVIRONMENT": "test",
        "OUTBOX_POLL_INTERVAL_S": "0.5",
        "CUSTOMER_SERVICE_URL": f"http://127.0.0.1:{ports['customer']}",
        "CONTACT_SERVICE_URL": f"http://127.0.0.1:{ports['contact']}",
    }

    def env(service: str) -> dict[str, str]:
        return {**shared, "DATABASE_URL": databases[service]}

    with (
        running_service(
            ["customer-service", "serve"], env("customer"), ports["customer"], tmp_path / "c.log"
        ) as customer,
        running_service(
            ["contact-service", "serve"], env("contact"), ports["contact"], tmp_path / "p.log"
        ) as contact,
    ):
        yield {"customer": customer, "contact": contact}


def eventually(check, within: float = 20.0):
    deadline = time.monotonic() + within
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {within}s")
        time.sleep(0.2)
    return result


def test_contacts_are_added_named_on_addresses_and_deleted_with_their_customer(services, office_id):
    token = issue_token(JwtSettings(), subject="e2e-user", office_id=office_id, roles=["manager"])
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(headers=headers, timeout=10) as http:
        created = http.post(
            f"{services['customer']}/v1/customers", json={"name": "Østbø Bygg AS", "country": "NO"}
        )
        assert created.status_code == 201, created.text
        customer = created.json()
        # At once: the contact service reads the customer from its owner if the event is not there yet.
        contacts = [
            http.post(
                f"{services['contact']}/v1/contacts",
                json={"customer_id": customer["id"], "first_name": first, "last_name": "Nordmann", **extra},
            )
            for first, extra in (("Kari", {"phone": "412 34 567", "main": True}), ("Ola", {"main": True}))
        ]
        assert [c.status_code for c in contacts] == [201, 201], [c.text for c in contacts]
        kari, ola = (c.json() for c in contacts)
        assert kari["phone"] == "+4741234567"
        listed = http.get(f"{services['contact']}/v1/contacts", params={"customer_id": customer["id"]}).json()
        assert {c["first_name"]: c["main"] for c in listed["items"]} == {"Kari": False, "Ola": True}

        # The customer service accepts an address naming one of the customer's contacts.
        address = http.post(
            f"{services['customer']}/v1/customers/{customer['id']}/addresses",
            json={"kind": "visiting", "city": "Bergen", "contact_id": ola["id"]},
        )
        assert address.status_code == 201, address.text
        stranger = http.post(
            f"{services['customer']}/v1/customers/{customer['id']}/addresses",
            json={"kind": "postal", "contact_id": str(uuid.uuid4())},
        )
        assert stranger.status_code == 422

        assert http.delete(f"{services['customer']}/v1/customers/{customer['id']}").status_code == 204
        for contact in (kari, ola):
            eventually(
                lambda c=contact: http.get(f"{services['contact']}/v1/contacts/{c['id']}").status_code == 404
            )
        everything = http.get(
            f"{services['contact']}/v1/contacts", params={"include_inactive": "true"}
        ).json()
        assert everything["items"] == []
