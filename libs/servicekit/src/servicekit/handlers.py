"""What a consuming service registers per event type: a handler of one event, or of many at once.

Rule: a plain function ``(event, uow)`` applies one event; an object with ``apply_batch(events, uow)``
applies all of a batch's new events of its types in one call and reports the ones it could not apply.
Both run inside the batch's transaction and never commit. Reason: most handlers write a row or two per
event and need nothing more; a handler whose cost is per call rather than per event (the search
service's OpenSearch bulk request) gets one call per batch, without giving up the rule that a failing
event fails alone.

How the consumer calls a batch handler (see ``servicekit.batches``):
- with the batch's events of its types that this consumer has not applied before (never a duplicate),
  in delivery order, so one aggregate's events arrive in the order they were published. An event for
  another handler in between splits the call in two, so that no call jumps over another handler's
  event; a handler registered for every type the queue carries gets the whole batch in one call;
- first in the batch's transaction without savepoints (``servicekit.batches.apply_batch``); if anything
  in the batch fails, that transaction is rolled back and the batch applied again as follows:
- in one savepoint. When the outcome names failed events, the savepoint is rolled back and the handler
  called again without them (and without the later events of their aggregates, which are held back);
  the failed ones go alone to their retry queue or the dead-letter queue. A handler therefore never
  needs to undo a partial write, but it must tolerate seeing an event again (an external bulk request
  is sent again for the others; make it idempotent, e.g. versioned by ``aggregate_version``);
- when it raises, the consumer cannot tell which event was at fault: the savepoint is rolled back and
  the handler called once per event, so only the bad event fails. A handler that knows the whole call
  failed (its server is unreachable) reports every event failed instead, which skips that.
Events it records name their cause with ``uow.record(..., caused_by=event)``.

A handler that finds something the whole batch needs unreachable (the search service's OpenSearch)
raises ``DependencyUnavailable``: nothing of the batch is kept, no event counts a try or goes to a retry
or dead-letter queue, and the consumer takes the whole batch back from the broker after a pause, however
long the outage lasts. Reporting the events failed instead would dead-letter them after a few tries.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeGuard

from contracts import EventEnvelope
from servicekit.unit_of_work import TransactionBroken, UnitOfWork


class DependencyUnavailable(TransactionBroken):
    """Something every event of the batch needs is down: the batch is rolled back and comes back whole."""


EventHandler = Callable[[EventEnvelope[Any], UnitOfWork], Awaitable[None]]
"""A handler applies one event inside the given unit of work; it must not commit."""


@dataclass(frozen=True)
class BatchOutcome:
    """What a batch handler reports: the events it could not apply, each with its error. Empty when
    it applied them all."""

    failed: Mapping[uuid.UUID, Exception] = field(default_factory=dict)


ALL_APPLIED = BatchOutcome()


class BatchHandler(Protocol):
    """Applies several events of its types in one call (see the module's rules)."""

    async def apply_batch(self, events: Sequence[EventEnvelope[Any]], uow: UnitOfWork) -> BatchOutcome: ...


Handler = EventHandler | BatchHandler
"""What a service registers for an event type."""


def is_batch_handler(handler: Handler) -> TypeGuard[BatchHandler]:
    # Not isinstance() on a runtime-checkable protocol: that inspects the class on every call, and
    # this runs once per event.
    return callable(getattr(handler, "apply_batch", None))
