"""Cancellation that always stops a background worker.

On Python 3.11, `asyncio.wait_for` can swallow a cancellation that arrives just as the awaited thing
completes; a worker loop that then catches the next error and retries never stops, and a relay that
never stops keeps its leader lock from its successor. Workers therefore wait with `asyncio.timeout`
(which keeps cancellations) and re-raise a pending cancellation before retrying anything.
"""

from __future__ import annotations

import asyncio
import contextlib


def raise_if_cancelling() -> None:
    """Call in an `except Exception` of a retry loop: a pending cancellation ends the loop."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def wait_until_set(event: asyncio.Event, timeout_s: float) -> None:
    """Wait for the event, at most `timeout_s`, without ever losing a cancellation."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout_s):
            await event.wait()
