"""Virtual time for a simulated run (docs/architecture.md).

One :class:`VirtualTime` per run. :meth:`VirtualTime.start` freezes the process clock with
freezegun ONCE (freezegun walks every loaded module on start, which costs milliseconds); after
that the clock only moves through :meth:`VirtualTime.advance` / :meth:`tick` / :meth:`move_to`,
which are cheap. The same object is the fake Shopify's clock (``now()``, ``advance(seconds)``)
and the state store's, so every party reads one time.

While it is active:

* ``time.sleep(s)`` advances the clock by ``s`` and returns at once, when called inside a hook
  call or on the thread that started the run (other threads, e.g. a test runner's, sleep for
  real and leave the clock alone); module-level aliases (``from time import sleep``, under any
  name, and ``from asyncio import sleep``) are virtual too;
* overlapping sync hooks (one thread each) sleep together: the clock moves to the earliest
  wake-up once every hook thread sleeps, so two bots sleeping 50 s at once take 50 s, as in real
  time (see :data:`STALL_SECONDS` for a thread that neither sleeps nor finishes);
* inside a hook, ``Condition.wait(timeout)`` and all that waits through it (``Event.wait``,
  ``Semaphore.acquire``, ``Barrier.wait``, ``Future.result``, ``queue`` gets) waits up to
  :data:`REAL_SLICE` for real for a notification, then lets the timeout pass virtually;
  threading's and queue's own timeout arithmetic reads the virtual clock there;
* coroutines run on a :class:`VirtualEventLoop`, whose ``time()`` is the virtual clock and which,
  when every task is waiting on a timer, jumps the clock to the earliest timer instead of
  blocking. ``asyncio.sleep`` therefore still yields to the loop (concurrent tasks interleave in
  timer order, and two overlapping ``sleep(2)`` / ``sleep(3)`` cost 3 virtual seconds, not 5);
* ``asyncio.sleep`` on any other loop, inside a hook, advances the clock and yields once;
* inside a hook call, a sleep past the hook's virtual budget raises :class:`HookTimeout`.

freezegun notes (checked against freezegun 1.5):

* ``real_asyncio=True`` makes ordinary event loops read the real monotonic clock; without it an
  ``asyncio.sleep(1)`` on a normal loop never finishes while time is frozen. Our own loop
  overrides ``time()`` and is not affected.
* Under freezegun ``time.monotonic()`` / ``perf_counter()`` return the frozen wall-clock
  timestamp: they stand still between advances and jump with them. Code that measures elapsed
  time sees exactly the virtual time it slept. We never move the clock backwards.
* freezegun returns the real time to callers within 5 frames of an ignored module (its default
  list includes ``threading``). Hooks therefore run on the calling thread or on threads started
  with ``_thread`` (see ``harness.targets.python``), never under ``threading.Thread.run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as _dt
import math
import selectors
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import freezegun
from freezegun import api as _freezegun_api

from fake_shopify.network import awaiting_served_response
from harness.runtime.turns import sleep_begins, sleep_ends, turn_point

__all__ = [
    "DEFAULT_START",
    "Deadline",
    "HookTimeout",
    "VirtualEventLoop",
    "VirtualTime",
    "Watchdog",
    "current_deadline",
    "frozen_run",
    "real_monotonic",
]

T = TypeVar("T")

DEFAULT_START = _dt.datetime(2026, 1, 5, 9, 0, 0, tzinfo=_dt.UTC)
"""Where a run's clock starts unless told otherwise (a Monday inside Shopify's version window)."""


def real_monotonic() -> float:
    """The real monotonic clock, frozen or not.

    Looked up on freezegun's module at each call: freezegun's start rewrites every module-level
    alias of ``time.monotonic`` in other modules (a copy held here would be frozen too).
    """
    return float(_freezegun_api.real_monotonic())


_real_sleep: Callable[[float], None] = time.sleep
_real_asyncio_sleep = asyncio.sleep
_real_condition_wait = threading.Condition.wait

REAL_SLICE = 0.1
"""Inside a hook, ``Condition.wait(timeout)`` (so ``Event.wait``, ``Barrier.wait``,
``Future.result``, ``queue.get`` with a timeout) first waits up to this many seconds of real time
for a notification (another thread's real work, e.g. a request on a worker thread, may finish in
that time: the wait then returns at once, as it would), and only then lets the rest of the
timeout pass on the virtual clock. Work on other threads that needs more real time than this
would be seen as timed out; it is a module constant so that a suite may raise it."""

STALL_SECONDS = 0.05
"""Overlapping sync hooks' sleeps overlap: the clock moves to the earliest wake-up once every
hook thread sleeps. A hook thread that neither sleeps nor finishes for this long in real time
(blocked on a lock another sleeper holds, or busy) is taken as blocked, and the earliest sleeper
wakes anyway, as it would in real time."""

# Modules whose ``from time import sleep`` aliases stay real: the harness's own machinery, the
# test runner and the libraries freezegun leaves alone.
_ALIAS_SKIP = (
    "harness.runtime.vtime",
    "freezegun",
    "threading",
    "_pytest",
    "pluggy",
    "pytest",
    *(
        "hypothesis",
        "_hypothesis",
    ),
)
_alias_seen: dict[str, tuple[int, tuple[tuple[str, str], ...]]] = {}
"""Per module name: ``(id(module), ((attribute, "time"|"asyncio"), ...))`` of its sleep aliases,
so that each run scans only the modules loaded since the last one."""


def _sleep_aliases() -> list[tuple[object, str, str]]:
    """Every module-level alias of the real ``time.sleep`` / ``asyncio.sleep`` outside the
    harness's own machinery, e.g. an integration's ``from time import sleep``."""
    found: list[tuple[object, str, str]] = []
    for name, module in list(sys.modules.items()):
        if module is None or name.startswith(_ALIAS_SKIP):
            continue
        known = _alias_seen.get(name)
        if known is None or known[0] != id(module):
            names: list[tuple[str, str]] = []
            namespace = getattr(module, "__dict__", None)
            if isinstance(namespace, dict):
                for attr, value in list(namespace.items()):
                    if value is _real_sleep and module is not time:
                        names.append((attr, "time"))
                    elif value is _real_asyncio_sleep and module not in (asyncio, asyncio.tasks):
                        names.append((attr, "asyncio"))
            known = (id(module), tuple(names))
            _alias_seen[name] = known
        found.extend((module, attr, kind) for attr, kind in known[1])
    return found


# Hypothesis measures its own time (deadlines, statistics): a hook sleeping an hour of virtual
# time is not slow, so Hypothesis keeps the real clock. freezegun adds its default list
# (threading, queue, ...). Caveat, from freezegun's design: code called within 5 frames of an
# ignored module reads the real time, e.g. ``time.time()`` written directly in a ``@given`` test
# body; hooks run deeper than that. pytest is deliberately NOT ignored: test functions sit right
# above pytest's frames and would see real time.
_EXTRA_IGNORE = ("hypothesis", "_hypothesis")
_KEEP_REAL_ALIASES = ("_pytest.", "pluggy")


_run_factory: list[Any] = []
"""freezegun's ``FrozenDateTimeFactory`` while :func:`frozen_run` holds freezegun started."""
_BORROWED: Any = object()
"""``VirtualTime._freezer`` of a virtual time that borrowed the run's freezer."""


