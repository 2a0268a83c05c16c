"""The one transaction boundary of a request: open the unit of work, run the use case, commit.

Routes hand a use case to `run_in_transaction`, or to `answer_once` when the request may carry an
`Idempotency-Key` (the shape of eShop's transaction behaviour wrapped around its identified-command
handler). Use cases receive the unit of work open and never commit it, so one use case can call another
inside the same transaction and no use case takes hooks to let a caller join its transaction.

With a key, `answer_once` first takes the key's lock, so a twin request (a client retrying while the first
try is still running) waits for the first to finish and then replays its answer: it never runs the use
case beside it and never meets the first one's unique numbers or external ids as a conflict.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi.responses import Response
from sqlalchemy.exc import DBAPIError

from servicekit import idempotency
from servicekit.idempotency import IdempotentRequest
from servicekit.unit_of_work import UnitOfWork

ResultT = TypeVar("ResultT")
UseCase = Callable[[UnitOfWork], Awaitable[ResultT]]
"""A use case bound to its command: it changes state through the open unit of work it is given."""


async def run_in_transaction(uow: UnitOfWork, use_case: UseCase[ResultT]) -> ResultT:
    """Run the use case in one transaction and commit it; nothing is kept if the use case raises."""

    async def once() -> ResultT:
        async with uow:
            result = await use_case(uow)
            await uow.commit()
        return result

    return await _again_on_a_dropped_connection(uow, once)


async def answer_once(
    uow: UnitOfWork,
    request: IdempotentRequest | None,
    use_case: UseCase[ResultT],
    answer: Callable[[ResultT], Response],
) -> Response:
    """Answer the request, running the use case at most once per Idempotency-Key.

    A repeat of a request that succeeded gets the stored answer with `Idempotent-Replayed: true`. A
    request that failed stored nothing, so its repeat runs again. Without a key this is
    `run_in_transaction` followed by `answer`.
    """
    if request is None:
        return answer(await run_in_transaction(uow, use_case))

    async def once() -> Response:
        async with uow:
            await idempotency.wait_for_twins(uow.session, request)
            if (stored := await idempotency.stored_response(uow.session, request)) is not None:
                return idempotency.replay(stored)
            response = answer(await use_case(uow))
            await idempotency.remember(uow.session, request, response)
            await uow.commit()
        return response

    return await _again_on_a_dropped_connection(uow, once)


async def _again_on_a_dropped_connection(uow: UnitOfWork, once: Callable[[], Awaitable[ResultT]]) -> ResultT:
    """Run `once`, and once more if the database connection turned out to be dead before the commit.

    Pooled connections are not pinged at checkout (a round trip on every request); a connection that
    died while idle (a database restart, a failover) fails its first statement instead. That failure
    marks the pool's connections invalid, and since nothing was committed, the whole use case runs again
    on a fresh connection. A connection lost during the commit is not retried: the commit may have
    happened.
    """
    try:
        return await once()
    except DBAPIError as error:
        if not error.connection_invalidated or uow.commit_started:
            raise
    return await once()
