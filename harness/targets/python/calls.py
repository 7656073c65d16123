"""Calling: :func:`call_hook` (one call) and :func:`call_hooks_concurrently` (overlapping calls)
inject ``ctx``, ``client``, ``logger`` and ``webhook_url`` by name, give ``async def`` hooks an
:class:`~harness.runtime.AsyncPlatformClient` and plain ones a
:class:`~harness.runtime.PlatformClient`, and map what escapes as the platform SDK does
(the Botpress SDK's handling of a throwing hook, https://github.com/botpress/botpress packages/sdk) into a :class:`HookOutcome`.

Where hooks run: async hooks on the calling thread's :class:`~harness.runtime.vtime.VirtualEventLoop`;
a single plain hook on the calling thread, interrupted by the run's watchdog if it spins;
overlapping plain hooks (or any with ``isolate_sync=True``) on worker threads started with
``_thread`` (freezegun gives the real time to callers near ``threading`` frames, so not
``threading.Thread``), which a hook blocked forever leaves behind instead of blocking the run.
"""

from __future__ import annotations

import _thread
import asyncio
import contextvars
import ctypes
import inspect
import signal
import sys
import threading
import traceback
from collections.abc import Awaitable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from types import FrameType
from typing import Any, Literal

from harness.runtime import (
    AsyncPlatformClient,
    Context,
    LogRecord,
    LogScope,
    LogSink,
    PlatformClient,
    PlatformLogger,
    StateStore,
    capture_stdlib_logs,
    default_webhook_url,
    is_api_error,
)
from harness.runtime.sslcache import cached_ssl_contexts
from harness.runtime.vtime import HookTimeout, VirtualEventLoop, VirtualTime, real_monotonic
from harness.targets.python.loading import ALLOWED_PARAMETERS, Integration
from harness.targets.python.locations import _frame_location, _task_location, _thread_location

UNEXPECTED_ERROR_MESSAGE = (
    "An unexpected error occurred in the integration. Bot owners: Check logs for more "
    "informations. Integration owners: throw a RuntimeError to return a custom error message "
    "instead."
)
"""The platform SDK's text for an escaped exception that is not an API error (serve.ts)."""

_USER_FACING_TYPES = ("Runtime", "InvalidPayload")  # answered 400 by the SDK; other errors 500

DEFAULT_BUDGET_SECONDS = 60.0
"""Virtual time a hook may take. [U] the platform's register timeout is unverified; the
platform client's own request timeout is 60 s (the Botpress integration template, https://github.com/botpress/botpress packages/cli/templates/empty-integration)."""

DEFAULT_WALL_TIMEOUT = 10.0
"""Real seconds before a hook is considered hung (virtual sleeps cost none)."""

_GRACE_SECONDS = 0.5  # after an interrupt, how long a stuck hook gets before it is abandoned


class HookCrash(BaseException):
    """The harness's crash: the runtime aborts a hook mid-way.

    A ``BaseException`` so that ``except Exception`` in the integration cannot catch it, as no
    handler can catch a process being killed.
    """


Status = Literal["registered", "registration_failed", "unregistered", "unregistration_failed"]


@dataclass(frozen=True)
class HookOutcome:
    """What the platform recorded for one hook call."""

    operation: str
    bot_id: str
    status: Status
    status_reason: str | None = None  # the platform's statusReason (the error message)
    exception: BaseException | None = None  # what escaped the hook (or stopped it)
    exc_text: str | None = None  # its formatted traceback
    crashed: bool = False  # aborted by HookCrash
    timed_out: bool = False  # stopped: virtual budget or wall-time hang
    hung: bool = False  # stopped because it hung in wall time (the run cannot go on usefully)
    http_status: int = 200  # what the SDK's server answered: 200, 400 or 500
    response: Mapping[str, Any] | None = None  # the error body (RuntimeError.toJSON())
    virtual_seconds: float = 0.0
    wall_seconds: float = 0.0
    logs: tuple[LogRecord, ...] = ()  # records of this call (platform, stdlib, runtime)

    @property
    def ok(self) -> bool:
        return self.status in ("registered", "unregistered")

    @property
    def user_message(self) -> str | None:
        """What the user sees, e.g. ``registration failed: <message>``."""
        if self.ok:
            return None
        noun = "registration" if self.operation == "register" else "unregistration"
        return f"{noun} failed: {self.status_reason}"

    @property
    def message(self) -> str | None:
        """The timeout or failure text (``status_reason``)."""
        return self.status_reason