def _start_freezegun(moment: _dt.datetime) -> tuple[Any, Any]:
    freezer = freezegun.freeze_time(
        moment.replace(tzinfo=None), ignore=list(_EXTRA_IGNORE), real_asyncio=True
    )
    factory = freezer.start()
    # pytest times tests with module-level aliases (``from time import perf_counter``) that
    # freezegun just rewrote; give them back so --durations stays real. freezegun's stop()
    # sets them to the same originals again.
    for owner, name, original in freezer.undo_changes:
        if getattr(owner, "__name__", "").startswith(_KEEP_REAL_ALIASES):
            setattr(owner, name, original)
    return freezer, factory


@contextmanager
def frozen_run() -> Iterator[None]:
    """Start freezegun once for a run that starts and stops many :class:`VirtualTime` objects
    (``check`` starts a simulator per library scenario): freezegun's start walks every loaded
    module, milliseconds each time. Inside the block, :meth:`VirtualTime.start` points the
    running freezer at its own clock instead of starting freezegun, and :meth:`VirtualTime.stop`
    leaves freezegun running (between two virtual times the process clock stays frozen where the
    last one left it). Everything else a virtual time patches (sleeps, waits) is still patched
    and restored per virtual time. Nested blocks do nothing."""
    if _run_factory:
        yield
        return
    freezer, factory = _start_freezegun(DEFAULT_START)
    _run_factory.append(factory)
    try:
        yield
    finally:
        _run_factory.pop()
        freezer.stop()


