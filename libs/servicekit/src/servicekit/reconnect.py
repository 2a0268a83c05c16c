"""One loop keeps every background worker running through outages: the relay, the consumer, housekeeping.

A worker's step connects to what it needs and works until something fails (the broker restarts, the
database goes away). The loop logs the failure, waits (0.2 s, doubling up to 5 s; back to 0.2 s after a
step that returns), and runs the step again, so a worker outlives any outage without a restart of the
process and does not hammer a server that is still down. Cancellation always ends the loop, even when a
library swallowed it: a worker that kept retrying after shutdown would, for the relay, keep its leader
lock from its successor (see ``cancellation``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from servicekit.cancellation import raise_if_cancelling

log = logging.getLogger(__name__)

FIRST_DELAY_S = 0.2
MAX_DELAY_S = 5.0


async def keep_running(
    step: Callable[[], Awaitable[None]],
    *,
    name: str,
    first_delay_s: float = FIRST_DELAY_S,
    max_delay_s: float = MAX_DELAY_S,
) -> None:
    """Run `step` again and again until cancelled, waiting longer after each failure in a row."""
    delay = first_delay_s
    while True:
        try:
            await step()
            delay = first_delay_s
        except Exception as exc:
            raise_if_cancelling()
            log.warning("%s interrupted, retrying in %.1fs: %s", name, delay, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay_s)