@dataclass(frozen=True)
class HookInvocation:
    """One hook call to make: which integration, which hook, for which context."""

    integration: Integration
    operation: str
    ctx: Context
    webhook_url: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # more names for **kwargs hooks


def call_label(integration: Integration, operation: str, bot_id: str) -> str:
    """How a hook call is named in messages and in ``harness.runtime.vtime.current_deadline().label``
    (the simulator attributes requests to calls by it): ``"register of shop.py for bot1"``."""
    return f"{operation} of {integration.name} for {bot_id}"


def call_hook(
    integration: Integration,
    operation: str,
    *,
    ctx: Context,
    store: StateStore,
    sink: LogSink,
    webhook_url: str | None = None,
    vtime: VirtualTime | None = None,
    budget_seconds: float | None = DEFAULT_BUDGET_SECONDS,
    wall_timeout: float = DEFAULT_WALL_TIMEOUT,
    capture_stdlib: bool = True,
    cache_ssl: bool = True,
    isolate_sync: bool = False,
) -> HookOutcome:
    """Call one hook as the platform does and return what the platform would record.

    ``vtime``: the run's virtual time; when omitted, one is started for this call only (which
    costs freezegun's start, milliseconds). ``budget_seconds``: virtual seconds the hook may
    take (``None``: unlimited). ``wall_timeout``: real seconds before the hook counts as hung.
    ``cache_ssl``: httpx clients built during the call share cached SSL contexts
    (``harness.runtime.sslcache``), so a client per call costs microseconds, not tens of ms.
    ``isolate_sync``: run a plain hook on a thread of its own even when it is called alone.
    By default it runs on the calling thread (five times cheaper); a hook that spins is still
    interrupted there, but one blocked forever in a C call (a lock, ``queue.get()``) can only
    be abandoned when it runs on its own thread.
    """
    (outcome,) = call_hooks_concurrently(
        [HookInvocation(integration, operation, ctx, webhook_url)],
        store=store,
        sink=sink,
        vtime=vtime,
        budget_seconds=budget_seconds,
        wall_timeout=wall_timeout,
        capture_stdlib=capture_stdlib,
        cache_ssl=cache_ssl,
        isolate_sync=isolate_sync,
    )
    return outcome


def call_hooks_concurrently(
    invocations: Sequence[HookInvocation],
    *,
    store: StateStore,
    sink: LogSink,
    vtime: VirtualTime | None = None,
    budget_seconds: float | None = DEFAULT_BUDGET_SECONDS,
    wall_timeout: float = DEFAULT_WALL_TIMEOUT,
    capture_stdlib: bool = True,
    cache_ssl: bool = True,
    isolate_sync: bool = False,
) -> list[HookOutcome]:
    """Make overlapping hook calls; outcomes in the order of ``invocations``.

    Async hooks run as tasks of one virtual event loop (they interleave at every ``await``);
    plain hooks run on threads of their own at the same time (a single plain hook runs on the
    calling thread unless ``isolate_sync``).
    """
    with ExitStack() as stack:
        if vtime is None:
            vtime = stack.enter_context(VirtualTime())
        if cache_ssl:
            stack.enter_context(cached_ssl_contexts())
        runs = [
            _Run(inv, store=store, sink=sink, vtime=vtime, budget=budget_seconds)
            for inv in invocations
        ]
        options = _Options(vtime, wall_timeout, capture_stdlib)
        if len(runs) == 1 and not runs[0].hook.is_async and not isolate_sync:
            _run_inline(runs[0], options)
            return _outcomes(runs)
        threads = [run for run in runs if not run.hook.is_async]
        vtime.expect_hook_threads(len(threads))  # before any starts: none may sleep alone
        for run in threads:
            _start_thread(run, options)
        tasks = [run for run in runs if run.hook.is_async]
        if tasks:
            _run_async_group(tasks, options)
        for run in threads:
            _join_thread(run, options)
        return _outcomes(runs)