class ClockRangeError(ValueError):
    """Virtual time was asked to move beyond what ``datetime`` can represent."""


class HookTimeout(BaseException):
    """A hook ran past its virtual time budget or hung in wall time.

    A ``BaseException`` so that the integration's ``except Exception`` cannot swallow it, as a
    platform runtime killing a slow handler cannot be caught either.
    """


@dataclass(frozen=True)
class Deadline:
    """The virtual deadline of the hook call running in this context."""

    label: (
        str  # "<operation> of <integration name> for <bot id>" (harness.targets.python.call_label)
    )
    at: _dt.datetime | None  # None: no budget
    budget_seconds: float | None


# Set by harness.targets.python around each hook call; contextvars follow asyncio tasks and the
# worker threads the harness starts (they run in a copied context).
current_deadline: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "lifecycle_harness_deadline", default=None
)


def _as_utc(moment: _dt.datetime) -> _dt.datetime:
    if moment.tzinfo is None:
        raise ValueError(f"virtual time needs an aware datetime, got naive {moment!r}")
    return moment.astimezone(_dt.UTC)


def _micro_ceil(seconds: float) -> _dt.timedelta:
    # datetime has microsecond resolution: round a positive step UP so that a loop waiting for
    # a timer 0.4 us away still makes progress.
    return _dt.timedelta(microseconds=math.ceil(seconds * 1_000_000 - 1e-6))


