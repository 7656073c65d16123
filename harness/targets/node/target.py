"""The Node target: a real ``@botpress/sdk`` integration package, driven over the runtime protocol.

:func:`load_node_integration` checks the package, installs the harness's helpers on first use and
bundles the integration (so every error a user can fix shows before the run, exit 2).
:class:`NodeIntegration` then gives the simulator what the Python target gives it: one
:class:`~harness.integration.HookOutcome` per hook call, with the call's log records, while the
call's Shopify exchanges reach the simulator's session through the served fake, attributed to the
call by the ``x-lh-call-id`` header the preload adds. Per simulator:

- one ``ServedShopify`` over a router into the current session's fake (TLS, test CA), one served
  platform API over the current session's state store;
- one Node process (``Integration.start(port)`` of the bundle), restarted when the harness killed
  it: at a crash point (``SIGKILL`` while the chosen request is in flight), after a hook hung past
  the wall timeout, after one ran past its virtual budget.

Overlapping calls take deterministic turns at the served fakes (:mod:`.overlap`).
"""

from __future__ import annotations

import atexit
import datetime as _dt
import json
import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any, Literal, Protocol, cast

import httpx

from fake_shopify import FakeShopify
from fake_shopify.served import ServedShopify
from harness.runtime import Context, LogRecord, LogScope, LogSink, StateStore, default_webhook_url
from harness.runtime.netblock import SocketAttempt
from harness.runtime.platform_api import ServedPlatformAPI
from harness.runtime.vtime import Deadline, VirtualTime, current_deadline, real_monotonic
from harness.targets.node.bundle import Bundle, bundle
from harness.targets.node.errors import NodeStartError
from harness.targets.node.helpers import Helpers, ensure_helpers
from harness.targets.node.overlap import NodeTurns
from harness.targets.node.package import NodePackage, load_package
from harness.targets.node.process import CallRecords, NodeProcess, Reply
from harness.targets.node.protocol import (
    CALL_HEADER,
    NodeProtocolError,
    hook_headers,
    log_record,
    reply_error,
)
from harness.targets.python.calls import HookCrash, HookOutcome

__all__ = ["Host", "NodeCall", "NodeIntegration", "Session", "load_node_integration"]


class Session(Protocol):
    """What the Node target needs of the simulator's current lifecycle."""

    @property
    def store(self) -> Any: ...

    def serve(self, request: httpx.Request) -> httpx.Response: ...

    def refuse_socket(self, attempt: SocketAttempt) -> None: ...


class Host(Protocol):
    """What the Node target needs of the simulator: its clock and its current lifecycle."""

    @property
    def vtime(self) -> VirtualTime: ...

    def current_session(self) -> Session | None: ...


_END_GRACE = 2.0  # real seconds to wait for a call's end record once its reply arrived
SPARES = 2
"""Processes kept started beside the serving one: crash points come one after another (a crash
enumeration kills the runtime every few calls), and a start (~0.3-1 s: the SDK's module set-up)
would otherwise be paid at each. The first spare starts with the serving process; each restart
takes the oldest spare and starts a new one while the hooks run."""


@dataclass(frozen=True)
class NodeCall:
    """One hook call to make."""

    operation: str
    ctx: Context
    webhook_url: str | None
    label: str  # "<op> of <integration> for <bot id>": how the session attributes exchanges


@dataclass
class _Pending:
    call: NodeCall
    call_id: str
    slot: CallRecords
    reply: Reply | None = None
    replied: threading.Event = field(default_factory=threading.Event)
    start_wall: float = 0.0


