"""Background workers stop when cancelled, even when the cancellation races with what they wait for."""

import asyncio
import contextlib

import pytest

from servicekit.cancellation import raise_if_cancelling, wait_until_set


async def old_wait(event: asyncio.Event, timeout_s: float) -> None:
    # What the relay did before: Python 3.11's wait_for can swallow the cancellation.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout_s)


async def cancellations_lost(wait) -> int:
    lost = 0
    for _ in range(100):
        event = asyncio.Event()
        task = asyncio.create_task(wait(event, 10))
        await asyncio.sleep(0)
        event.set()  # the wake-up arrives ...
        task.cancel()  # ... just as the worker is told to stop
        try:
            await task
            lost += 1
        except asyncio.CancelledError:
            pass
    return lost


async def test_a_cancellation_racing_a_wake_up_is_never_lost():
    assert await cancellations_lost(wait_until_set) == 0


async def test_the_race_is_real_with_wait_for_on_this_python():
    # Shows why wait_until_set exists; if a future Python fixes wait_for, this may start to fail.
    assert await cancellations_lost(old_wait) > 0


async def test_a_retry_loop_ends_even_when_a_library_swallowed_the_cancellation():
    attempts = 0

    async def worker() -> None:
        nonlocal attempts
        while True:
            try:
                attempts += 1
                with contextlib.suppress(asyncio.CancelledError):  # as wait_for can, on 3.11
                    await asyncio.sleep(1)
                raise ConnectionError("broker gone")
            except Exception:
                raise_if_cancelling()

    task = asyncio.create_task(worker())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        async with asyncio.timeout(2):  # without raise_if_cancelling the loop would retry forever
            await task
    assert attempts == 1
