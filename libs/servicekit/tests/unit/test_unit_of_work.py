"""A unit of work is opened once, by the transaction boundary; opening it again is a bug that must show."""

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from contracts import Actor
from servicekit.db import create_session_factory
from servicekit.unit_of_work import UnitOfWork


async def test_opening_an_open_unit_of_work_raises_instead_of_replacing_its_session():
    # No statement runs, so the engine never connects: nothing here needs a database.
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    uow = UnitOfWork(
        create_session_factory(engine),
        service_name="test",
        actor=Actor(kind="user", id="u"),
        correlation_id="c",
    )
    async with uow:
        session = uow.session
        with pytest.raises(RuntimeError, match="already open"):
            async with uow:
                pass
        assert uow.session is session
    await engine.dispose()
