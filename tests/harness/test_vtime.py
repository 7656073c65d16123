"""Virtual time: freezegun once, sleeps that move the clock, the virtual event loop."""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import threading
import time
from collections.abc import Iterator

import pytest

from harness.runtime.vtime import DEFAULT_START, HookTimeout, VirtualTime, real_monotonic


@pytest.fixture
def vt() -> Iterator[VirtualTime]:
    clock = VirtualTime()
    clock.start()
    try:
        yield clock
    finally:
        clock.stop()


def test_time_sleep_returns_at_once_and_moves_every_clock(vt: VirtualTime) -> None:
    wall = real_monotonic()
    before_now, before_time, before_mono = dt.datetime.now(dt.UTC), time.time(), time.monotonic()
    time.sleep(3600)
    assert real_monotonic() - wall < 1.0
    assert dt.datetime.now(dt.UTC) - before_now == dt.timedelta(hours=1)
    assert time.time() - before_time == pytest.approx(3600)
    assert time.monotonic() - before_mono == pytest.approx(3600)
    assert vt.now() == DEFAULT_START + dt.timedelta(hours=1)
    assert vt.slept == [("time.sleep", 3600)]


def test_frozen_clock_and_fake_clock_agree(vt: VirtualTime) -> None:
    # vt is the fake_shopify clock (now()/advance()); the process clock follows it.
    vt.advance(90.5)
    assert dt.datetime.now(dt.UTC) == vt.now()
    assert dt.datetime.utcnow() == vt.now().replace(tzinfo=None)
    assert time.time() == pytest.approx(vt.now().timestamp())
    vt.move_to(vt.now() + dt.timedelta(days=2))
    assert dt.date.today() == vt.now().date()


def test_clock_never_goes_backwards() -> None:
    vt = VirtualTime()
    with pytest.raises(ValueError, match="backwards"):
        vt.advance(-1)
    with pytest.raises(ValueError, match="backwards"):
        vt.move_to(DEFAULT_START - dt.timedelta(seconds=1))
    with pytest.raises(ValueError, match="aware"):
        VirtualTime(start=dt.datetime(2026, 1, 1))


def test_stop_restores_everything() -> None:
    real_sleep, real_asleep, real_time = time.sleep, asyncio.sleep, time.time
    vt = VirtualTime().start()
    assert time.sleep is not real_sleep
    assert asyncio.sleep is not real_asleep
    assert time.time is not real_time
    with pytest.raises(RuntimeError, match="already started"):
        vt.start()
    vt.stop()
    vt.stop()  # idempotent
    assert (time.sleep, asyncio.sleep, time.time) == (real_sleep, real_asleep, real_time)
    assert abs(time.time() - dt.datetime.now(dt.UTC).timestamp()) < 5
    assert dt.datetime.now(dt.UTC).year >= 2026


def test_start_once_then_move_is_cheap() -> None:
    vt = VirtualTime()
    vt.start()
    try:
        wall = real_monotonic()
        for _ in range(1000):
            vt.advance(1)
        per_advance = (real_monotonic() - wall) / 1000
    finally:
        vt.stop()
    assert vt.now() == DEFAULT_START + dt.timedelta(seconds=1000)
    assert per_advance < 0.001  # moving the clock costs microseconds, freezegun's start does not


def test_asyncio_sleep_on_the_virtual_loop_interleaves(vt: VirtualTime) -> None:
    order: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        order.append((name, vt.monotonic()))

    async def main() -> None:
        await asyncio.gather(sleeper("slow", 3), sleeper("fast", 2), sleeper("now", 0))

    wall = real_monotonic()
    vt.run(main())
    assert real_monotonic() - wall < 1.0
    # Overlapping sleeps cost the longest one (3 s), not their sum; order follows the timers.
    assert order == [("now", 0.0), ("fast", 2.0), ("slow", 3.0)]
    assert dt.datetime.now(dt.UTC) == DEFAULT_START + dt.timedelta(seconds=3)


def test_asyncio_wait_for_uses_virtual_time(vt: VirtualTime) -> None:
    async def main() -> str:
        try:
            await asyncio.wait_for(asyncio.sleep(100), timeout=5)
        except TimeoutError:
            return "timed out"
        return "finished"

    assert vt.run(main()) == "timed out"
    assert vt.monotonic() == pytest.approx(5)


def test_asyncio_sleep_on_another_loop_inside_a_hook_advances(vt: VirtualTime) -> None:
    # A hook may run its own loop (asyncio.run inside a plain hook): sleeps still cost nothing.
    async def main() -> None:
        await asyncio.sleep(600)

    wall = real_monotonic()
    with vt.deadline("register of x for bot1", 3600):
        asyncio.run(main())
    assert real_monotonic() - wall < 1.0
    assert vt.monotonic() == pytest.approx(600)
    assert ("asyncio.sleep", 600) in vt.slept


def test_sleep_past_the_budget_stops_the_hook(vt: VirtualTime) -> None:
    def retry_forever() -> None:
        for _ in range(100):
            time.sleep(5)

    with vt.deadline("register of x for bot1", 60), pytest.raises(HookTimeout) as info:
        retry_forever()
    assert "register of x for bot1 ran past its virtual time budget of 60 s" in str(info.value)
    assert vt.monotonic() == pytest.approx(60)
    # Outside a hook there is no budget.
    time.sleep(10_000)
    assert vt.monotonic() == pytest.approx(10_060)


def test_hook_timeout_is_not_an_exception() -> None:
    assert not issubclass(HookTimeout, Exception)


def test_run_in_executor_waits_for_real(vt: VirtualTime) -> None:
    # Waiting on a thread must not jump the clock to the next timer.
    async def main() -> int:
        loop = asyncio.get_running_loop()
        timer = loop.call_later(30, lambda: None)
        result = await asyncio.to_thread(lambda: 41 + 1)
        timer.cancel()
        return result

    assert vt.run(main()) == 42
    assert vt.monotonic() < 30


def test_wall_deadline_wakes_an_idle_loop(vt: VirtualTime) -> None:
    loop = vt.loop()
    fired: list[bool] = []

    async def main() -> None:
        never = loop.create_future()

        def stop() -> None:
            never.cancel()

        loop.set_wall_deadline(0.05, stop)
        try:
            await never
        except asyncio.CancelledError:
            fired.append(True)

    wall = real_monotonic()
    loop.run_until_complete(main())
    assert fired == [True]
    assert 0.04 < real_monotonic() - wall < 2.0


def test_other_threads_sleep_for_real_and_leave_the_clock_alone(vt: VirtualTime) -> None:
    took: list[float] = []

    def io_thread() -> None:
        start = real_monotonic()
        time.sleep(0.05)
        took.append(real_monotonic() - start)

    thread = threading.Thread(target=io_thread)
    thread.start()
    thread.join()
    assert took[0] >= 0.04
    assert vt.monotonic() == 0
    # A thread that carries a hook call's context sleeps virtually.
    with vt.deadline("register of x for bot1", None):
        context = contextvars.copy_context()
    worker = threading.Thread(target=context.run, args=(time.sleep, 30))
    worker.start()
    worker.join()
    assert vt.monotonic() == pytest.approx(30)