def _outcomes(runs: Sequence[_Run]) -> list[HookOutcome]:
    outcomes = [run.outcome() for run in runs]
    for outcome in outcomes:
        if isinstance(outcome.exception, KeyboardInterrupt):
            raise outcome.exception
    return outcomes


@dataclass(frozen=True)
class _Options:
    vtime: VirtualTime
    wall_timeout: float
    capture_stdlib: bool


class _Run:
    """The state of one hook call while it runs."""

    def __init__(
        self,
        inv: HookInvocation,
        *,
        store: StateStore,
        sink: LogSink,
        vtime: VirtualTime,
        budget: float | None,
    ) -> None:
        self.inv = inv
        self.hook = inv.integration.hook(inv.operation)
        self.ctx = (
            inv.ctx if inv.ctx.operation == inv.operation else inv.ctx.for_operation(inv.operation)
        )
        self.bot_id = self.ctx.bot_id
        self.label = call_label(inv.integration, inv.operation, self.bot_id)
        self.store = store
        self.sink = _TeeSink(sink)  # the run's own records, also sent to the shared sink
        self.vtime = vtime
        self.budget = budget
        self.exception: BaseException | None = None
        self.timeout_reason: str | None = None  # set when the harness stopped the hook
        self.abandoned = False
        self.hung = False  # set with timeout_reason when the wall-time deadline stopped it
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.finished = False
        self.thread_id: int | None = None
        self.task: asyncio.Task[Any] | None = None
        self.start_virtual = vtime.monotonic()
        self.start_wall = real_monotonic()
        self.end_virtual: float | None = None
        self.end_wall: float | None = None

    # -- arguments -----------------------------------------------------------------------------

    def kwargs(self) -> dict[str, Any]:
        client_cls = AsyncPlatformClient if self.hook.is_async else PlatformClient
        available: dict[str, Any] = {
            "ctx": self.ctx,
            "client": client_cls(
                self.store,
                bot_id=self.bot_id,
                integration_id=self.ctx.integration_id,
                integration_alias=self.ctx.integration_alias,
            ),
            "logger": PlatformLogger(self.sink, bot_id=self.bot_id),
            "webhook_url": self.inv.webhook_url or default_webhook_url(self.ctx.webhook_id),
        }
        chosen = {name: available[name] for name in self.hook.parameters}
        if self.hook.parameters == ALLOWED_PARAMETERS:
            chosen.update(self.inv.extra)
        return chosen

    def scope(self) -> ExitStack:
        """Deadline and stdlib log capture around the hook body (entered in its context)."""
        stack = ExitStack()
        stack.enter_context(self.vtime.deadline(self.label, self.budget))
        if _options_capture.get():
            stack.enter_context(capture_stdlib_logs(self.sink, bot_id=self.bot_id))
        return stack

    def finish(self) -> None:
        self.end_virtual = self.vtime.monotonic()
        self.end_wall = real_monotonic()

    # -- outcome -------------------------------------------------------------------------------

    def outcome(self) -> HookOutcome:
        exc = self.exception
        if self.timeout_reason is None and isinstance(exc, HookTimeout):
            self.timeout_reason = str(exc) or f"{self.label} was stopped"
        if self.timeout_reason is not None:
            self._runtime_log("error", self.timeout_reason, None, bot_visible=True)
            return self._outcome(False, self.timeout_reason, exc, _format(exc), timed_out=True)
        if exc is None:
            return self._outcome(True, None, None, None, http_status=200)
        if isinstance(exc, HookCrash):
            # The process died: nothing is logged, the platform only sees the call fail.
            reason = f"the hook was aborted by a simulated crash ({exc})"
            return self._outcome(False, reason, exc, _format(exc), crashed=True)
        exc_text = _format(exc)
        if is_api_error(exc):
            message = _api_message(exc)
            user_facing = getattr(exc, "type", None) in _USER_FACING_TYPES
            # serve.ts: logger.forBot().error(message); other API errors also console.error.
            self._runtime_log("error", message, None, bot_visible=True)
            if not user_facing:
                self._runtime_log("error", _console_text(exc), exc_text, bot_visible=False)
            return self._outcome(
                False,
                message,
                exc,
                exc_text,
                http_status=400 if user_facing else 500,
                response=_api_body(exc, message),
            )
        message = UNEXPECTED_ERROR_MESSAGE
        self._runtime_log("error", message, None, bot_visible=True)
        self._runtime_log("error", _console_text(exc), exc_text, bot_visible=False)
        body: dict[str, Any] = {
            "id": None,
            "code": 500,
            "type": "Runtime",
            "message": message,
            "metadata": {},
        }
        return self._outcome(False, message, exc, exc_text, response=body)

    def _outcome(
        self,
        ok: bool,
        reason: str | None,
        exc: BaseException | None,
        exc_text: str | None,
        *,
        crashed: bool = False,
        timed_out: bool = False,
        http_status: int = 500,
        response: Mapping[str, Any] | None = None,
    ) -> HookOutcome:
        register = self.inv.operation == "register"
        status: Status
        if ok:
            status = "registered" if register else "unregistered"
        else:
            status = "registration_failed" if register else "unregistration_failed"
        if self.end_virtual is None or self.end_wall is None:
            self.finish()
        end_virtual = self.end_virtual if self.end_virtual is not None else self.start_virtual
        end_wall = self.end_wall if self.end_wall is not None else self.start_wall
        return HookOutcome(
            operation=self.inv.operation,
            bot_id=self.bot_id,
            status=status,
            status_reason=reason,
            exception=exc,
            exc_text=exc_text,
            crashed=crashed,
            timed_out=timed_out,
            hung=self.hung,
            http_status=http_status,
            response=response,
            virtual_seconds=end_virtual - self.start_virtual,
            wall_seconds=end_wall - self.start_wall,
            logs=tuple(self.sink.records),
        )

    def _runtime_log(
        self, level: str, message: str, exc_text: str | None, *, bot_visible: bool
    ) -> None:
        self.sink.emit(
            LogRecord(
                level=level,
                message=message,
                scope=LogScope(visible_to_bot_owner=bot_visible),
                exc_text=exc_text,
                source="runtime",
                bot_id=self.bot_id,
            )
        )