class VirtualTime:
    """The run's clock: frozen process time that moves only when the harness moves it.

    Usable before :meth:`start` (then only the harness's own readers see it) and after
    :meth:`stop`. Thread-safe: overlapping sync hooks, each on a thread registered with
    :meth:`hook_thread`, sleep at once and their sleeps overlap as in real time.
    """

    def __init__(self, *, start: _dt.datetime = DEFAULT_START) -> None:
        self._epoch = _as_utc(start)
        self._now = self._epoch
        self._lock = threading.Lock()
        self._freezer: Any = None  # freezegun's _freeze_time while active
        self._factory: Any = None  # freezegun's FrozenDateTimeFactory while active
        self._loops: dict[int, VirtualEventLoop] = {}
        self._saved: list[tuple[object, str, object]] = []
        self._watchdog: Watchdog | None = None
        self._owner = threading.get_ident()  # the thread that started the run
        self.slept: list[tuple[str, float]] = []
        """Every virtual sleep: (``"time.sleep"`` | ``"asyncio.sleep"`` | ``"loop"`` |
        ``"wait"``, seconds)."""
        # Overlapping sync hooks (one thread each): who runs, who sleeps until when.
        self._sched = threading.Condition(threading.Lock())
        self._participants: set[int] = set()
        self._sleepers: dict[int, _dt.datetime] = {}
        self._expected = 0  # hook threads announced but not started yet

    # -- the fake_shopify Clock protocol -------------------------------------------------------

    def now(self) -> _dt.datetime:
        """The current virtual time, an aware UTC datetime."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (never backwards)."""
        if seconds < 0:
            raise ValueError(f"virtual time cannot go backwards (advance({seconds}))")
        if seconds == 0:
            return
        try:
            delta = _micro_ceil(seconds)
            if self._now + delta > _dt.datetime.max.replace(tzinfo=_dt.UTC):
                raise OverflowError
        except OverflowError:
            raise ClockRangeError(
                f"virtual time cannot advance {seconds:g} s from {self._now.isoformat()}: "
                "that is past the year 9999, the last time Python can represent"
            ) from None
        self._set(delta)

    # -- freezegun-style movement --------------------------------------------------------------

    def tick(self, delta: float | _dt.timedelta = 1.0) -> _dt.datetime:
        """Move forward by ``delta`` (seconds or a timedelta); return the new time."""
        seconds = delta.total_seconds() if isinstance(delta, _dt.timedelta) else float(delta)
        self.advance(seconds)
        return self._now

    def move_to(self, moment: _dt.datetime) -> None:
        """Jump to ``moment``, which must not be in the past."""
        target = _as_utc(moment)
        if target < self._now:
            raise ValueError(f"virtual time cannot go backwards: {target} < {self._now}")
        self._set(target - self._now)

    def monotonic(self) -> float:
        """Seconds since the run's start; the virtual event loop's ``time()``."""
        return (self._now - self._epoch).total_seconds()

    def _set(self, delta: _dt.timedelta) -> None:
        with self._lock:
            self._now = self._now + delta
            if self._factory is not None:
                # FrozenDateTimeFactory keeps a naive UTC datetime; setting it is all tick() does.
                self._factory.time_to_freeze = self._now.replace(tzinfo=None)

    # -- lifetime ------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self._freezer is not None

    def start(self) -> VirtualTime:
        """Freeze the process clock at :meth:`now` and virtualise sleeps. Call once per run."""
        if self._freezer is not None:
            raise RuntimeError("VirtualTime.start(): already started")
        if _run_factory:  # inside frozen_run(): freezegun runs already, take its clock
            self._factory = _run_factory[-1]
            self._factory.time_to_freeze = self._now.replace(tzinfo=None)
            self._freezer = _BORROWED
        else:
            self._freezer, self._factory = _start_freezegun(self._now)
        self._owner = threading.get_ident()
        self._patch(time, "sleep", self._time_sleep)
        self._patch(asyncio, "sleep", self._asyncio_sleep)
        self._patch(asyncio.tasks, "sleep", self._asyncio_sleep)
        for module, attr, kind in _sleep_aliases():
            self._patch(module, attr, self._time_sleep if kind == "time" else self._asyncio_sleep)
        self._patch(threading.Condition, "wait", self._condition_wait_function())
        # threading's and queue's timed loops (Semaphore.acquire, Condition.wait_for, Barrier,
        # Queue.get) measure what is left of a timeout with their own real-clock aliases, which
        # freezegun leaves alone: inside a hook they read the virtual clock instead.
        hook_clock = self._hook_monotonic_function()
        self._patch(threading, "_time", hook_clock)
        queue = sys.modules.get("queue")
        if queue is not None and hasattr(queue, "time"):
            self._patch(queue, "time", hook_clock)
        return self

    @property
    def watchdog(self) -> Watchdog:
        """The run's wall-clock watchdog (its thread starts on first use, ends on stop)."""
        if self._watchdog is None:
            self._watchdog = Watchdog()
        return self._watchdog

    def stop(self) -> None:
        """Unfreeze the clock and restore ``time.sleep`` / ``asyncio.sleep``. Idempotent."""
        if self._watchdog is not None:
            self._watchdog.close()
            self._watchdog = None
        for loop in self._loops.values():
            if not loop.is_closed() and not loop.is_running():
                _close_loop(loop)
        self._loops.clear()
        while self._saved:
            owner, name, value = self._saved.pop()
            setattr(owner, name, value)
        if self._freezer is not None:
            freezer, self._freezer, self._factory = self._freezer, None, None
            if freezer is not _BORROWED:
                freezer.stop()

    def __enter__(self) -> VirtualTime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _patch(self, owner: object, name: str, value: object) -> None:
        self._saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    # -- sleeping ------------------------------------------------------------------------------

    def sleep(self, seconds: float, *, kind: str = "time.sleep") -> None:
        """Sleep virtually: advance the clock, or stop the hook if that passes its budget.

        On a thread registered with :meth:`hook_thread`, the sleep waits for its turn instead:
        the clock moves to the earliest wake-up of the sleeping hook threads once all of them
        sleep, so overlapping sleeps overlap.
        """
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        if threading.get_ident() in self._participants:
            # An overlapping hook gives up its turn while it sleeps (harness.runtime.turns).
            sleep_begins()
            try:
                self._overlapping_sleep(seconds, kind)
            finally:
                sleep_ends()
            return
        turn_point()  # overlapping plain hooks take turns here (harness.runtime.turns)
        deadline = current_deadline.get()
        if (
            deadline is not None
            and deadline.at is not None
            and self._now + _micro_ceil(seconds) > deadline.at
        ):
            remaining = max(0.0, (deadline.at - self._now).total_seconds())
            self.advance(remaining)
            self.slept.append((kind, remaining))
            raise HookTimeout(
                f"{deadline.label} ran past its virtual time budget of "
                f"{deadline.budget_seconds or 0:g} s: {kind}({seconds:g}) with "
                f"{remaining:g} s left"
            )
        self.advance(seconds)
        self.slept.append((kind, seconds))

    def expect_hook_threads(self, count: int) -> None:
        """Announce ``count`` hook threads about to start (each then enters :meth:`hook_thread`):
        until they have, none of the running ones is taken to sleep alone."""
        with self._sched:
            self._expected += count

    @contextmanager
    def hook_thread(self) -> Iterator[None]:
        """Mark the current thread as one of several overlapping sync hook calls for as long as
        the block runs: its sleeps then overlap with the others' (see :meth:`sleep`)."""
        ident = threading.get_ident()
        with self._sched:
            self._participants.add(ident)
            self._expected = max(0, self._expected - 1)
        try:
            yield
        finally:
            with self._sched:
                self._participants.discard(ident)
                self._sleepers.pop(ident, None)
                self._sched.notify_all()

    def _overlapping_sleep(self, seconds: float, kind: str) -> None:
        ident = threading.get_ident()
        deadline = current_deadline.get()
        wake = self._now + _micro_ceil(seconds)
        late = deadline is not None and deadline.at is not None and wake > deadline.at
        if late and deadline is not None and deadline.at is not None:
            wake = max(self._now, deadline.at)
        started = self._now
        with self._sched:
            self._sleepers[ident] = wake
            self._sched.notify_all()
            changed = real_monotonic()
            seen = (len(self._participants), len(self._sleepers))
            while self._now < wake:
                state = (len(self._participants), len(self._sleepers))
                if state != seen:
                    seen, changed = state, real_monotonic()
                everyone_asleep = not self._expected and self._participants <= self._sleepers.keys()
                stalled = real_monotonic() - changed > STALL_SECONDS
                if min(self._sleepers.values()) >= wake and (everyone_asleep or stalled):
                    self._set(wake - self._now)
                    break
                _real_condition_wait(self._sched, STALL_SECONDS if everyone_asleep else 0.002)
            del self._sleepers[ident]
            self._sched.notify_all()
        slept = (wake - started).total_seconds()
        self.slept.append((kind, slept))
        if late and deadline is not None:
            raise HookTimeout(
                f"{deadline.label} ran past its virtual time budget of "
                f"{deadline.budget_seconds or 0:g} s: {kind}({seconds:g}) with "
                f"{slept:g} s left"
            )

    def _hook_monotonic_function(self) -> Callable[[], float]:
        base = real_monotonic()
        vtime = self

        def monotonic() -> float:
            if current_deadline.get() is None:
                return real_monotonic()
            return base + vtime.monotonic()

        return monotonic

    def _condition_wait_function(self) -> Callable[..., bool]:
        vtime = self

        def wait(cond: threading.Condition, timeout: float | None = None) -> bool:
            """``Condition.wait`` (and so ``Event.wait``, ``Semaphore.acquire``, ``queue``
            gets): virtual inside a hook call when given a timeout, real everywhere else."""
            if timeout is None or timeout <= 0 or current_deadline.get() is None:
                return _real_condition_wait(cond, timeout)
            if _real_condition_wait(cond, min(timeout, REAL_SLICE)):
                return True  # notified: no virtual time passed
            vtime.sleep(timeout, kind="wait")  # the real slice counts as none of it
            return False

        return wait

    def _time_sleep(self, seconds: float) -> None:
        if current_deadline.get() is None and threading.get_ident() != self._owner:
            # Not a hook and not the run's own thread (e.g. a test runner's I/O thread): its
            # sleeps must neither return early nor move the run's clock.
            _real_sleep(seconds)
            return
        self.sleep(seconds, kind="time.sleep")

    async def _asyncio_sleep(self, delay: float, result: T | None = None) -> T | None:
        loop = asyncio.get_running_loop()
        if isinstance(loop, VirtualEventLoop) or current_deadline.get() is None:
            # Our loop turns timers into clock jumps itself; outside hooks a foreign loop keeps
            # real asyncio semantics (freezegun's real_asyncio).
            return await _real_asyncio_sleep(delay, result)
        self.sleep(delay, kind="asyncio.sleep")
        return await _real_asyncio_sleep(0, result)

    # -- event loops ---------------------------------------------------------------------------

    def loop(self) -> VirtualEventLoop:
        """This thread's virtual event loop (created on first use, closed by :meth:`stop`)."""
        key = threading.get_ident()
        loop = self._loops.get(key)
        if loop is None or loop.is_closed():
            loop = VirtualEventLoop(self)
            self._loops[key] = loop
        return loop

    def discard_loop(self, loop: VirtualEventLoop) -> None:
        """Forget (and close) a loop that must not be reused."""
        for key, known in list(self._loops.items()):
            if known is loop:
                del self._loops[key]
        if not loop.is_running() and not loop.is_closed():
            _close_loop(loop)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` to completion on this thread's virtual loop."""
        return self.loop().run_until_complete(coro)

    @contextmanager
    def deadline(self, label: str, budget_seconds: float | None) -> Iterator[Deadline]:
        """Mark this context as running the hook call ``label``, with its virtual deadline.

        Set for every hook call, budget or not (``at`` is then ``None``): it also tells who is
        running (the simulator attributes requests by ``label``).
        """
        at = None if budget_seconds is None else self._now + _dt.timedelta(seconds=budget_seconds)
        value = Deadline(label, at, budget_seconds)
        token = current_deadline.set(value)
        try:
            yield value
        finally:
            current_deadline.reset(token)


class Watchdog:
    """Calls back when a wall-clock deadline passes; one daemon thread, started on first use.

    Used for what a virtual clock cannot see: a hook stuck in CPU-bound code or blocked in a
    call that never returns. Waits use ``Condition.wait``, which reads the real clock in C.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._jobs: dict[int, tuple[float, Callable[[], None]]] = {}
        self._counter = 0
        self._thread: threading.Thread | None = None
        self._closed = False
        self._wake_at = 0.0  # when the thread checks next (real_monotonic)

    def arm(self, seconds: float, callback: Callable[[], None]) -> int:
        with self._cond:
            if self._closed:
                raise RuntimeError("Watchdog.arm() after close()")
            self._counter += 1
            at = real_monotonic() + seconds
            self._jobs[self._counter] = (at, callback)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="lifecycle-harness-watchdog", daemon=True
                )
                self._thread.start()
            elif at < self._wake_at:
                # Only wake the thread when this deadline comes before its next check: most
                # calls arm and disarm without a thread switch.
                self._cond.notify()
            return self._counter

    def disarm(self, job: int) -> None:
        with self._cond:
            self._jobs.pop(job, None)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._jobs.clear()
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        with self._cond:
            while not self._closed:
                now = real_monotonic()
                due = [job for job, (at, _) in self._jobs.items() if at <= now]
                for job in due:
                    _, callback = self._jobs.pop(job)
                    callback()
                if due:
                    continue
                # Idle, it still looks every second, so arming rarely needs to wake it.
                nearest = min((at for at, _ in self._jobs.values()), default=now + 1.0)
                self._wake_at = nearest
                self._cond.wait(max(0.0, nearest - now))


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Close a loop, first closing what hooks left open on it.

    A hook's real sockets (aiohttp over the served fake) finish closing on the loop's next
    turns, which a closed loop never takes; transports still open then are aborted, so no
    socket outlives the run.
    """
    with contextlib.suppress(Exception):
        for _ in range(3):
            loop.run_until_complete(_real_asyncio_sleep(0))
        transports = getattr(loop, "_transports", None)  # selector loops: fd -> transport
        for transport in list(transports.values()) if transports is not None else ():
            if not transport.is_closing() or getattr(transport, "_sock", None) is not None:
                transport.abort()
        loop.run_until_complete(_real_asyncio_sleep(0))
    loop.close()


class _VirtualSelector(selectors.BaseSelector):
    """A real selector whose waits on timers become virtual clock jumps."""

    def __init__(self, vtime: VirtualTime) -> None:
        self._real = selectors.DefaultSelector()
        self._vtime = vtime
        self.loop: VirtualEventLoop | None = None

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        events = self._real.select(0)
        loop = self.loop
        if loop is not None and loop.wall_deadline is not None:
            # Checked on every turn of the loop, so a hook spinning on `await sleep(0)` or
            # awaiting something that never happens is stopped too.
            left = loop.wall_deadline - real_monotonic()
            if left <= 0:
                loop.fire_wall_deadline()
                return events
        else:
            left = None
        if events or (timeout is not None and timeout <= 0):
            return events
        if (
            timeout is None
            or (loop is not None and loop.waiting_on_threads > 0)
            or awaiting_served_response()
        ):
            # Nothing is scheduled on the clock, work is running on other threads, or the served
            # fake is answering a request of ours (aiohttp): only real I/O or another thread
            # (call_soon_threadsafe) can wake us. Block for real, but not past the wall deadline.
            return self._real.select(left)
        self._vtime.advance(timeout)
        self._vtime.slept.append(("loop", timeout))
        return []


class VirtualEventLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on virtual time: idle waits for timers move the clock, not the wall."""

    def __init__(self, vtime: VirtualTime) -> None:
        selector = _VirtualSelector(vtime)
        super().__init__(selector)
        selector.loop = self
        self._vtime = vtime
        self.waiting_on_threads = 0
        self.wall_deadline: float | None = None  # real_monotonic() value
        self._on_wall_deadline: Callable[[], None] | None = None

    def time(self) -> float:
        return self._vtime.monotonic()

    def set_wall_deadline(
        self, seconds: float | None, callback: Callable[[], None] | None = None
    ) -> None:
        """Call ``callback`` from the loop once ``seconds`` of real time have passed."""
        if seconds is None:
            self.wall_deadline, self._on_wall_deadline = None, None
        else:
            self.wall_deadline, self._on_wall_deadline = real_monotonic() + seconds, callback

    def fire_wall_deadline(self) -> None:
        callback = self._on_wall_deadline
        self.wall_deadline, self._on_wall_deadline = None, None
        if callback is not None:
            callback()

    def run_in_executor(  # type: ignore[override]  # TypeVarTuple signature, same behaviour
        self, executor: Any, func: Callable[..., T], *args: Any
    ) -> asyncio.Future[T]:
        # While a thread works for us (asyncio.to_thread), waiting is real: jumping the clock to
        # the next timer (e.g. the hook's budget) would time the hook out for no reason.
        future = super().run_in_executor(executor, func, *args)
        self.waiting_on_threads += 1

        def _done(_: object) -> None:
            self.waiting_on_threads -= 1

        future.add_done_callback(_done)
        return future