class NodeIntegration:
    """A TypeScript integration under test (see the module docstring)."""

    kind = "node"

    def __init__(
        self,
        package: NodePackage,
        helpers: Helpers,
        built: Bundle,
        *,
        name: str,
        fake_timers: bool = True,
        source_maps: bool = False,
    ) -> None:
        self.name = name
        self.package = package
        self.helpers = helpers
        self.bundle = built
        self.fake_timers = fake_timers
        self.process: NodeProcess | None = None
        self._labels: dict[str, str] = {}  # call id -> label, for the calls in flight
        self._crash: HookCrash | None = None
        self._group: NodeTurns | None = None  # the turns of the overlapping calls in flight
        self._lock = threading.Lock()
        self._host: Host | None = None
        self._stack: ExitStack | None = None
        self._env: dict[str, str] = {}
        self._spares: list[tuple[NodeProcess, threading.Thread, list[BaseException]]] = []
        self.source_maps = source_maps
        self.restarts = 0  # processes replaced after a kill (crash point, hang, budget)
        self.start_seconds: list[float] = []  # spawn to ready of every process started
        self.restart_wait_seconds: list[float] = []  # real time each restart waited for a runtime
        self.stalls = 0  # overlapping groups whose turns the stall rule broke (overlap module)

    @property
    def sdk_version(self) -> str:
        return self.package.sdk_version

    def __repr__(self) -> str:
        return f"NodeIntegration({self.name!r}, sdk {self.sdk_version})"

    # -- serving ---------------------------------------------------------------------------------

    @contextmanager
    def serving(self, host: Host) -> Iterator[NodeIntegration]:
        """Route the served fakes into ``host`` (a simulator) for the block.

        The served fakes and the Node process start with the first simulator and stay up for
        the next ones (a check replays the library, explores and records with many simulators;
        Node starts once): :meth:`close` stops them, as does the interpreter's exit.
        """
        if self._stack is None:
            self._start(host)
        previous, self._host = self._host, host
        try:
            yield self
        finally:
            self._host = previous

    def _start(self, host: Host) -> None:
        with ExitStack() as stack:
            router = cast(FakeShopify, _Router(self))  # handle(): the current session's fake
            shop = stack.enter_context(ServedShopify(router, latency_scale=0.0))
            store = cast(StateStore, _CurrentStore(self))  # the current session's store
            api = stack.enter_context(
                ServedPlatformAPI(
                    store, port=0, on_abort=self._aborted, admit=self._admit_platform_call
                )
            )
            self._env = _node_env(
                api_url=str(api.url),
                api_token=api.token,
                shop_port=shop.port,
                ca_file=Path(shop.ca_cert_path),
                fake_timers=self.fake_timers,
                fake_timers_module=self.helpers.fake_timers,
                clock_ms=_ms(host.vtime.now()),
            )
            self.process = self._new_process()
            stack.callback(self._stop)
            self.process.start()
            self._fill_spares()
            self._stack = stack.pop_all()
        atexit.register(self.close)

    def close(self) -> None:
        """Stop the Node process(es) and the served fakes (idempotent)."""
        stack, self._stack = self._stack, None
        if stack is not None:
            atexit.unregister(self.close)
            stack.close()

    def __enter__(self) -> NodeIntegration:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _new_process(self) -> NodeProcess:
        env = dict(self._env)
        node_options: tuple[str, ...] = ()
        if self.source_maps:
            node_options = ("--enable-source-maps",)
        else:
            env["LH_CODE_CACHE"] = str(self.bundle.path.with_suffix(".v8cache"))
        process = NodeProcess(
            node=self.package.node,
            preload=self.helpers.preload,
            runner=self.helpers.runner,
            bundle=self.bundle.path,
            cwd=self.package.root,
            env=env,
            node_options=node_options,
        )
        process.on_idle = self._idle
        return process

    def _spawn_spare(self) -> None:
        """Start the next process in the background: a restart then costs no wall time."""
        spare = self._new_process()
        box: list[BaseException] = []

        def start() -> None:
            try:
                spare.start()
            except BaseException as exc:
                box.append(exc)

        thread = threading.Thread(target=start, daemon=True, name="lh-node-spare")
        thread.start()
        self._spares.append((spare, thread, box))

    def _fill_spares(self) -> None:
        while len(self._spares) < SPARES:
            self._spawn_spare()

    def _restart(self) -> NodeProcess:
        """A fresh runtime after a kill: the oldest spare when there is one, then new spares."""
        t0 = real_monotonic()
        old = self.process
        if old is not None:
            self.restarts += 1
            old.kill()
            self.start_seconds.extend(old.start_seconds)
        fresh: NodeProcess | None = None
        while self._spares and fresh is None:
            spare, thread, box = self._spares.pop(0)
            thread.join()
            if box or not spare.alive:
                spare.kill()
                continue
            fresh = spare
        if fresh is None:
            fresh = self._new_process()
            fresh.start()
        self.process = fresh
        self._fill_spares()
        self.restart_wait_seconds.append(real_monotonic() - t0)
        return fresh

    def _stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            self.start_seconds.extend(process.start_seconds)
            process.kill()
        spares, self._spares = self._spares, []
        for spare, thread, _ in spares:
            thread.join()
            self.start_seconds.extend(spare.start_seconds)
            spare.kill()

    # -- calls ---------------------------------------------------------------------------------

    def call_hooks(
        self,
        calls: Sequence[NodeCall],
        *,
        sink: LogSink,
        vtime: VirtualTime,
        budget_seconds: float | None,
        wall_timeout: float,
    ) -> list[HookOutcome]:
        """Make ``calls`` at once (each on a connection of its own); outcomes in their order.

        Overlapping calls take turns (:mod:`.overlap`): call 0 is posted now, each next one
        when the turn first reaches it; their requests are held at the served fakes until it
        is their turn."""
        process = self.process
        if process is None:
            raise NodeStartError(f"{self.name}: hook calls need a serving Node target")
        if not process.alive:
            process = self._restart()  # killed at a crash point, or after a hang
        self._crash = None
        clock_ms = _ms(vtime.now())
        budget_ms = None if budget_seconds is None else int(budget_seconds * 1000)
        pending: list[_Pending] = []
        for call in calls:
            call_id = uuid.uuid4().hex[:16]
            with self._lock:
                self._labels[call_id] = call.label
            pending.append(_Pending(call, call_id, process.open_call(call_id)))
        group = NodeTurns([item.call_id for item in pending]) if len(pending) > 1 else None
        self._group = group
        threads = []
        for index, item in enumerate(pending):
            ctx = item.call.ctx
            if ctx.operation != item.call.operation:
                ctx = ctx.for_operation(item.call.operation)
            headers = hook_headers(
                ctx, call_id=item.call_id, clock_ms=clock_ms, budget_ms=budget_ms
            )
            url = item.call.webhook_url or default_webhook_url(ctx.webhook_id)
            body = ('{"webhookUrl": ' + _json_str(url) + "}").encode()
            thread = threading.Thread(
                target=self._post,
                args=(process, item, headers, body, wall_timeout, group, index),
                daemon=True,
                name="lh-node-call",
            )
            item.start_wall = real_monotonic()
            threads.append(thread)
        for thread in threads:
            thread.start()
        deadline = real_monotonic() + wall_timeout
        hung = False
        over_budget = False
        for item in pending:
            while True:
                left = deadline - real_monotonic()
                if item.slot.budget is not None:
                    over_budget = True
                    break
                if item.replied.is_set():
                    if item.reply is not None and item.reply.status != 0:
                        # The reply is in; its end record follows on the control pipe.
                        item.slot.ended.wait(_END_GRACE)
                    break
                if left <= 0:
                    hung = True
                    break
                # Set by the reply, the end record, a budget record or the process's exit.
                if item.slot.done.wait(left) and not item.replied.is_set():
                    item.replied.wait(min(max(left, 0.0), 0.5))
        crash = self._crash
        if hung or over_budget or crash is not None:
            if group is not None:
                group.end()  # nothing held is served, nothing waiting is posted
            process.kill()  # a stuck or aborted hook must not run on behind the next call
        for thread in threads:
            thread.join(timeout=5.0)
        if group is not None:
            if group.turns.broken and not group.gone:
                self.stalls += 1
            group.end()
            self._group = None
        self._advance_clock(vtime, pending, clock_ms)
        outcomes = [
            self._outcome(
                item,
                crash=crash,
                hung=hung,
                budget_seconds=budget_seconds,
                wall_timeout=wall_timeout,
                sink=sink,
            )
            for item in pending
        ]
        for item in pending:
            process.close_call(item.call_id)
            with self._lock:
                self._labels.pop(item.call_id, None)
        return outcomes

    def _post(
        self,
        process: NodeProcess,
        item: _Pending,
        headers: dict[str, str],
        body: bytes,
        wall_timeout: float,
        group: NodeTurns | None = None,
        index: int = 0,
    ) -> None:
        try:
            if group is not None and index > 0 and not group.wait_start(index):
                item.reply = Reply(0, None, "the runtime was gone before the call was made")
                return
            item.start_wall = real_monotonic()
            item.reply = process.post(headers, body, timeout=wall_timeout + 5.0)
        finally:
            if group is not None:
                if item.reply is None or item.reply.status == 0:
                    group.end()  # no answer: the runtime is gone (killed, exited)
                else:
                    group.done(index)
            item.replied.set()
            item.slot.done.set()

    def _advance_clock(
        self, vtime: VirtualTime, pending: Sequence[_Pending], clock_ms: int
    ) -> None:
        """The harness's clock moves as far as the longest call's virtual time (Node's fake
        clock was set to the harness's at the start of the calls)."""
        if not self.fake_timers:
            return
        elapsed = [
            int(p.slot.end.get("virtual_ms") or 0) for p in pending if p.slot.end is not None
        ]
        elapsed += [
            int(p.slot.budget.get("now", clock_ms)) - clock_ms
            for p in pending
            if p.slot.budget is not None
        ]
        if not elapsed or max(elapsed) <= 0:
            return
        target = _dt.datetime.fromtimestamp((clock_ms + max(elapsed)) / 1000.0, tz=_dt.UTC)
        if target > vtime.now():
            vtime.move_to(target)

    def _outcome(
        self,
        item: _Pending,
        *,
        crash: HookCrash | None,
        hung: bool,
        budget_seconds: float | None,
        wall_timeout: float,
        sink: LogSink,
    ) -> HookOutcome:
        call = item.call
        bot_id = call.ctx.bot_id
        logs: list[LogRecord] = []

        def emit(record: LogRecord) -> None:
            sink.emit(record)
            logs.append(sink.records[-1] if sink.records else record)

        console_errors: list[str] = []
        for record in item.slot.records:
            if record.get("type") == "blocked":
                self._refused(call.label, record)
                continue
            mapped = log_record(record, bot_id=bot_id)
            if mapped is None:
                continue
            if mapped.source == "stdlib" and mapped.level == "error":
                console_errors.append(mapped.text())
            emit(mapped)
        reply = item.reply
        end = item.slot.end
        virtual = float(end.get("virtual_ms") or 0) / 1000.0 if end else 0.0
        wall = real_monotonic() - item.start_wall
        register = call.operation == "register"
        failed: Literal["registration_failed", "unregistration_failed"] = (
            "registration_failed" if register else "unregistration_failed"
        )
        common: dict[str, Any] = {
            "operation": call.operation,
            "bot_id": bot_id,
            "virtual_seconds": virtual,
            "wall_seconds": wall,
        }

        def runtime_log(message: str) -> None:
            emit(
                LogRecord(
                    level="error",
                    message=message,
                    scope=LogScope(visible_to_bot_owner=True),
                    source="runtime",
                    bot_id=bot_id,
                )
            )

        answered = reply is not None and reply.status != 0
        if crash is not None and not answered:
            reason = f"the hook was aborted by a simulated crash ({crash})"
            return HookOutcome(
                status=failed,
                status_reason=reason,
                exception=crash,
                exc_text=f"HookCrash: {crash}",
                crashed=True,
                logs=tuple(logs),
                **common,
            )
        if item.slot.budget is not None and not answered:
            reason = f"{call.label} ran past its virtual time budget of {budget_seconds:g} s"
            runtime_log(reason)
            return HookOutcome(
                status=failed,
                status_reason=reason,
                exception=NodeProtocolError(reason),
                exc_text=None,
                timed_out=True,
                logs=tuple(logs),
                **common,
            )
        if hung and not answered:
            reason = f"{call.label} hung: still running after {wall_timeout:g} s of wall time"
            runtime_log(reason)
            return HookOutcome(
                status=failed,
                status_reason=reason,
                exception=NodeProtocolError(reason),
                exc_text=None,
                timed_out=True,
                hung=True,
                logs=tuple(logs),
                **common,
            )
        if not answered:
            detail = reply.error if reply is not None else "no reply"
            code = self.process.exit_code() if self.process is not None else None
            reason = (
                f"the integration's Node process gave no answer to {call.label} "
                f"({detail}; exit code {code})"
            )
            runtime_log(reason)
            return HookOutcome(
                status=failed,
                status_reason=reason,
                exception=NodeProtocolError(reason),
                exc_text=None,
                http_status=500,
                logs=tuple(logs),
                **common,
            )
        assert reply is not None
        if reply.status == 200:
            ok: Literal["registered", "unregistered"] = "registered" if register else "unregistered"
            return HookOutcome(status=ok, http_status=200, logs=tuple(logs), **common)
        reason, exc, exc_text, body = reply_error(reply.status, reply.body, console_errors)
        return HookOutcome(
            status=failed,
            status_reason=reason,
            exception=exc,
            exc_text=exc_text,
            http_status=reply.status,
            response=body,
            logs=tuple(logs),
            **common,
        )

    def _refused(self, label: str, record: dict[str, Any]) -> None:
        session = self._host.current_session() if self._host is not None else None
        if session is None:
            return
        port = record.get("port")
        attempt = SocketAttempt(
            host=str(record.get("host")),
            port=int(port) if isinstance(port, int) else None,
            url=None,
            method=None,
            via=f"node {record.get('via')}",
        )
        token = current_deadline.set(Deadline(label, None, None))
        try:
            session.refuse_socket(attempt)
        finally:
            current_deadline.reset(token)

    # -- the served fake's side ------------------------------------------------------------------

    def label_of(self, call_id: str | None) -> str | None:
        if call_id is None:
            return None
        with self._lock:
            return self._labels.get(call_id)

    # -- turns of overlapping calls (harness.targets.node.overlap) ----------------------------

    def _idle(self, call_id: str) -> None:
        """The preload's ``idle`` record: the call waits for a timer while another's request is
        held; the turn goes on without it."""
        group = self._group
        if group is not None:
            group.idle(call_id)

    def _admit_platform_call(self, headers: Message) -> bool:
        """A state-API call is a turn point: held until it is its call's turn."""
        group = self._group
        return group is None or group.arrive(headers.get(CALL_HEADER))

    def _aborted(self, abort: BaseException) -> None:
        """The served platform API's abort: a crash point at a platform call (``set_state``...)."""
        if isinstance(abort, HookCrash):
            self.crashed(abort)
        else:  # not ours: the runtime is gone all the same, and the hook says why
            self.crashed(HookCrash(f"the platform API call was aborted: {abort!r}"))

    def crashed(self, crash: HookCrash) -> None:
        """A crash point was reached: the runtime dies now, before the request is answered."""
        self._crash = crash
        group = self._group
        if group is not None:
            group.end()  # the other calls' held requests die with the runtime, unserved
        process = self.process
        if process is not None:
            process.kill()