class _TeeSink(LogSink):
    """Keeps one call's records apart while passing them on to the run's sink."""

    def __init__(self, parent: LogSink) -> None:
        super().__init__(clock=parent.clock)
        self._parent = parent

    def emit(self, record: LogRecord) -> None:
        if record.time is None and self.clock is not None:
            record = replace(record, time=self.clock.now())
        self._parent.emit(record)
        super().emit(record)


_options_capture: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "lifecycle_harness_capture_stdlib", default=True
)


def _format(exc: BaseException | None) -> str | None:
    if exc is None:
        return None
    return "".join(traceback.format_exception(exc)).rstrip()


def _api_message(exc: BaseException) -> str:
    message = getattr(exc, "message", None)
    return message if isinstance(message, str) else str(exc)


def _api_body(exc: BaseException, message: str) -> dict[str, Any]:
    to_dict = getattr(exc, "to_dict", None)
    if callable(to_dict):
        try:
            body = to_dict()
            if isinstance(body, Mapping):
                return dict(body)
        except Exception:  # a duck-typed error's own serialiser must not break the run
            pass
    return {
        "id": getattr(exc, "id", None),
        "code": getattr(exc, "code", 400),
        "type": getattr(exc, "type", "Runtime"),
        "message": message,
        "metadata": {},
    }


def _console_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


# -- plain hooks on worker threads --------------------------------------------------------------


