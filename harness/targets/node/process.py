"""One Node process serving one bundled integration, and hook calls to it over loopback HTTP.

``node --require preload.cjs runner.cjs <bundle> 0``: the runner does what the platform's dev
server does (``require(bundle).default.start(port)``) and reports the port on a control
descriptor (a pipe, fd 3 in the child); the preload writes every console record, every refused
connection and the end of every hook call to the same pipe, one JSON line each, tagged with the
call id the harness sent in ``x-lh-call-id``. A reader thread files them by call.

The process is started once per simulator and restarted only when it was killed: at a crash point
(a real ``SIGKILL``), after a hook hung past the wall timeout, or after one ran past its virtual
budget (it would otherwise keep running behind the next call's back).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import select
import signal
import socket
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.runtime.vtime import real_monotonic
from harness.targets.node.errors import NodeStartError

__all__ = ["CallRecords", "NodeProcess", "Reply"]

# The real connect, captured at import: while a simulator runs, the network guard refuses every
# Python socket connection, loopback included; the harness's own calls to Node must pass.
_REAL_CONNECT = socket.socket.connect

START_TIMEOUT = 30.0  # real seconds for the integration to start serving
_STDERR_TAIL = 60  # lines kept for error messages
POOL_IDLE = 4.0
"""Real seconds a pooled connection may sit idle and still be reused: under the 5 s after which
Node's HTTP server closes an idle keep-alive connection (``server.keepAliveTimeout``)."""


