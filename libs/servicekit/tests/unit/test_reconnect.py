"""The one reconnect loop: a failing step is run again after growing pauses, and cancellation ends it."""

import asyncio
import contextlib
import itertools

import pytest

from servicekit.reconnect import keep_running


async def test_a_failing_step_is_run_again_after_pauses_that_double_up_to_the_limit():
    started: list[float] = []
    done = asyncio.Event()

    async def step() -> None:
        started.append(asyncio.get_running_loop().time())
        if len(started) < 5:
            raise ConnectionError("broker gone")
        done.set()
        await asyncio.Event().wait()  # connected: works until cancelled

    task = asyncio.create_task(keep_running(step, name="test", first_delay_s=0.05, max_delay_s=0.1))
    async with asyncio.timeout(5):
        await done.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    pauses = [later - earlier for earlier, later in itertools.pairwise(started)]
    for pause, least in zip(pauses, (0.05, 0.1, 0.1, 0.1), strict=True):
        assert pause >= least - 0.005
    assert pauses[3] < 0.3  # capped at 0.1 s; doubling on would have made it 0.4 s


async def test_a_step_that_returns_starts_the_pauses_afresh():
    outcomes = iter(["fail", "fail", "fail", "return", "fail", "stop"])
    started: list[float] = []

    async def step() -> None:
        started.append(asyncio.get_running_loop().time())
        outcome = next(outcomes)
        if outcome == "fail":
            raise ConnectionError("database gone")
        if outcome == "stop":
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        async with asyncio.timeout(5):
            await keep_running(step, name="test", first_delay_s=0.05, max_delay_s=1.0)
    # Three failures in a row grew the next pause to 0.4 s; after the step returned it is 0.05 s again.
    assert started[5] - started[4] < 0.3


async def test_the_loop_ends_when_cancelled_even_if_the_step_swallowed_the_cancellation():
    attempts = 0

    async def step() -> None:
        nonlocal attempts
        attempts += 1
        with contextlib.suppress(asyncio.CancelledError):  # as asyncio.wait_for can, on 3.11
            await asyncio.sleep(1)
        raise ConnectionError("broker gone")

    task = asyncio.create_task(keep_running(step, name="test"))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        async with asyncio.timeout(2):  # a loop that retried would never end
            await task
    assert attempts == 1