def _sync_body(run: _Run) -> None:
    """Run a plain hook; every exception (and a late interrupt) ends up in ``run``."""
    try:
        try:
            with run.scope():
                result = run.hook.func(**run.kwargs())
                if inspect.isawaitable(result):
                    # A plain function that returns an awaitable (e.g. a decorated async hook):
                    # run it on this thread's virtual loop.
                    result = run.vtime.run(_await(result))
        except BaseException as exc:
            run.exception = exc
        with run.lock:
            run.finished = True
    except BaseException as exc:  # an interrupt that landed just after the hook returned
        run.exception = run.exception or exc
        with run.lock:
            run.finished = True
    finally:
        run.finish()
        run.done.set()


def _run_inline(run: _Run, options: _Options) -> None:
    """A single plain hook on the calling thread (no thread start: ~0.1 ms instead of ~0.5)."""
    run.thread_id = threading.get_ident()

    def on_wall_deadline() -> None:
        with run.lock:
            if not run.finished and run.thread_id is not None:
                run.hung = True
                run.timeout_reason = (
                    f"{run.label} hung: still running after {options.wall_timeout:g} s of "
                    f"wall time{_thread_location(run.thread_id)}"
                )
                _interrupt_thread(run.thread_id)
                options.vtime.watchdog.arm(_GRACE_SECONDS * 4, still_blocked)

    def still_blocked() -> None:
        # The interrupt cannot reach a thread blocked in C, and this one is the run's own:
        # say so loudly rather than hang in silence.
        if not run.done.is_set():
            print(
                f"lifecycle-harness: {run.timeout_reason}; it is blocked where an interrupt "
                f"cannot reach it. Call it with isolate_sync=True to abandon such hooks.",
                file=sys.__stderr__,
                flush=True,
            )

    if _can_use_alarm():
        with _alarm(run, options.wall_timeout):
            context = contextvars.copy_context()
            context.run(_options_capture.set, options.capture_stdlib)
            context.run(_sync_body, run)
        return
    job = options.vtime.watchdog.arm(options.wall_timeout, on_wall_deadline)
    try:
        context = contextvars.copy_context()
        context.run(_options_capture.set, options.capture_stdlib)
        context.run(_sync_body, run)
    finally:
        options.vtime.watchdog.disarm(job)


def _can_use_alarm() -> bool:
    # Signal handlers run on the main thread only, and can be installed only from it.
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def _alarm(run: _Run, seconds: float) -> Iterator[None]:
    """Stop ``run`` with :class:`HookTimeout` after ``seconds`` of wall time, via SIGALRM.

    Unlike the watchdog thread's asynchronous exception (delivered only between bytecodes), a
    signal also interrupts a hook blocked in C: lock and ``Event`` waits, ``time.sleep`` of the
    real clock, socket reads (PEP 475 retries them only if the handler returns; ours raises).
    The timer repeats every grace period so a hook that swallows the first interrupt with a
    bare ``except`` gets another. Costs two ``setitimer`` and two ``signal`` calls per hook.
    """

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        # No run.lock here: the handler runs on the thread that may hold it.
        if run.finished:
            return
        if not run.hung:
            run.hung = True
            run.timeout_reason = (
                f"{run.label} hung: still running after {seconds:g} s of wall time"
                f"{_frame_location(frame)}"
            )
        raise HookTimeout(run.timeout_reason)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    old_delay, _ = signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-6), _GRACE_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if old_delay:
            # Someone else's timer was running: give it back what was left of it.
            signal.setitimer(signal.ITIMER_REAL, old_delay)


def _start_thread(run: _Run, options: _Options) -> None:
    context = contextvars.copy_context()
    context.run(_options_capture.set, options.capture_stdlib)
    run.thread_id = _thread.start_new_thread(context.run, (_threaded_body, run))