class _LoopbackConnection(http.client.HTTPConnection):
    """An HTTP connection to the Node process on 127.0.0.1 that the network guard lets by."""

    def connect(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            _REAL_CONNECT(sock, (self.host, self.port))
        except BaseException:
            sock.close()
            raise
        self.sock = sock

    def send(self, data: Any) -> None:
        """Send without ``SIGPIPE``: the supervised worker restores the signal's default action,
        so a write to a runtime that is gone (killed, or a keep-alive connection it closed) would
        kill the worker instead of raising ``BrokenPipeError`` here."""
        if self.sock is None:
            self.connect()
        if isinstance(data, bytes | bytearray | memoryview):
            assert self.sock is not None
            self.sock.sendall(data, socket.MSG_NOSIGNAL)
        else:
            super().send(data)


@dataclass
class CallRecords:
    """What the control channel said about one call."""

    records: list[dict[str, Any]] = field(default_factory=list)
    end: dict[str, Any] | None = None
    budget: dict[str, Any] | None = None
    done: threading.Event = field(default_factory=threading.Event)  # anything happened
    ended: threading.Event = field(default_factory=threading.Event)  # end, budget or exit
    generation: int = 0  # which start of the process the call went to


@dataclass(frozen=True)
class Reply:
    """The integration's HTTP answer to one hook call (``status`` 0: no answer)."""

    status: int
    body: Any
    error: str | None = None  # why there is no answer (connection reset, timeout, ...)
    wall_seconds: float = 0.0


class NodeProcess:
    """A started integration. Thread-safe: overlapping calls use connections of their own."""

    def __init__(
        self,
        *,
        node: str,
        preload: Path,
        runner: Path,
        bundle: Path,
        cwd: Path,
        env: Mapping[str, str],
        node_options: tuple[str, ...] = ("--enable-source-maps",),
    ) -> None:
        self.argv = [node, *node_options, "--require", str(preload), str(runner), str(bundle), "0"]
        self.cwd = cwd
        self.env = dict(env)
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.starts = 0  # how many times the process was started (1 + restarts)
        self.start_seconds: list[float] = []  # spawn to ready, each start
        self._calls: dict[str, CallRecords] = {}
        self._unattributed: deque[dict[str, Any]] = deque(maxlen=200)
        self._lock = threading.Lock()
        self._pool: list[_LoopbackConnection] = []
        self._idle_since: dict[int, float] = {}  # id of a pooled connection -> when it was pooled
        self._ready: threading.Event = threading.Event()
        self._ready_record: dict[str, Any] | None = None
        self._stderr: deque[str] = deque(maxlen=_STDERR_TAIL)
        self._exited = threading.Event()
        self.killed_by_harness = False
        self._generation = 0
        self.on_idle: Callable[[str], None] | None = None  # an ``idle`` record's call id

    # -- lifetime ------------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and not self._exited.is_set()

    def start(self) -> None:
        """Spawn node and wait until the integration listens; :class:`NodeStartError` if not."""
        control_r, control_w = os.pipe()
        env = {**self.env, "LH_CONTROL_FD": str(control_w)}
        t0 = real_monotonic()
        self._ready = threading.Event()
        self._ready_record = None
        self._exited = threading.Event()
        self._stderr.clear()
        self.killed_by_harness = False
        try:
            proc = subprocess.Popen(
                self.argv,
                env=env,
                pass_fds=(control_w,),
                stdin=subprocess.PIPE,  # closed when the harness exits: node exits too
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                cwd=self.cwd,
                start_new_session=True,  # a kill reaches the whole group, and ^C does not
                preexec_fn=_node_address_space,
            )
        except OSError as exc:
            os.close(control_r)
            os.close(control_w)
            raise NodeStartError(f"cannot start node ({self.argv[0]}): {exc}") from exc
        finally:
            pass
        os.close(control_w)
        self.proc = proc
        exited, ready = self._exited, self._ready
        self._generation += 1
        threading.Thread(
            target=self._read_control,
            args=(control_r, exited, ready, self._generation),
            daemon=True,
            name="lh-node-control",
        ).start()
        assert proc.stderr is not None
        threading.Thread(
            target=self._read_stderr, args=(proc.stderr,), daemon=True, name="lh-node-stderr"
        ).start()
        if not self._ready.wait(START_TIMEOUT):
            self.kill()
            raise NodeStartError(
                f"the integration did not start serving within {START_TIMEOUT:g} s"
                f"{self._stderr_tail()}"
            )
        record: dict[str, Any] = self._ready_record or {}
        if record.get("type") != "ready":
            self.kill()
            text = record.get("text") or "node exited before the integration listened"
            raise NodeStartError(
                f"the bundled integration did not start: {text}{self._stderr_tail()}"
            )
        self.port = int(record["port"])
        self.starts += 1
        self.start_seconds.append(real_monotonic() - t0)
        with self._lock:
            self._pool = []
            self._idle_since.clear()

    def kill(self) -> None:
        """SIGKILL the process (group): what a crashed runtime is."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            self.killed_by_harness = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                proc.kill()
            proc.wait()
        self._close_pipes(proc)
        # Pooled connections too when the process had exited by itself (overlapping calls
        # leave several in the pool).
        with self._lock:
            for conn in self._pool:
                conn.close()
            self._pool = []
            self._idle_since.clear()

    @staticmethod
    def _close_pipes(proc: subprocess.Popen[bytes]) -> None:
        if proc.stdin is not None:
            with contextlib.suppress(OSError):  # already broken
                proc.stdin.close()

    def stop(self) -> None:
        proc = self.proc
        with self._lock:
            for conn in self._pool:
                conn.close()
            self._pool = []
            self._idle_since.clear()
        if proc is None or proc.poll() is not None:
            return
        self.kill()  # nothing to flush; and a frozen clock must not time a polite wait

    # -- control channel -----------------------------------------------------------------------

    def _read_control(
        self, fd: int, exited: threading.Event, ready: threading.Event, generation: int
    ) -> None:
        # ``exited`` and ``ready`` belong to this start: a reader of a killed process must not
        # signal the events of its successor.
        with os.fdopen(fd, "rb") as stream:
            for raw in stream:
                try:
                    record = json.loads(raw)
                except ValueError:
                    continue
                if not isinstance(record, dict):
                    continue
                kind = record.get("type")
                if kind in ("ready", "fatal") and not ready.is_set():
                    self._ready_record = record
                    ready.set()
                    continue
                call = record.get("call")
                if kind == "idle":
                    # Only the turns of overlapping calls want it, and at once (not with the
                    # call's records): the call waits for a timer while another's request is held.
                    listener = self.on_idle
                    if listener is not None and isinstance(call, str):
                        listener(call)
                    continue
                with self._lock:
                    slot = self._calls.get(call) if isinstance(call, str) else None
                    if slot is None:
                        self._unattributed.append(record)
                        continue
                    if kind == "end":
                        slot.end = record
                        slot.ended.set()
                        slot.done.set()
                    elif kind == "budget":
                        slot.budget = record
                        slot.ended.set()
                        slot.done.set()
                    else:
                        slot.records.append(record)
        exited.set()
        ready.set()
        with self._lock:
            for slot in self._calls.values():
                if slot.generation == generation:
                    slot.ended.set()
                    slot.done.set()

    def _read_stderr(self, stream: Any) -> None:
        with stream:
            for raw in stream:
                self._stderr.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def _stderr_tail(self) -> str:
        lines = [line for line in self._stderr if line.strip()]
        if not lines:
            return ""
        return "\nnode's stderr (last lines):\n  " + "\n  ".join(lines[-20:])

    def unattributed(self) -> list[dict[str, Any]]:
        with self._lock:
            out = list(self._unattributed)
            self._unattributed.clear()
            return out

    # -- calls ---------------------------------------------------------------------------------

    def open_call(self, call_id: str) -> CallRecords:
        slot = CallRecords(generation=self._generation)
        with self._lock:
            self._calls[call_id] = slot
        return slot

    def close_call(self, call_id: str) -> None:
        with self._lock:
            self._calls.pop(call_id, None)

    def exited(self) -> bool:
        return self._exited.is_set()

    def exit_code(self, wait: float = 2.0) -> int | None:
        """The exit code once the process is gone (``None`` if it still runs after ``wait``).

        The control pipe's end says the process is going; until it ends the process runs, and
        no real time is spent polling for an exit code that is not coming."""
        proc = self.proc
        if proc is None:
            return None
        if not self._exited.wait(wait):
            return proc.poll()
        pause = threading.Event()
        for _ in range(int(wait / 0.01)):
            code = proc.poll()
            if code is not None:
                return code
            pause.wait(0.01)  # a real pause, whatever the virtual clock does
        return proc.poll()

    def post(self, headers: Mapping[str, str], body: bytes, *, timeout: float) -> Reply:
        """POST one hook call; the connection is reused when the call ends cleanly.

        A pooled connection the integration's server has closed meanwhile (Node drops an idle
        keep-alive connection after ``server.keepAliveTimeout``, 5 s) is not used: it is
        dropped when it is idle past :data:`POOL_IDLE` or its peer has already hung up, and a
        reused connection that fails while the request is being sent is replaced by a fresh one
        (the server never read that request). Without this, a hook call after a pause got no
        answer (``BrokenPipeError``) from a running integration."""
        conn = self._pooled()
        fresh = conn is None
        if conn is None:
            conn = _LoopbackConnection("127.0.0.1", self.port, timeout=timeout)
        else:
            conn.timeout = timeout
            if conn.sock is not None:
                conn.sock.settimeout(timeout)
        t0 = real_monotonic()
        try:
            try:
                conn.request("POST", "/", body=body, headers=dict(headers))
            except OSError:
                if fresh:
                    raise
                conn.close()  # a stale keep-alive connection: the request never left
                conn = _LoopbackConnection("127.0.0.1", self.port, timeout=timeout)
                conn.request("POST", "/", body=body, headers=dict(headers))
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            return Reply(0, None, f"{type(exc).__name__}: {exc}", real_monotonic() - t0)
        wall = real_monotonic() - t0
        if response.will_close:
            conn.close()
        else:
            with self._lock:
                self._pool.append(conn)
                self._idle_since[id(conn)] = real_monotonic()
        parsed: Any
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data.decode("utf-8", "replace")
        return Reply(response.status, parsed, None, wall)

    def _pooled(self) -> _LoopbackConnection | None:
        """The most recently used pooled connection that is still open, or ``None``."""
        now = real_monotonic()
        while True:
            with self._lock:
                if not self._pool:
                    return None
                conn = self._pool.pop()
                since = self._idle_since.pop(id(conn), now)
            if now - since <= POOL_IDLE and _still_open(conn):
                return conn
            conn.close()


def _still_open(conn: http.client.HTTPConnection) -> bool:
    """Whether an idle keep-alive connection's peer has not hung up (nothing to read yet)."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable  # an idle connection becomes readable only by its peer's close


def _node_address_space() -> None:
    """In the child, before ``exec``: lift the address-space limit (``RLIMIT_AS``) a supervised
    worker runs under to its hard limit. V8 and WebAssembly (undici's HTTP parser, so ``fetch``)
    reserve gigabytes of address space they never touch; under the Python worker's limit Node's
    ``fetch`` fails with a bare ``TypeError``. The worker itself stays limited."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
