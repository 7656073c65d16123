"""Every way of sleeping that integrations use costs no wall time, and overlapping sync hooks'
sleeps overlap as they do in real time (issue 14, "Virtual time")."""

from __future__ import annotations

import asyncio
import threading
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.runtime import Context, LogSink, StateStore
from harness.runtime.vtime import VirtualTime, real_monotonic
from harness.targets.python import (
    HookInvocation,
    Integration,
    call_hook,
    call_hooks_concurrently,
    load_integration,
)


@pytest.fixture
def vt() -> Iterator[VirtualTime]:
    clock = VirtualTime().start()
    try:
        yield clock
    finally:
        clock.stop()


def ctx_for(bot: str = "bot1") -> Context:
    return Context(bot_id=bot, integration_id=f"int_{bot}", webhook_id=f"wh_{bot}")


def namespace(register: Callable[..., Any]) -> Integration:
    return load_integration(types.SimpleNamespace(register=register, unregister=lambda: None))


def run_one(integ: Integration, vt: VirtualTime, **kwargs: Any) -> Any:
    return call_hook(
        integ,
        "register",
        ctx=ctx_for(),
        store=StateStore(clock=vt),
        sink=LogSink(clock=vt),
        vtime=vt,
        **kwargs,
    )


ALIASED = """\
from time import sleep
from time import sleep as nap
from asyncio import sleep as asleep
import time as t

def register(ctx):
    sleep(10)
    nap(5)
    t.sleep(1)

async def unregister(ctx):
    await asleep(7)
"""


def test_sleep_imported_by_any_name_is_virtual(tmp_path: Path) -> None:
    """``from time import sleep`` (under any name) in a module loaded before the run starts."""
    path = tmp_path / "aliased_sleeps.py"
    path.write_text(ALIASED, encoding="utf-8")
    integ = load_integration(str(path))
    vt = VirtualTime().start()
    try:
        started = real_monotonic()
        outcome = run_one(integ, vt)
        assert outcome.ok, outcome.status_reason
        assert vt.monotonic() == pytest.approx(16)
        outcome = call_hook(
            integ,
            "unregister",
            ctx=ctx_for(),
            store=StateStore(clock=vt),
            sink=LogSink(clock=vt),
            vtime=vt,
        )
        assert outcome.ok, outcome.status_reason
        assert vt.monotonic() == pytest.approx(23)
        assert real_monotonic() - started < 2
    finally:
        vt.stop()
    module_globals = integ.register.func.__globals__
    import time

    assert module_globals["sleep"] is time.sleep  # restored: the real function again
    assert module_globals["nap"] is time.sleep
    assert module_globals["asleep"] is asyncio.sleep


def test_sleep_imported_inside_the_hook_is_virtual(vt: VirtualTime) -> None:
    def register() -> None:
        from time import sleep as pause

        pause(30)

    started = real_monotonic()
    assert run_one(namespace(register), vt).ok
    assert vt.monotonic() == pytest.approx(30)
    assert real_monotonic() - started < 2


@pytest.mark.parametrize(
    "wait",
    [
        lambda: threading.Event().wait(timeout=40),
        lambda: threading.Event().wait(40),
        lambda: _condition_wait(40),
        lambda: threading.Semaphore(0).acquire(timeout=40),
    ],
    ids=["event-kw", "event", "condition", "semaphore"],
)
def test_timed_waits_inside_a_hook_are_virtual(vt: VirtualTime, wait: Callable[[], bool]) -> None:
    results: list[bool] = []

    def register() -> None:
        results.append(wait())

    started = real_monotonic()
    assert run_one(namespace(register), vt).ok
    assert results == [False]  # timed out, as it would after 40 s
    assert vt.monotonic() == pytest.approx(40, abs=0.2)
    assert real_monotonic() - started < 2


def _condition_wait(seconds: float) -> bool:
    cond = threading.Condition()
    with cond:
        return cond.wait(seconds)


def test_a_wait_that_is_notified_returns_at_once(vt: VirtualTime) -> None:
    """Another thread's quick real work sets the event: the wait returns True, no 30 s pass."""
    results: list[bool] = []

    def register() -> None:
        done = threading.Event()
        threading.Thread(target=done.set).start()
        results.append(done.wait(30))

    assert run_one(namespace(register), vt).ok
    assert results == [True]
    assert vt.monotonic() < 1


def test_waits_outside_hooks_stay_real(vt: VirtualTime) -> None:
    started = real_monotonic()
    assert threading.Event().wait(0.3) is False
    assert real_monotonic() - started >= 0.25
    assert vt.monotonic() == 0


def test_a_wait_past_the_budget_stops_the_hook(vt: VirtualTime) -> None:
    def register() -> None:
        threading.Event().wait(3600)

    outcome = run_one(namespace(register), vt, budget_seconds=30)
    assert outcome.timed_out
    assert "ran past its virtual time budget of 30 s" in (outcome.status_reason or "")
    assert vt.monotonic() == pytest.approx(30, abs=0.2)


def _concurrently(integ: Integration, vt: VirtualTime, bots: int) -> list[Any]:
    return call_hooks_concurrently(
        [HookInvocation(integ, "register", ctx_for(f"bot{i + 1}")) for i in range(bots)],
        store=StateStore(clock=vt),
        sink=LogSink(clock=vt),
        vtime=vt,
        wall_timeout=10,
    )


def test_two_bots_sync_sleeps_overlap_as_async_ones_do(vt: VirtualTime) -> None:
    """Two bots each sleeping 50 s at once take 50 virtual seconds, not 100 (async: 50 too)."""

    def register() -> None:
        import time

        time.sleep(50)

    started = real_monotonic()
    outcomes = _concurrently(namespace(register), vt, 2)
    assert all(o.ok for o in outcomes)
    assert vt.monotonic() == pytest.approx(50)
    assert real_monotonic() - started < 3

    async def aregister() -> None:
        await asyncio.sleep(50)

    outcomes = _concurrently(namespace(aregister), vt, 2)
    assert all(o.ok for o in outcomes)
    assert vt.monotonic() == pytest.approx(100)


def test_overlapping_sync_sleeps_wake_in_timer_order(vt: VirtualTime) -> None:
    events: list[tuple[str, float]] = []
    lock = threading.Lock()

    def register(ctx: Context) -> None:
        import time

        time.sleep({"bot1": 3, "bot2": 1, "bot3": 2}[ctx.bot_id])
        with lock:
            events.append((ctx.bot_id, vt.monotonic()))
        time.sleep(5)

    outcomes = _concurrently(namespace(register), vt, 3)
    assert all(o.ok for o in outcomes)
    assert events == [("bot2", 1), ("bot3", 2), ("bot1", 3)]
    assert vt.monotonic() == pytest.approx(8)


@given(
    plans=st.lists(
        st.lists(st.integers(min_value=0, max_value=14), min_size=1, max_size=4),
        min_size=2,
        max_size=3,
    )
)
@settings(max_examples=25, deadline=None)
def test_overlapping_sleeps_take_the_longest_threads_time(plans: list[list[int]]) -> None:
    """Each bot sleeps a sequence of seconds; together they take the longest bot's total,
    as threads do in real time."""

    def register(ctx: Context) -> None:
        import time

        for seconds in plans[int(ctx.bot_id.removeprefix("bot")) - 1]:
            time.sleep(seconds)

    vt = VirtualTime().start()
    try:
        outcomes = _concurrently(namespace(register), vt, len(plans))
        assert all(o.ok for o in outcomes)
        assert vt.monotonic() == pytest.approx(max(sum(p) for p in plans), abs=1e-3)
    finally:
        vt.stop()
