"""Fixtures of the portal service's tests: its own migrated database and the app running in-process, beside
the real customer and contact services (in-process, on the same test exchange): their relays publish the
customer.* and contact.* events the portal consumes, their internal reads answer its read-through, and the
customer service carries out a portal user's edits. Mail goes to an in-process SMTP sink."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from contact.config import Settings as ContactSettings
from contact_api_helpers import migrated_contact_database
from customer.config import Settings as CustomerSettings
from customer_api_helpers import migrated_customer_database
from portal.config import Settings
from portal.mailsink import MailSink
from portal_api_helpers import Platform, migrated_portal_database
from servicekit.bus import Topology
from servicekit.testing.infrastructure import Infrastructure
from servicekit.testing.owners import read_owners_through
from servicekit.testing.plugin import TokenFactory
from servicekit.testing.services import running_in_process, settings_for_tests


@pytest.fixture(scope="session")
async def portal_database(infra: Infrastructure) -> AsyncIterator[str]:
    async for url in migrated_portal_database(infra, "portal"):
        yield url


@pytest.fixture(scope="session")
async def customer_database(infra: Infrastructure) -> AsyncIterator[str]:
    async for url in migrated_customer_database(infra, "customer_of_portal"):
        yield url


@pytest.fixture(scope="session")
async def contact_database(infra: Infrastructure) -> AsyncIterator[str]:
    async for url in migrated_contact_database(infra, "contact_of_portal"):
        yield url


@pytest.fixture(scope="session")
def mail_sink() -> Iterator[MailSink]:
    sink = MailSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def settings(
    portal_database: str, infra: Infrastructure, topology: Topology, mail_sink: MailSink
) -> Settings:
    return settings_for_tests(
        Settings,
        portal_database,
        infra,
        topology,
        smtp_port=mail_sink.port,
        login_lockout_s=2,
        login_max_failures=3,
        login_max_failures_per_client=6,
    )


@pytest.fixture
async def platform(
    settings: Settings,
    customer_database: str,
    contact_database: str,
    infra: Infrastructure,
    topology: Topology,
    mail_sink: MailSink,
    make_token: TokenFactory,
) -> AsyncIterator[Platform]:
    from contact.main import create_app as contact_app
    from customer.main import create_app as customer_app
    from portal.main import create_app as portal_app

    customer_settings = settings_for_tests(CustomerSettings, customer_database, infra, topology)
    contact_settings = settings_for_tests(ContactSettings, contact_database, infra, topology)
    async with (
        running_in_process(customer_app(customer_settings), "http://customer") as customer,
        running_in_process(contact_app(contact_settings), "http://contact") as contact,
        running_in_process(portal_app(settings), "http://portal") as portal,
    ):
        owners = {settings.customer_service_url: customer.app, settings.contact_service_url: contact.app}  # type: ignore[attr-defined]
        for client in (customer, contact, portal):
            await read_owners_through(client.app, owners)  # type: ignore[attr-defined]
        portal_state = portal.app.state  # type: ignore[attr-defined]
        await portal_state.owners.close()
        portal_state.owners.client = httpx.AsyncClient(
            mounts={
                settings.customer_service_url: httpx.ASGITransport(app=customer.app),  # type: ignore[attr-defined]
                settings.contact_service_url: httpx.ASGITransport(app=contact.app),  # type: ignore[attr-defined]
            }
        )
        # Each test's portal client comes from its own address, so the per-address throttle of one test
        # never locks another's logins.
        address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        transport = httpx.ASGITransport(app=portal.app, raise_app_exceptions=False, client=(address, 40000))  # type: ignore[attr-defined]
        async with httpx.AsyncClient(transport=transport, base_url="http://portal") as portal_client:
            portal_client.app = portal.app  # type: ignore[attr-defined]
            yield Platform(customer, contact, portal_client, mail_sink, make_token("manager"))