def _threaded_body(run: _Run) -> None:
    """A plain hook on a thread of its own: its sleeps overlap with the other hook threads'."""
    with run.vtime.hook_thread():
        _sync_body(run)


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _join_thread(run: _Run, options: _Options) -> None:
    left = options.wall_timeout - (real_monotonic() - run.start_wall)
    if run.done.wait(max(0.0, left)):
        return
    with run.lock:
        if not run.finished and run.thread_id is not None:
            where = _thread_location(run.thread_id)
            run.hung = True
            run.timeout_reason = (
                f"{run.label} hung: still running after {options.wall_timeout:g} s of wall "
                f"time{where}"
            )
            _interrupt_thread(run.thread_id)
    if not run.done.wait(_GRACE_SECONDS):
        # Blocked where an interrupt cannot reach (a C call): leave the thread behind.
        run.abandoned = True
        run.timeout_reason = (
            f"{run.timeout_reason}; the thread could not be interrupted and was abandoned"
        )
        run.finish()


def _interrupt_thread(thread_id: int) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(HookTimeout)
    )


def _run_async_group(runs: Sequence[_Run], options: _Options) -> None:
    vtime = options.vtime
    loop = vtime.loop()
    token = _options_capture.set(options.capture_stdlib)
    try:
        loop.run_until_complete(_gather(runs, loop, options))
    except HookTimeout as exc:
        # The watchdog's interrupt landed in the loop's own code, not in a hook. The loop may
        # hold the stuck task: never reuse it.
        for run in runs:
            if not run.done.is_set():
                run.exception = exc
                run.hung = True
                run.timeout_reason = run.timeout_reason or f"{run.label} hung"
                run.finish()
        vtime.discard_loop(loop)
    finally:
        _options_capture.reset(token)


async def _gather(runs: Sequence[_Run], loop: VirtualEventLoop, options: _Options) -> None:
    for run in runs:
        run.task = loop.create_task(_run_async(run, loop))

    def on_wall_deadline() -> None:
        for run in runs:
            if run.task is not None and not run.task.done():
                where = _task_location(run.task)
                run.hung = True
                run.timeout_reason = (
                    f"{run.label} hung: still running after {options.wall_timeout:g} s of "
                    f"wall time{where}"
                )
                run.task.cancel()

    loop.set_wall_deadline(options.wall_timeout, on_wall_deadline)
    # The loop checks its wall deadline whenever it waits; a hook that blocks the loop in
    # synchronous code never lets it wait, so the watchdog interrupts the thread itself.
    loop_thread = threading.get_ident()
    stuck_lock = threading.Lock()
    armed = [True]

    def on_stuck() -> None:
        # Under the lock: once the group is done no interrupt can be sent, and one sent before
        # lands while the loop still runs (where _run_async_group catches it).
        with stuck_lock:
            if armed[0]:
                on_wall_deadline()
                _interrupt_thread(loop_thread)

    job = options.vtime.watchdog.arm(options.wall_timeout + _GRACE_SECONDS, on_stuck)
    try:
        await asyncio.wait([run.task for run in runs if run.task is not None])
    finally:
        with stuck_lock:
            armed[0] = False
        options.vtime.watchdog.disarm(job)
        loop.set_wall_deadline(None)
    # Tasks the hooks spawned and left running are cancelled, as the platform's process would
    # not keep them; one that refuses gets a virtual second, then the loop moves on.
    leftovers = [t for t in asyncio.all_tasks(loop) if t is not asyncio.current_task()]
    for task in leftovers:
        task.cancel()
    if leftovers:
        await asyncio.wait(leftovers, timeout=1.0)


async def _run_async(run: _Run, loop: VirtualEventLoop) -> None:
    timer: asyncio.TimerHandle | None = None
    current = asyncio.current_task()
    if run.budget is not None and current is not None:

        def on_budget() -> None:
            if not current.done():
                where = _task_location(current)
                run.timeout_reason = (
                    f"{run.label} ran past its virtual time budget of {run.budget:g} s{where}"
                )
                current.cancel()

        timer = loop.call_at(loop.time() + run.budget, on_budget)
    try:
        with run.scope():
            await run.hook.func(**run.kwargs())
    except asyncio.CancelledError as exc:
        run.exception = exc
    except BaseException as exc:
        run.exception = exc
    finally:
        if timer is not None:
            timer.cancel()
        run.finish()