class _Router:
    """What the served Shopify calls ``fake``: the current session's fake, with attribution."""

    def __init__(self, target: NodeIntegration) -> None:
        self.target = target

    def handle(self, request: httpx.Request) -> httpx.Response:
        call_id = request.headers.get(CALL_HEADER)
        if call_id is not None:
            del request.headers[CALL_HEADER]
        group = self.target._group
        if group is not None and not group.arrive(call_id):  # held until it is the call's turn
            raise _RuntimeGone(f"the runtime that sent this request is gone (call {call_id})")
        host = self.target._host
        session = host.current_session() if host is not None else None
        if session is None:
            return httpx.Response(
                503, text="lifecycle-harness: a request to the fake outside any hook call"
            )
        label = self.target.label_of(call_id)
        token = current_deadline.set(Deadline(label, None, None)) if label else None
        try:
            return session.serve(request)
        except HookCrash as crash:
            self.target.crashed(crash)
            raise
        finally:
            if token is not None:
                current_deadline.reset(token)


class _RuntimeGone(BaseException):
    """A held request whose runtime was killed meanwhile: dropped unanswered (a reset)."""


class _CurrentStore:
    """The current session's state store (the served platform API outlives sessions)."""

    def __init__(self, target: NodeIntegration) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        host = self._target._host
        session = host.current_session() if host is not None else None
        if session is None:
            raise AttributeError(f"no session is running (store.{name})")
        return getattr(session.store, name)


