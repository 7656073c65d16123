"""Calling hooks: injection, failure mapping, crashes, timeouts, virtual sleeps, concurrency."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import threading
import time
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.runtime import (
    AsyncPlatformClient,
    Context,
    InvalidPayloadError,
    LogScope,
    LogSink,
    PlatformClient,
    PlatformLogger,
    ResourceNotFoundError,
    RuntimeError,
    StateStore,
)
from harness.runtime.vtime import VirtualTime, current_deadline, real_monotonic
from harness.targets.python import (
    UNEXPECTED_ERROR_MESSAGE,
    HookCrash,
    HookInvocation,
    HookOutcome,
    Integration,
    call_hook,
    call_hooks_concurrently,
    call_label,
    load_integration,
)


@pytest.fixture
def vt() -> Iterator[VirtualTime]:
    clock = VirtualTime().start()
    try:
        yield clock
    finally:
        clock.stop()


@pytest.fixture
def store(vt: VirtualTime) -> StateStore:
    return StateStore(clock=vt)


@pytest.fixture
def sink(vt: VirtualTime) -> LogSink:
    return LogSink(clock=vt)


def ctx_for(bot: str = "bot1") -> Context:
    return Context(
        bot_id=bot,
        integration_id=f"int_{bot}",
        webhook_id=f"wh_{bot}",
        configuration={"shopName": "acme", "access_token": "shpat_secret"},
    )


def integration(
    register: Callable[..., Any], unregister: Callable[..., Any] | None = None
) -> Integration:
    def nothing() -> None:
        return None

    return load_integration(
        types.SimpleNamespace(register=register, unregister=unregister or nothing)
    )


def call(
    integ: Integration,
    vt: VirtualTime,
    store: StateStore,
    sink: LogSink,
    operation: str = "register",
    **options: Any,
) -> HookOutcome:
    return call_hook(integ, operation, ctx=ctx_for(), store=store, sink=sink, vtime=vt, **options)


# -- injection ---------------------------------------------------------------------------------


def test_sync_hook_gets_arguments_by_name(
    vt: VirtualTime, store: StateStore, sink: LogSink
) -> None:
    seen: dict[str, Any] = {}

    def register(
        webhook_url: str, ctx: Context, client: PlatformClient, logger: PlatformLogger
    ) -> None:
        seen.update(ctx=ctx, client=client, logger=logger, webhook_url=webhook_url)
        client.set_state("integration", ctx.integration_id, "hooks", {"url": webhook_url})

    outcome = call(integration(register), vt, store, sink)
    assert outcome.status == "registered"
    assert outcome.ok
    assert outcome.http_status == 200
    assert type(seen["client"]) is PlatformClient
    assert isinstance(seen["logger"], PlatformLogger)
    assert seen["ctx"].operation == "register"
    assert seen["webhook_url"] == "https://webhook.botpress.cloud/wh_bot1"
    assert store.states("bot1")[("integration", "int_bot1", "hooks")].payload == {
        "url": "https://webhook.botpress.cloud/wh_bot1"
    }


def test_async_hook_gets_the_async_client(
    vt: VirtualTime, store: StateStore, sink: LogSink
) -> None:
    seen: list[object] = []

    async def unregister(client: AsyncPlatformClient, ctx: Context) -> None:
        seen.append(client)
        await client.set_state("integration", ctx.integration_id, "hooks", None)

    outcome = call(integration(lambda: None, unregister), vt, store, sink, "unregister")
    assert outcome.status == "unregistered"
    assert type(seen[0]) is AsyncPlatformClient


def test_kwargs_hook_receives_everything(vt: VirtualTime, store: StateStore, sink: LogSink) -> None:
    seen: dict[str, Any] = {}

    def register(**kwargs: Any) -> None:
        seen.update(kwargs)

    call_hook(
        integration(register),
        "register",
        ctx=ctx_for(),
        store=store,
        sink=sink,
        vtime=vt,
        webhook_url="https://example.test/hook",
    )
    assert set(seen) == {"ctx", "client", "logger", "webhook_url"}
    assert seen["webhook_url"] == "https://example.test/hook"


def test_hook_with_no_parameters(vt: VirtualTime, store: StateStore, sink: LogSink) -> None:
    calls: list[int] = []
    outcome = call(integration(lambda: calls.append(1)), vt, store, sink)
    assert (outcome.status, calls) == ("registered", [1])


# -- failure mapping ---------------------------------------------------------------------------


def runtime_records(outcome: HookOutcome) -> list[tuple[str, str, bool]]:
    return [
        (r.level, r.message, r.scope.visible_to_bot_owner)
        for r in outcome.logs
        if r.source == "runtime"
    ]


def test_runtime_error_is_a_user_facing_failure(
    vt: VirtualTime, store: StateStore, sink: LogSink
) -> None:
    def register(ctx: Context) -> None:
        raise RuntimeError(f"shop {ctx.configuration['shopName']} not found")

    outcome = call(integration(register), vt, store, sink)
    assert outcome.status == "registration_failed"
    assert outcome.status_reason == "shop acme not found"
    assert outcome.user_message == "registration failed: shop acme not found"
    assert outcome.http_status == 400
    assert outcome.response is not None
    assert outcome.response["type"] == "Runtime"
    assert isinstance(outcome.exception, RuntimeError)
    assert runtime_records(outcome) == [("error", "shop acme not found", True)]
    assert sink.records == list(outcome.logs)


def test_duck_typed_api_error_keeps_its_message(
    vt: VirtualTime, store: StateStore, sink: LogSink
) -> None:
    def unregister(client: PlatformClient, ctx: Context) -> None:
        client.get_state("integration", ctx.integration_id, "never-set")  # ResourceNotFound

    outcome = call(integration(lambda: None, unregister), vt, store, sink, "unregister")
    assert outcome.status == "unregistration_failed"
    assert outcome.status_reason == "No State found"
    assert outcome.user_message == "unregistration failed: No State found"
    assert outcome.http_status == 500
    records = [r for r in outcome.logs if r.source == "runtime"]
    assert [(r.level, r.scope.visible_to_bot_owner) for r in records] == [
        ("error", True),
        ("error", False),
    ]
    assert records[1].exc_text is not None
    assert "ResourceNotFoundError: No State found" in records[1].exc_text


def test_foreign_api_error_by_duck_typing(
    vt: VirtualTime, store: StateStore, sink: LogSink
) -> None:
    class ClientError(Exception):
        is_api_error = True
        type = "Runtime"
        message = "from another SDK"

    def register() -> None:
        raise ClientError("ignored text")

    outcome = call(integration(register), vt, store, sink)
    assert (outcome.status_reason, outcome.http_status) == ("from another SDK", 400)


def test_other_exception_is_unexpected(vt: VirtualTime, store: StateStore, sink: LogSink) -> None:
    def register() -> None:
        raise KeyError("access_token")

    outcome = call(integration(register), vt, store, sink)
    assert outcome.status == "registration_failed"
    assert outcome.status_reason == UNEXPECTED_ERROR_MESSAGE
    assert outcome.http_status == 500
    assert outcome.exc_text is not None
    assert "KeyError: 'access_token'" in outcome.exc_text
    assert runtime_records(outcome) == [
        ("error", UNEXPECTED_ERROR_MESSAGE, True),
        ("error", "KeyError: 'access_token'", False),
    ]


def test_hook_logs_and_stdlib_logs_land_in_the_outcome(
    vt: VirtualTime, store: StateStore, sink: LogSink
) -> None:
    def register(logger: PlatformLogger) -> None:
        logger.for_bot().info("creating %d webhooks", 3)
        logging.getLogger("integration.shopify").warning("slow shop")

    async def unregister(logger: PlatformLogger) -> None:
        logging.getLogger("integration.shopify").info("async stdlib")
        logger.warn("async platform")

    integ = integration(register, unregister)
    first = call(integ, vt, store, sink)
    second = call(integ, vt, store, sink, "unregister")
    assert [(r.source, r.level, r.message) for r in first.logs] == [
        ("platform", "info", "creating 3 webhooks"),
        ("stdlib", "warn", "slow shop"),
    ]
    assert first.logs[0].scope == LogScope(visible_to_bot_owner=True)
    assert [(r.source, r.message) for r in second.logs] == [
        ("stdlib", "async stdlib"),
        ("platform", "async platform"),
    ]
    assert len(sink.records) == 4


# -- crash -------------------------------------------------------------------------------------


def test_crash_is_not_caught_by_except_exception(
    vt: VirtualTime, store: StateStore, sink: LogSink
) -> None:
    swallowed: list[BaseException] = []

    def register(client: PlatformClient, ctx: Context) -> None:
        client.set_state("integration", ctx.integration_id, "a", {"step": 1})
        try:
            raise HookCrash("before request 2")
        except Exception as exc:  # the integration's catch-all must not see the crash
            swallowed.append(exc)
        client.set_state("integration", ctx.integration_id, "b", {"step": 2})

    outcome = call(integration(register), vt, store, sink)
    assert swallowed == []
    assert outcome.crashed
    assert outcome.status == "registration_failed"
    assert isinstance(outcome.exception, HookCrash)
    assert runtime_records(outcome) == []  # the process died: nothing logged
    assert list(store.states("bot1")) == [("integration", "int_bot1", "a")]


def test_crash_in_an_async_hook(vt: VirtualTime, store: StateStore, sink: LogSink) -> None:
    async def register() -> None:
        try:
            await asyncio.sleep(1)
            raise HookCrash("abort")
        except Exception:
            pass

    outcome = call(integration(register), vt, store, sink)
    assert outcome.crashed
    assert not outcome.timed_out


# -- virtual time in hooks ---------------------------------------------------------------------


def test_sleeping_hooks_cost_no_wall_time(
    vt: VirtualTime, store: StateStore, sink: LogSink
) -> None:
    seen: list[dt.datetime] = []

    def register() -> None:
        before = dt.datetime.now(dt.UTC)
        time.sleep(3600)  # e.g. honouring a Retry-After
        seen.append(before)
        seen.append(dt.datetime.now(dt.UTC))

    async def unregister() -> None:
        await asyncio.sleep(2)
        time.sleep(3)

    integ = integration(register, unregister)
    wall = real_monotonic()
    first = call(integ, vt, store, sink, budget_seconds=None)
    second = call(integ, vt, store, sink, "unregister")
    assert first.ok, first.status_reason
    assert second.ok, second.status_reason
    assert real_monotonic() - wall < 2.0
    assert seen[1] - seen[0] == dt.timedelta(hours=1)
    assert first.virtual_seconds == pytest.approx(3600)
    assert second.virtual_seconds == pytest.approx(5)
    assert vt.now() == seen[1] + dt.timedelta(seconds=5)


def test_sync_hook_past_its_virtual_budget(
    vt: VirtualTime, store: StateStore, sink: LogSink
) -> None:
    def register() -> None:
        while True:  # retries forever with backoff
            with contextlib.suppress(Exception):
                time.sleep(10)

    outcome = call(integration(register), vt, store, sink, budget_seconds=60)
    assert outcome.timed_out
    assert outcome.status == "registration_failed"
    assert outcome.status_reason is not None
    assert "register of " in outcome.status_reason
    assert "ran past its virtual time budget of 60 s" in outcome.status_reason
    assert outcome.virtual_seconds == pytest.approx(60)
    assert runtime_records(outcome) == [("error", outcome.status_reason, True)]


def test_async_hook_past_its_virtual_budget_is_named(
    vt: VirtualTime, store: StateStore, sink: LogSink
) -> None:
    async def register() -> None:
        await asyncio.sleep(3600)

    outcome = call(integration(register), vt, store, sink, budget_seconds=30)
    assert outcome.timed_out
    assert outcome.status_reason is not None
    assert "ran past its virtual time budget of 30 s" in outcome.status_reason
    assert "test_integration_calls.py" in outcome.status_reason
    assert "in register" in outcome.status_reason
    assert outcome.virtual_seconds == pytest.approx(30)


def test_sync_hook_spinning_in_wall_time_is_stopped(
    vt: VirtualTime, store: StateStore, sink: LogSink
) -> None:
    def register() -> None:
        while True:
            pass

    for isolate in (False, True):
        wall = real_monotonic()
        outcome = call(
            integration(register), vt, store, sink, wall_timeout=0.2, isolate_sync=isolate
        )
        assert real_monotonic() - wall < 2.0
        assert outcome.timed_out
        assert outcome.status_reason is not None
        assert "hung: still running after 0.2 s of wall time" in outcome.status_reason
        assert "in register" in outcome.status_reason


def test_sync_hook_blocked_forever_is_abandoned(
    vt: VirtualTime, store: StateStore, sink: LogSink
) -> None:
    release = threading.Event()

    def register() -> None:
        release.wait()  # blocked in C: an interrupt cannot reach it

    try:
        # Only a hook on a thread of its own can be left behind.
        outcome = call(integration(register), vt, store, sink, wall_timeout=0.1, isolate_sync=True)
    finally:
        release.set()
    assert outcome.timed_out
    assert outcome.status_reason is not None
    assert "abandoned" in outcome.status_reason


def test_async_hook_awaiting_forever_is_stopped(
    vt: VirtualTime, store: StateStore, sink: LogSink
) -> None:
    async def register() -> None:
        await asyncio.Event().wait()

    # With a virtual budget, waiting forever is waiting past the budget: the clock jumps there.
    outcome = call(integration(register), vt, store, sink, wall_timeout=5)
    assert outcome.timed_out
    assert outcome.status_reason is not None
    assert "virtual time budget of 60 s" in outcome.status_reason
    # Without one, the wall-time deadline stops it.
    outcome = call(integration(register), vt, store, sink, wall_timeout=0.1, budget_seconds=None)
    assert outcome.timed_out
    assert outcome.status_reason is not None
    assert "hung: still running after 0.1 s of wall time" in outcome.status_reason


def test_async_hook_blocking_the_loop_is_stopped(
    vt: VirtualTime, store: StateStore, sink: LogSink
) -> None:
    async def register() -> None:
        while True:  # never awaits: only the watchdog can stop it
            pass

    wall = real_monotonic()
    outcome = call(integration(register), vt, store, sink, wall_timeout=0.1)
    assert real_monotonic() - wall < 3.0
    assert outcome.timed_out


def test_call_without_a_run_clock_starts_its_own() -> None:
    store = StateStore()

    def register() -> None:
        time.sleep(30)

    wall = real_monotonic()
    outcome = call_hook(
        integration(register), "register", ctx=ctx_for(), store=store, sink=LogSink()
    )
    assert outcome.ok
    assert outcome.virtual_seconds == pytest.approx(30)
    assert real_monotonic() - wall < 2.0
    assert time.sleep.__module__ == "time"  # restored afterwards (builtin, not the patch)


# -- concurrency -------------------------------------------------------------------------------


def test_async_hooks_of_two_bots_interleave(
    vt: VirtualTime, store: StateStore, sink: LogSink
) -> None:
    events: list[str] = []

    async def register(ctx: Context, client: AsyncPlatformClient) -> None:
        events.append(f"{ctx.bot_id} read")
        with contextlib.suppress(Exception):
            await client.get_state("integration", "shared", "lock")
        await asyncio.sleep(2 if ctx.bot_id == "bot1" else 1)
        events.append(f"{ctx.bot_id} write")
        await client.set_state("integration", "shared", "lock", {"owner": ctx.bot_id})

    integ = integration(register)
    outcomes = call_hooks_concurrently(
        [
            HookInvocation(integ, "register", ctx_for("bot1")),
            HookInvocation(integ, "register", ctx_for("bot2")),
        ],
        store=store,
        sink=sink,
        vtime=vt,
    )
    assert [o.status for o in outcomes] == ["registered", "registered"]
    assert [o.bot_id for o in outcomes] == ["bot1", "bot2"]
    assert events == ["bot1 read", "bot2 read", "bot2 write", "bot1 write"]
    assert vt.monotonic() == pytest.approx(2)


def test_sync_and_async_hooks_overlap(vt: VirtualTime, store: StateStore, sink: LogSink) -> None:
    # No timeout: a timed wait inside a hook is virtual; wall_timeout bounds a broken test.
    both_running = threading.Barrier(2)

    def register(ctx: Context, logger: PlatformLogger) -> None:
        both_running.wait()
        logger.info("sync %s", ctx.bot_id)

    async def unregister(ctx: Context, logger: PlatformLogger) -> None:
        await asyncio.to_thread(both_running.wait)
        logger.info("async %s", ctx.bot_id)

    integ = integration(register, unregister)
    outcomes = call_hooks_concurrently(
        [
            HookInvocation(integ, "register", ctx_for("bot1")),
            HookInvocation(integ, "unregister", ctx_for("bot2")),
        ],
        store=store,
        sink=sink,
        vtime=vt,
        wall_timeout=5,
    )
    assert [o.status for o in outcomes] == ["registered", "unregistered"]
    assert [r.message for r in outcomes[0].logs] == ["sync bot1"]
    assert [r.message for r in outcomes[1].logs] == ["async bot2"]


# -- failure mapping over generated exceptions -------------------------------------------------

_ERROR_KINDS = ["runtime", "invalid_payload", "not_found", "value", "key", "duck", "none"]


@given(
    kind=st.sampled_from(_ERROR_KINDS),
    message=st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20
    ),
    operation=st.sampled_from(["register", "unregister"]),
    is_async=st.booleans(),
)
@settings(max_examples=60, deadline=None)
def test_failure_mapping_for_any_exception(
    kind: str, message: str, operation: str, is_async: bool
) -> None:
    def make() -> BaseException | None:
        if kind == "runtime":
            return RuntimeError(message)
        if kind == "invalid_payload":
            return InvalidPayloadError(message)
        if kind == "not_found":
            return ResourceNotFoundError(message)
        if kind == "value":
            return ValueError(message)
        if kind == "key":
            return KeyError(message)
        if kind == "duck":
            err = Exception(message)
            err.is_api_error = True  # type: ignore[attr-defined]
            return err
        return None

    def sync_hook() -> None:
        error = make()
        if error is not None:
            raise error

    async def async_hook() -> None:
        await asyncio.sleep(0)
        sync_hook()

    hook = async_hook if is_async else sync_hook
    integ = integration(hook, hook)
    with VirtualTime() as vt:
        sink = LogSink()
        outcome = call_hook(
            integ, operation, ctx=ctx_for(), store=StateStore(clock=vt), sink=sink, vtime=vt
        )
    noun = "registration" if operation == "register" else "unregistration"
    if kind == "none":
        assert outcome.status == ("registered" if operation == "register" else "unregistered")
        assert sink.records == []
        return
    assert outcome.status == f"{noun}_failed"
    api = kind in ("runtime", "invalid_payload", "not_found", "duck")
    expected_reason = message if api else UNEXPECTED_ERROR_MESSAGE
    assert outcome.status_reason == expected_reason
    assert outcome.user_message == f"{noun} failed: {expected_reason}"
    assert outcome.http_status == (400 if kind in ("runtime", "invalid_payload") else 500)
    runtime = [r for r in sink.records if r.source == "runtime"]
    assert runtime[0].level == "error"
    assert runtime[0].message == expected_reason
    assert runtime[0].scope.visible_to_bot_owner
    # The integration owner also gets the traceback of anything that is not user-facing.
    assert len(runtime) == (1 if kind in ("runtime", "invalid_payload") else 2)


def test_every_call_is_labelled_in_its_context(
    vt: VirtualTime, store: StateStore, sink: LogSink
) -> None:
    seen: list[Any] = []

    def register() -> None:
        seen.append(current_deadline.get())

        async def inner() -> None:
            seen.append(current_deadline.get())
            await asyncio.sleep(500)  # a foreign loop inside the hook: still virtual

        asyncio.run(inner())

    integ = integration(register)
    wall = real_monotonic()
    outcome = call(integ, vt, store, sink, budget_seconds=None)
    assert outcome.ok
    assert real_monotonic() - wall < 2.0
    label = call_label(integ, "register", "bot1")
    assert [(d.label, d.at, d.budget_seconds) for d in seen] == [(label, None, None)] * 2
    assert outcome.virtual_seconds == pytest.approx(500)
    assert current_deadline.get() is None


def test_tasks_left_running_are_cancelled(
    vt: VirtualTime, store: StateStore, sink: LogSink
) -> None:
    background: list[asyncio.Task[None]] = []
    ran: list[str] = []

    async def poll_forever() -> None:
        while True:
            await asyncio.sleep(1)
            ran.append("poll")

    async def register() -> None:
        background.append(asyncio.get_running_loop().create_task(poll_forever()))
        await asyncio.sleep(2.5)

    outcome = call(integration(register), vt, store, sink)
    assert outcome.ok
    assert background[0].cancelled()
    assert ran == ["poll", "poll"]
    # The next call on the same loop does not resume it.
    call(integration(register), vt, store, sink)
    assert ran == ["poll", "poll", "poll", "poll"]


def test_plain_function_returning_a_coroutine(
    vt: VirtualTime, store: StateStore, sink: LogSink
) -> None:
    async def body(ctx: Context) -> None:
        await asyncio.sleep(3)
        raise RuntimeError(f"bad config for {ctx.bot_id}")

    def register(ctx: Context) -> Any:  # e.g. a decorator that hides the coroutine function
        return body(ctx)

    outcome = call(integration(register), vt, store, sink)
    assert outcome.status_reason == "bad config for bot1"
    assert outcome.virtual_seconds == pytest.approx(3)


def test_keyboard_interrupt_is_not_swallowed(
    vt: VirtualTime, store: StateStore, sink: LogSink
) -> None:
    def register() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        call(integration(register), vt, store, sink)
