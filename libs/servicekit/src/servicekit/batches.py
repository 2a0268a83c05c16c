"""Applying one batch of events in one transaction, each handler call in its own savepoint.

First without savepoints (``apply_batch``): most batches fail nowhere, and a savepoint costs two round
trips per handler call, as much as the handler's own write. The handlers run straight in the batch's
transaction; if none fails, it commits and every new event is applied. If one fails, that transaction is
rolled back whole and the batch is applied again as below, where a failure stays in its savepoint; a
handler may therefore see an event twice (see ``servicekit.handlers``), never apply it twice.

Rules, in the order the transaction runs them:
- Lock the batch's aggregates and claim all its events in the inbox, two statements for the whole batch
  (``servicekit.inbox``). An event already claimed is a duplicate and is skipped.
- Call the handlers in delivery order, each call a step of the unit of work (a savepoint): a per-event
  handler gets each event alone; a batch handler gets each run of consecutive events it handles
  (duplicates and unhandled types do not break a run). A failing call rolls back only its step; the
  failed event goes alone to its retry queue, or to the dead-letter queue after its last try.
- Keep each aggregate's order: an event whose aggregate has an earlier event in this batch that failed
  and is going to a retry queue is not applied. It is *held back*: it follows that event into the same
  retry queue, right behind it, without counting a try of its own, so the two come back in their
  order. When the failed event goes to the dead-letter queue instead, its aggregate's later events are
  applied: nothing would ever bring the dead letter back in order, and the version guard of copies
  (``servicekit.copies``) keeps a dead letter replayed later from taking over newer state.
- Delete the claims of events not applied, then commit. Only after the commit does the consumer
  forward the failed and held-back events and acknowledge the batch; if the commit fails, nothing is
  acknowledged and every message comes back.

Why held back rather than applied: handlers keep copies of other services' aggregates, and an event
carries its aggregate's full state, so applying version 5 after version 4 failed would be right only if
4 never comes back; when it does, the version guard would drop it anyway, but a handler that is not a
plain copy (a history, a counter, a notification) must see the versions in order. Why batch handlers get
runs rather than all their events: a call must not jump over another handler's event of the same
aggregate, and runs are the simplest grouping that cannot; a service that gives one batch handler all
the types of an aggregate gets the whole batch in one call.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from contracts import EventEnvelope
from servicekit import inbox
from servicekit.context import correlation_id_var
from servicekit.handlers import BatchHandler, BatchOutcome, EventHandler, Handler, is_batch_handler
from servicekit.unit_of_work import TransactionBroken, UnitOfWork


class Outcome(enum.StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    HELD_BACK = "held_back"


@dataclass(eq=False)
class Delivery:
    """One event of a batch, the handler that takes it, and what became of it."""

    position: int
    """Its place in delivery order."""
    envelope: EventEnvelope[Any]
    handler: Handler
    attempt: int
    """Which try this is (1 for a new event)."""
    last_try: bool
    """If it fails now, it goes to the dead-letter queue rather than to a retry queue."""
    outcome: Outcome | None = None
    error: Exception | None = None
    held_behind: Delivery | None = None
    """For a held-back event: the failed event of its aggregate it follows."""


async def apply_batch(unit: UnitOfWork, consumer: str, deliveries: Sequence[Delivery]) -> None:
    """Apply the deliveries (distinct events) in `unit`, not yet open, and commit; set each delivery's
    outcome. Without savepoints when no handler fails; otherwise `apply_in_one_transaction`. A batch
    holding a retried event goes straight to savepoints: it failed before and likely fails again."""
    retried = any(delivery.attempt > 1 for delivery in deliveries)
    if not retried and await _applied_without_steps(unit, consumer, deliveries):
        return
    for delivery in deliveries:
        delivery.outcome = None
    await apply_in_one_transaction(unit, consumer, deliveries)


async def _applied_without_steps(unit: UnitOfWork, consumer: str, deliveries: Sequence[Delivery]) -> bool:
    """Apply the whole batch in one transaction without savepoints and commit it; False (and nothing
    kept) as soon as a handler fails or reports a failed event."""
    async with unit:
        claimed = await _claim(unit, consumer, deliveries)
        new = [delivery for delivery in deliveries if delivery.envelope.id in claimed]
        try:
            for handler, call in handler_calls(new):
                if is_batch_handler(handler):
                    unit.handling(call[0].envelope)
                    outcome = await handler.apply_batch([delivery.envelope for delivery in call], unit)
                    if outcome.failed:
                        return False
                    continue
                event_handler = cast(EventHandler, handler)
                for delivery in call:
                    unit.handling(delivery.envelope)
                    token = correlation_id_var.set(delivery.envelope.correlation_id)
                    try:
                        await event_handler(delivery.envelope, unit)
                    finally:
                        correlation_id_var.reset(token)
        except TransactionBroken:
            raise  # nothing of this batch can apply now: the consumer takes it back whole
        except Exception:
            return False  # leaving the block rolls the whole transaction back
        await unit.commit()
    for delivery in deliveries:
        delivery.outcome = Outcome.APPLIED if delivery.envelope.id in claimed else Outcome.DUPLICATE
    return True


async def _claim(unit: UnitOfWork, consumer: str, deliveries: Sequence[Delivery]) -> set[uuid.UUID]:
    """Lock the batch's aggregates and claim its events in the inbox; the ids claimed now (the others
    were applied before: duplicates)."""
    await inbox.lock_aggregates(unit.session, consumer, {d.envelope.aggregate_id for d in deliveries})
    return set(await inbox.claim(unit.session, consumer, [d.envelope for d in deliveries]))


async def apply_in_one_transaction(unit: UnitOfWork, consumer: str, deliveries: Sequence[Delivery]) -> None:
    """Apply the deliveries (distinct events) in `unit`, not yet open, and commit it; set each
    delivery's outcome. Raises when the transaction fails as a whole; then no outcome counts."""
    async with unit:
        session = unit.session
        claimed = await _claim(unit, consumer, deliveries)
        new: list[Delivery] = []
        for delivery in deliveries:
            if delivery.envelope.id in claimed:
                new.append(delivery)
            else:
                delivery.outcome = Outcome.DUPLICATE
        order = _AggregateOrder()
        for handler, call in handler_calls(new):
            if is_batch_handler(handler):
                await _apply_batch_call(unit, handler, call, order)
            else:
                event_handler = cast(EventHandler, handler)
                for delivery in call:
                    await _apply_alone(
                        unit, delivery, order, _event_handler_call(event_handler, delivery, unit)
                    )
        await inbox.release(
            session, consumer, [d.envelope.id for d in new if d.outcome is not Outcome.APPLIED]
        )
        await unit.commit()


