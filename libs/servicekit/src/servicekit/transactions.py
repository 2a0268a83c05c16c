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

    return await _again_when_undone(uow, once)


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

    return await _again_when_undone(uow, once)


RETRIED_SQLSTATES = frozenset({"40P01", "40001"})
"""deadlock_detected and serialization_failure: PostgreSQL rolled the whole transaction back so that
another could go on, and asks the application to run it again."""
CONCURRENCY_RETRIES = 3


async def _again_when_undone(uow: UnitOfWork, once: Callable[[], Awaitable[ResultT]]) -> ResultT:
    """Run `once`, and again when the database undid its transaction for a reason a new try cures.

    - PostgreSQL chose it as the victim of a deadlock, or could not serialize it (`RETRIED_SQLSTATES`),
      up to `CONCURRENCY_RETRIES` times. Requests and consumers lock the same rows in different orders
      (a contact's copy read through and stored, then its customer's copy locked, while a consumer's
      batch stores the customer's copy, then the contact's): the victim was answered 500 before. Such
      a transaction never committed, even when the error came at the commit, so running it again is safe.
    - The database connection turned out to be dead before the commit, once. Pooled connections are not
      pinged at checkout (a round trip on every request); a connection that died while idle (a database
      restart, a failover) fails its first statement instead. That failure marks the pool's connections
      invalid, and since nothing was committed, the whole use case runs again on a fresh connection. A
      connection lost during the commit is not retried: the commit may have happened.
    """
    undone, reconnected = 0, False
    while True:
        try:
            return await once()
        except DBAPIError as error:
            if _sqlstate(error) in RETRIED_SQLSTATES and undone < CONCURRENCY_RETRIES:
                undone += 1
            elif error.connection_invalidated and not uow.commit_started and not reconnected:
                reconnected = True
            else:
                raise


def _sqlstate(error: DBAPIError) -> str | None:
    # SQLAlchemy's asyncpg adapter copies the driver's SQLSTATE onto the error it raises.
    return getattr(error.orig, "sqlstate", None)