def _node_env(
    *,
    api_url: str,
    api_token: str,
    shop_port: int,
    ca_file: Path,
    fake_timers: bool,
    fake_timers_module: Path,
    clock_ms: int,
) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BP_", "SECRET_", "LH_", "NODE_OPTIONS", "HTTP_PROXY", "HTTPS_PROXY"))
        and k.lower() not in ("http_proxy", "https_proxy", "no_proxy", "all_proxy")
    }
    env.update(
        {
            "BP_API_URL": api_url,
            "BP_TOKEN": api_token,
            "BP_LOG_FORMAT": "json",
            "LH_REDIRECT": json.dumps([{"suffix": ".myshopify.com", "port": shop_port}]),
            "LH_CA_FILE": str(ca_file),
            "LH_FAKE_TIMERS": "1" if fake_timers else "0",
            "LH_FAKE_TIMERS_MODULE": str(fake_timers_module),
            "LH_CLOCK": str(clock_ms),
            "NODE_ENV": "production",
        }
    )
    return env


def _ms(moment: _dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _json_str(text: str) -> str:
    return json.dumps(text)


def load_node_integration(
    target: str | Path,
    *,
    fake_timers: bool = True,
    source_maps: bool | None = None,
    name: str | None = None,
) -> NodeIntegration:
    """Check, install helpers for and bundle the integration package ``target``.

    ``source_maps``: stacks name the TypeScript sources (``node --enable-source-maps``, and no
    V8 code cache, so every start costs more); default from
    ``LIFECYCLE_HARNESS_NODE_SOURCE_MAPS=1``."""
    package = load_package(target)
    helpers = ensure_helpers()
    built = bundle(package, helpers)
    if source_maps is None:
        source_maps = os.environ.get("LIFECYCLE_HARNESS_NODE_SOURCE_MAPS") == "1"
    return NodeIntegration(
        package,
        helpers,
        built,
        name=name or str(target),
        fake_timers=fake_timers,
        source_maps=source_maps,
    )
