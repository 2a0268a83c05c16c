"""The customer and contact copies every consuming service keeps (servicekit.local_copies), on real
PostgreSQL: a newer version always wins, a deletion is never undone by an older event, the service's
reaction runs once per change, and a miss is read once from the owner."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from contracts import Actor
from contracts.customer import (
    CustomerCreated,
    CustomerDeleted,
    CustomerState,
    CustomerUpdated,
)
from servicekit.copy_tables import contact_copy_metadata, customer_copy_metadata
from servicekit.db import SessionFactory, create_engine, create_session_factory
from servicekit.local_copies import CUSTOMERS, CopyChange, LocalCopies, copy_handlers
from servicekit.messaging_tables import messaging_metadata
from servicekit.problems import ServiceUnavailable
from servicekit.settings import ServiceSettings
from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.states import a_customer, event_of
from servicekit.unit_of_work import UnitOfWork


class CopySettings(ServiceSettings):
    service_name: str = "copier"
    port: int = 0
    database_url: str = "postgresql+asyncpg://unused/unused"


@pytest.fixture(scope="module")
async def copy_database(infra) -> AsyncIterator[str]:
    name = await create_database(infra.pg_admin_url, "copies")
    url = with_database(infra.pg_admin_url, name, driver="asyncpg")
    engine = create_engine(url)
    async with engine.begin() as connection:
        for metadata in (messaging_metadata, customer_copy_metadata, contact_copy_metadata):
            await connection.run_sync(metadata.create_all)
    await engine.dispose()
    yield url
    await drop_database(infra.pg_admin_url, name)


@pytest.fixture
async def sessions(copy_database) -> AsyncIterator[SessionFactory]:
    engine = create_engine(copy_database)
    yield create_session_factory(engine)
    await engine.dispose()


def created(customer):
    return event_of(CustomerCreated(customer=customer), customer)


def updated(customer):
    return event_of(CustomerUpdated(customer=customer, changed_fields=["name"]), customer)


def deleted(customer):
    return event_of(CustomerDeleted(customer=customer), customer)


class Reactions:
    def __init__(self) -> None:
        self.seen: list[tuple[int, bool]] = []

    async def __call__(self, change: CopyChange, uow: UnitOfWork) -> None:
        self.seen.append((change.event.aggregate_version, change.deleted))


async def apply(sessions, handlers, *events) -> None:
    for event in events:
        uow = UnitOfWork(
            sessions, service_name="copier", actor=Actor(kind="service", id="t"), correlation_id="c"
        )
        async with uow:
            await handlers[event.type](event, uow)
            await uow.commit()


async def lookup(sessions, copies: LocalCopies, customer_id, office_id):
    async with sessions() as session, session.begin():
        return await copies.customer(session, customer_id, office_id)


def owner_answering(states: dict[uuid.UUID, CustomerState], calls: list[str]) -> httpx.AsyncClient:
    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        assert request.headers["Authorization"].startswith("Bearer ")
        customer_id = uuid.UUID(request.url.path.rsplit("/", 1)[1])
        if customer_id not in states:
            return httpx.Response(404, json={"title": "Not found"})
        return httpx.Response(200, content=states[customer_id].model_dump_json(by_alias=True))

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


async def test_events_out_of_order_and_twice_leave_the_newest_state_and_react_once_per_change(
    sessions, office_id
):
    reactions = Reactions()
    handlers = copy_handlers(CUSTOMERS, on_change=reactions)
    customer_id = uuid.uuid4()
    v1, v2, v3 = (a_customer(office_id, customer_id, v) for v in (1, 2, 3))
    await apply(sessions, handlers, updated(v3), created(v1), updated(v2), updated(v3))
    copies = LocalCopies(CopySettings(), owner_answering({}, []))
    row = await lookup(sessions, copies, customer_id, office_id)
    assert (row.name, row.version) == ("Fjord Consult v3", 3)
    assert reactions.seen == [(3, False)]


async def test_a_deletion_stays_when_older_events_arrive_after_it(sessions, office_id):
    reactions = Reactions()
    handlers = copy_handlers(CUSTOMERS, on_change=reactions)
    customer_id = uuid.uuid4()
    calls: list[str] = []
    copies = LocalCopies(CopySettings(), owner_answering({}, calls))
    await apply(
        sessions,
        handlers,
        deleted(a_customer(office_id, customer_id, 4)),
        created(a_customer(office_id, customer_id, 1)),
        updated(a_customer(office_id, customer_id, 3)),
        deleted(a_customer(office_id, customer_id, 4)),
    )
    assert await lookup(sessions, copies, customer_id, office_id) is None
    assert reactions.seen == [(4, True)]
    assert calls == [], "a tombstone is an answer; the owner is not asked"


async def test_a_miss_is_read_once_from_the_owner_and_kept(sessions, office_id):
    customer_id, calls = uuid.uuid4(), []
    copies = LocalCopies(
        CopySettings(), owner_answering({customer_id: a_customer(office_id, customer_id, 2)}, calls)
    )
    first = await lookup(sessions, copies, customer_id, office_id)
    second = await lookup(sessions, copies, customer_id, office_id)
    assert (first.name, first.version, first.country) == ("Fjord Consult v2", 2, "NO")
    assert second.version == 2
    assert calls == [f"/internal/v1/customers/{customer_id}"]
    # The event that was on its way arrives later and changes nothing: its version is already held.
    reactions = Reactions()
    await apply(
        sessions,
        copy_handlers(CUSTOMERS, on_change=reactions),
        created(a_customer(office_id, customer_id, 1)),
    )
    assert reactions.seen == []


async def test_a_customer_the_owner_does_not_know_is_none_and_an_unreachable_owner_is_a_503(
    sessions, office_id
):
    copies = LocalCopies(CopySettings(), owner_answering({}, []))
    assert await lookup(sessions, copies, uuid.uuid4(), office_id) is None

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    unreachable = LocalCopies(CopySettings(), httpx.AsyncClient(transport=httpx.MockTransport(refuse)))
    with pytest.raises(ServiceUnavailable) as raised:
        await lookup(sessions, unreachable, uuid.uuid4(), office_id)
    assert raised.value.status == 503
    assert raised.value.headers == {"Retry-After": "5"}


async def test_another_office_sees_a_customer_only_when_it_is_global(sessions, office_id):
    local_id, global_id = uuid.uuid4(), uuid.uuid4()
    handlers = copy_handlers(CUSTOMERS)
    await apply(
        sessions,
        handlers,
        created(a_customer(office_id, local_id, 1)),
        created(a_customer(office_id, global_id, 1, **{"global": True})),
    )
    copies = LocalCopies(CopySettings(), owner_answering({}, []))
    assert await lookup(sessions, copies, local_id, "another-office") is None
    assert (await lookup(sessions, copies, global_id, "another-office")).id == global_id
    assert (await lookup(sessions, copies, local_id, office_id)).id == local_id