def handler_calls(deliveries: Sequence[Delivery]) -> list[tuple[Handler, list[Delivery]]]:
    """The handler calls for these deliveries, in delivery order: each event alone for a per-event
    handler, each run of consecutive events of one batch handler together."""
    calls: list[tuple[Handler, list[Delivery]]] = []
    for delivery in deliveries:
        if calls and calls[-1][0] is delivery.handler and is_batch_handler(delivery.handler):
            calls[-1][1].append(delivery)
        else:
            calls.append((delivery.handler, [delivery]))
    return calls


class _AggregateOrder:
    """The first event of each aggregate that failed in this batch and goes to a retry queue."""

    def __init__(self) -> None:
        self._failed: dict[uuid.UUID, Delivery] = {}

    def holds_back(self, delivery: Delivery) -> bool:
        """Mark the delivery held back, and say so, when an earlier event of its aggregate failed."""
        leader = self._failed.get(delivery.envelope.aggregate_id)
        if leader is None or leader.position >= delivery.position:
            return False
        delivery.outcome, delivery.held_behind = Outcome.HELD_BACK, leader
        return True

    def fail(self, delivery: Delivery, error: Exception) -> None:
        delivery.outcome, delivery.error = Outcome.FAILED, error
        if not delivery.last_try:
            leader = self._failed.get(delivery.envelope.aggregate_id)
            if leader is None or leader.position > delivery.position:
                self._failed[delivery.envelope.aggregate_id] = delivery


Call = Callable[[], Awaitable[Exception | None]]
"""One handler call; returns the error a batch handler reported, if any."""


async def _apply_alone(unit: UnitOfWork, delivery: Delivery, order: _AggregateOrder, call: Call) -> None:
    if order.holds_back(delivery):
        return
    unit.handling(delivery.envelope)
    token = correlation_id_var.set(delivery.envelope.correlation_id)
    try:
        async with unit.step():
            reported = await call()
            if reported is not None:
                raise reported  # rolls the step back
    except TransactionBroken:
        raise
    except Exception as exc:
        order.fail(delivery, exc)
    else:
        delivery.outcome = Outcome.APPLIED
    finally:
        correlation_id_var.reset(token)


def _event_handler_call(handler: EventHandler, delivery: Delivery, unit: UnitOfWork) -> Call:
    async def call() -> None:
        await handler(delivery.envelope, unit)

    return call


def _batch_handler_alone(handler: BatchHandler, delivery: Delivery, unit: UnitOfWork) -> Call:
    async def call() -> Exception | None:
        outcome = await handler.apply_batch([delivery.envelope], unit)
        return outcome.failed.get(delivery.envelope.id)

    return call


class _SomeFailed(Exception):
    def __init__(self, outcome: BatchOutcome) -> None:
        super().__init__(f"{len(outcome.failed)} events failed")
        self.outcome = outcome


async def _apply_batch_call(
    unit: UnitOfWork, handler: BatchHandler, call: list[Delivery], order: _AggregateOrder
) -> None:
    pending = [delivery for delivery in call if not order.holds_back(delivery)]
    while pending:
        unit.handling(pending[0].envelope)
        try:
            async with unit.step():
                outcome = await handler.apply_batch([delivery.envelope for delivery in pending], unit)
                if outcome.failed:
                    raise _SomeFailed(outcome)  # rolls the step back; the others are applied again
        except TransactionBroken:
            raise
        except _SomeFailed as reported:
            for delivery in pending:  # in delivery order, so a failure holds back what follows it
                error = reported.outcome.failed.get(delivery.envelope.id)
                if not order.holds_back(delivery) and error is not None:
                    order.fail(delivery, error)
            remaining = [delivery for delivery in pending if delivery.outcome is None]
            if len(remaining) < len(pending):
                pending = remaining
                continue
            # It named no event of the call: no telling which failed, so as if it had raised.
        except Exception:
            pass
        else:
            for delivery in pending:
                delivery.outcome = Outcome.APPLIED
            return
        for delivery in pending:
            await _apply_alone(unit, delivery, order, _batch_handler_alone(handler, delivery, unit))
        return
