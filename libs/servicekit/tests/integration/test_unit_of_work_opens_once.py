"""A unit of work is opened once, by the transaction boundary; opening it again is a bug that must show."""

import pytest

from contracts import Actor
from servicekit.unit_of_work import UnitOfWork


async def test_opening_an_open_unit_of_work_raises_instead_of_replacing_its_session(consumer_sessions):
    uow = UnitOfWork(
        consumer_sessions, service_name="test", actor=Actor(kind="user", id="u"), correlation_id="c"
    )
    async with uow:
        session = uow.session
        with pytest.raises(RuntimeError, match="already open"):
            async with uow:
                pass
        assert uow.session is session
