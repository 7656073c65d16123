"""The supervisor: runs a job in a worker process and outlives whatever the target does to it.

The worker is a ``fork`` of the calling process (nothing to import again: a few milliseconds) in
a session of its own (a Ctrl-C at the terminal reaches the supervisor, not the target), with
``RLIMIT_AS`` set, standard input closed, standard output and error drained by the supervisor
(a hook that writes or closes them touches only the worker), and, where the system allows it, a
network namespace of its own (``harness.supervise.isolation``).

Two channels lead back:

- a pipe of length-prefixed pickled messages (``found`` violations, progress, output, the job's
  result): what was found so far survives the worker;
- a page of shared memory the worker's :class:`~harness.runtime.watch.Watcher` writes without a
  system call: a heartbeat counter, a hook-call generation (odd while hooks run), and the current
  phase, step and hook calls as JSON. The supervisor reads it on its own clock every 50 ms, so
  its watchdog depends on no signal the target could take over, and after the worker dies it
  still knows which hook of which bot at which step was running.

The worker is stopped (``SIGKILL`` to its process group, which no handler can catch) when a hook
call runs past ``2 * wall_timeout + grace`` seconds, when the heartbeat stands still for
``idle_timeout`` seconds outside hooks, or when the user interrupts the supervisor; it stops
itself (a ``stop`` message) when a hook leaves a non-daemon thread or a child process behind,
runs out of memory, or raises ``KeyboardInterrupt``/``SystemExit``. An exit or a signal without
a result is a stop too. Every stop becomes a :class:`Stop` naming the cause, the hook, the bot
and the step.
"""

from __future__ import annotations

import json
import mmap
import os
import pickle
import resource
import select
import signal
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from harness.runtime import watch
from harness.supervise import isolation as iso

DEFAULT_MEMORY_MB = 4096
"""Address space a worker may map (``RLIMIT_AS``), in MiB. A check needs a few hundred."""

DEFAULT_IDLE_SECONDS = 120.0
"""Seconds without a heartbeat (a step, a hook call, a message) outside hooks before the worker
counts as stuck in the harness itself."""

OUTPUT_LIMIT = 16 * 1024  # bytes of the worker's own stdout/stderr kept for the report
TEXT_LIMIT = 4096  # characters of a cause or a step kept
_PAGE = 64 * 1024
_HEADER = struct.Struct("<QQQdI")  # seq, heartbeat, hook generation, wall timeout, text length
_POLL = 0.05


@dataclass(frozen=True)
class Limits:
    """What the supervisor allows a worker."""

    wall_timeout: float = (
        10.0  # the in-process watchdog's hook limit (``Options.hook_wall_seconds``)
    )
    grace: float = 1.0  # the supervisor kills at 2 * wall_timeout + grace
    idle_timeout: float = DEFAULT_IDLE_SECONDS
    memory_mb: int | None = DEFAULT_MEMORY_MB
    isolation: str = "auto"  # "auto" (namespace where possible) | "namespace" | "guard"

    @property
    def hook_limit(self) -> float:
        return 2 * self.wall_timeout + self.grace


@dataclass(frozen=True)
class Stop:
    """Why the worker was stopped, and what it was doing."""

    # exit | signal | hang | silent | memory | threads | children | interrupt (Ctrl-C) |
    # hook-interrupt (a hook raised KeyboardInterrupt) | error (the harness failed)
    kind: str
    cause: str
    hooks: tuple[tuple[str, str], ...] = ()  # (operation, bot) of the last hook calls
    running: bool = True  # the hooks were still running (else the stop came after them)
    step: str | None = None  # "3. register bot=bot1"
    steps: tuple[str, ...] = ()  # the lifecycle so far, the last one the step above
    phase: str | None = None

    @property
    def hook(self) -> str | None:
        return ", ".join(op for op, _ in self.hooks) or None

    @property
    def bot(self) -> str | None:
        return ", ".join(bot for _, bot in self.hooks) or None

    def describe(self) -> str:
        """One line: ``register of bot1 at step 2 (register bot=bot1): <cause>``."""
        if self.hooks:
            where = ", ".join(f"{op} of {bot}" for op, bot in self.hooks)
            if not self.running:
                where = f"after {where}"
        else:
            where = "the harness (no hook was running)"
        if self.step is not None:
            where += f" at step {self.step}"
        if self.phase:
            where += f" [{self.phase}]"
        return f"{where}: {self.cause}"

    def to_data(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "cause": self.cause,
            "hook": self.hook,
            "bot": self.bot,
            "step": self.step,
            "steps": list(self.steps),
            "phase": self.phase,
            "running": self.running,
            "text": self.describe(),
        }


@dataclass
class Outcome:
    """What came back from a supervised job."""

    result: Any = None
    stop: Stop | None = None
    messages: list[tuple[str, Any]] = field(default_factory=list)
    isolation: str = iso.GUARD_ONLY
    start_rss_kb: int | None = None  # the worker's VmRSS before the job started
    peak_rss_kb: int | None = None  # the worker's VmHWM just before it ended
    output: str = ""  # the worker's own stdout/stderr (bounded), normally empty
    exit_status: int | None = None


Job = Callable[["Channel"], Any]

_isolation: str | None = None
_watcher: StatusWatcher | None = None


def escape_attempts() -> list[str]:
    """The escape attempts the worker this code runs in has seen so far (in-process: none
    beyond what the socket guard records)."""
    return list(_watcher.escapes) if _watcher is not None else []


def current_isolation() -> str:
    """The isolation of the worker this code runs in (in-process: the socket guard only)."""
    return _isolation if _isolation is not None else iso.GUARD_ONLY


OnMessage = Callable[[str, Any], None]


def bounded(text: str, limit: int = TEXT_LIMIT) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"... [truncated: {len(text) - limit} more characters]"


# -- worker side ---------------------------------------------------------------------------------


class Channel:
    """The worker's end: messages to the supervisor, and the status page."""

    def __init__(self, fd: int, page: mmap.mmap) -> None:
        self._fd = fd
        self._page = page
        self._lock = threading.Lock()
        self._seq = 0
        self._beat = 0
        self._gen = 0
        self._wall = 0.0
        self.isolation = iso.GUARD_ONLY

    def send(self, kind: str, payload: Any = None) -> None:
        try:
            data = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            data = pickle.dumps(("unpicklable", f"{kind}: {type(exc).__name__}"))
        frame = struct.pack("<I", len(data)) + data
        with self._lock:
            view = memoryview(frame)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        self.beat()

    def beat(self) -> None:
        self._beat += 1
        self._page[8:16] = struct.pack("<Q", self._beat)

    def status(self, *, gen_step: int, wall: float, info: dict[str, Any]) -> None:
        """Publish a new hook generation and the JSON status (seqlock: odd while writing)."""
        text = json.dumps(info).encode("utf-8", "replace")[: _PAGE - _HEADER.size]
        self._gen += gen_step
        self._beat += 1
        self._seq += 1
        self._page[0:8] = struct.pack("<Q", self._seq)
        self._page[_HEADER.size : _HEADER.size + len(text)] = text
        self._page[8 : _HEADER.size] = struct.pack("<QQdI", self._beat, self._gen, wall, len(text))
        self._seq += 1
        self._page[0:8] = struct.pack("<Q", self._seq)


_POOL_THREADS = ("asyncio_", "ThreadPoolExecutor", "AnyIO worker thread")


def _user_threads() -> set[threading.Thread]:
    """Non-daemon threads besides the main one (pool workers of asyncio/anyio are reused)."""
    main = threading.main_thread()
    return {
        t
        for t in threading.enumerate()
        if t is not main and not t.daemon and t.is_alive() and not t.name.startswith(_POOL_THREADS)
    }


def _children() -> set[int]:
    found: set[int] = set()
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/self/task/{tid}/children", encoding="ascii") as f:
                found.update(int(p) for p in f.read().split())
        except OSError:
            continue
    return found


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            text = f.read(200).replace(b"\0", b" ").decode("utf-8", "replace").strip()
            return text or "exited, not reaped"
    except OSError:
        return "?"


class WorkerStop(BaseException):
    """Raised in the worker to end the job; carries the stop (sent before the worker exits)."""

    def __init__(self, kind: str, cause: str) -> None:
        super().__init__(cause)
        self.kind = kind
        self.cause = cause


class StatusWatcher:
    """The worker's :class:`~harness.runtime.watch.Watcher`: status page, leftovers check."""

    def __init__(
        self,
        channel: Channel,
        memory_mb: int | None,
        *,
        count: bool = False,
        tap: iso.EscapeTap | None = None,
    ) -> None:
        self.channel = channel
        self.count = count  # read the namespace's escape counters around hook calls
        self.tap = tap  # and where the attempts went, where the namespace could be tapped
        self.net = iso.counters() if count else {}
        self.escapes: list[str] = []
        self.memory_mb = memory_mb
        self.steps: list[tuple[int, Callable[[], str]]] = []
        self.described: dict[int, str] = {}
        self.phase_name: str | None = None
        self.threads: set[threading.Thread] = set()
        self.children: set[int] = set()
        self.calls: list[tuple[str, str]] = []

    def step(self, index: int, describe: Callable[[], str]) -> None:
        if index == 0:
            self.steps.clear()
            self.described.clear()
        self.steps.append((index, describe))
        if len(self.steps) > 50:
            del self.steps[0]
        self.channel.beat()

    def _step_texts(self) -> list[str]:
        texts = []
        for index, describe in self.steps:
            text = self.described.get(index)
            if text is None:
                text = self.described[index] = bounded(describe(), 300)
            texts.append(f"{index + 1}. {text}")
        return texts

    def hooks_started(self, calls: Sequence[tuple[str, str]], wall_timeout: float) -> None:
        self.calls = [(str(op), str(bot)) for op, bot in calls]
        self.threads = _user_threads()
        self.children = _children()
        if self.count:
            self._escapes("outside any hook call (a thread or child process left running)")
        info = {"hooks": self.calls, "steps": self._step_texts(), "phase": self.phase_name}
        self.channel.status(gen_step=1, wall=wall_timeout, info=info)

    def hooks_ended(self, errors: Sequence[BaseException | None]) -> None:
        steps = self._step_texts()
        info = {"hooks": self.calls, "steps": steps, "phase": self.phase_name}
        self.channel.status(gen_step=1, wall=0.0, info=info)
        if self.count:
            where = ", ".join(f"{op} of {bot}" for op, bot in self.calls)
            if steps:
                number, _, text = steps[-1].partition(". ")
                where += f" at step {number} ({text})"
            self._escapes(where)
        for error in errors:
            if isinstance(error, MemoryError):
                limit = f" (limit {self.memory_mb} MiB)" if self.memory_mb else ""
                raise WorkerStop("memory", f"the hook ran out of memory{limit}: MemoryError")
        threads = _user_threads() - self.threads
        children = _children() - self.children - watch.owned_children()
        deadline = time.monotonic() + 0.2
        while (threads or children) and time.monotonic() < deadline:
            time.sleep(0.01)
            threads = {t for t in threads if t.is_alive()}
            children = children & _children()
        if threads:
            names = ", ".join(sorted(repr(t.name) for t in threads)[:5])
            raise WorkerStop(
                "threads",
                f"the hook left {len(threads)} non-daemon thread(s) running: {names}",
            )
        if children:
            listed = ", ".join(f"{pid} ({_cmdline(pid)})" for pid in sorted(children)[:5])
            raise WorkerStop(
                "children", f"the hook left {len(children)} child process(es) behind: {listed}"
            )

    def _escapes(self, where: str) -> None:
        now = iso.counters()
        if self.tap is not None:
            # The tap names the refusals; the counters are left only what it cannot see.
            routed = {k: v for k, v in now.items() if "NoRoutes" in k}
            texts = [
                iso.describe_attempts(self.tap.read()),
                iso.describe_escapes(self.net, routed),
            ]
            text = "; ".join(t for t in texts if t) or None
        else:
            text = iso.describe_escapes(self.net, now)
        self.net = now
        if text is not None and len(self.escapes) < 100:
            line = f"{where}: {text} (contained)"
            self.escapes.append(line)
            self.channel.send("escape", line)

    def finish(self) -> None:
        """After the job: what threads or children tried after the last hook call."""
        if self.count:
            time.sleep(0.05)
            self._escapes("after the last hook call (a thread or child process left running)")

    def phase(self, name: str) -> None:
        self.phase_name = bounded(name, 200)
        info = {"hooks": [], "steps": [], "phase": self.phase_name}
        self.channel.status(gen_step=0, wall=0.0, info=info)


def _redirect_output(fd: int) -> None:
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(fd, 1)
    os.dup2(fd, 2)


def _worker_main(
    job: Job,
    limits: Limits,
    msg_fd: int,
    out_fd: int,
    page: mmap.mmap,
    env: dict[str, str],
) -> int:
    ballast = bytearray(2 * 1024 * 1024)  # freed to report a MemoryError
    channel = Channel(msg_fd, page)
    os.setsid()
    isolation = iso.GUARD_ONLY
    tap: iso.EscapeTap | None = None
    if limits.isolation != "guard":
        try:
            iso.enter_network_namespace()
            isolation = iso.NAMESPACE
            tap = iso.open_escape_tap()
        except OSError as exc:
            if limits.isolation == "namespace":
                channel.send("stop", ("error", f"cannot enter a network namespace: {exc}"))
                return 3
    if isolation == iso.GUARD_ONLY:
        os.environ.update(env)
    channel.isolation = isolation
    global _isolation
    _isolation = isolation
    channel.send("isolation", isolation)
    _redirect_output(out_fd)
    if limits.memory_mb:
        # Counted from what the worker starts with: it is a fork of the command, so its address
        # space is already the harness's own (a pytest process that ran a few hundred tests and
        # started threads reserves far more than 512 MiB; an absolute limit would leave a hook
        # there no room for a thread's stack).
        size = ((_rss_kb(os.getpid(), "VmSize:") or 0) * 1024) + limits.memory_mb * 1024 * 1024
        # The soft limit only: the hard one stays, so the Node target's runtime (which reserves
        # far more address space than it uses) may lift it in its own process.
        resource.setrlimit(resource.RLIMIT_AS, (size, resource.getrlimit(resource.RLIMIT_AS)[1]))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor handles Ctrl-C
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    watcher = StatusWatcher(channel, limits.memory_mb, count=isolation == iso.NAMESPACE, tap=tap)
    global _watcher
    _watcher = watcher
    channel.send("rss", _rss_kb(os.getpid(), "VmRSS:"))
    try:
        with watch.watching(watcher):
            result = job(channel)
            watcher.finish()
        channel.send("peak", _rss_kb(os.getpid(), "VmHWM:"))
        channel.send("result", result)
        return 0
    except WorkerStop as stop:
        channel.send("stop", (stop.kind, stop.cause))
    except MemoryError:
        del ballast
        limit = f" (limit {limits.memory_mb} MiB)" if limits.memory_mb else ""
        channel.send("stop", ("memory", f"the worker ran out of memory{limit}: MemoryError"))
    except KeyboardInterrupt:
        channel.send("stop", ("hook-interrupt", "the hook raised KeyboardInterrupt"))
    except SystemExit as exc:
        channel.send("stop", ("exit", f"the hook raised SystemExit({_safe(exc.code)})"))
    except BaseException as exc:
        channel.send("stop", ("error", f"the harness failed: {_safe_exc(exc)}"))
    return 1


def _safe(value: object) -> str:
    try:
        return bounded(repr(value), 200)
    except Exception:
        return f"<{type(value).__name__}>"


def _safe_exc(exc: BaseException) -> str:
    try:
        text = bounded(str(exc), 500)
    except Exception:
        text = "<str() failed>"
    return f"{type(exc).__name__}: {text}"


# -- supervisor side -----------------------------------------------------------------------------


def _read_status(page: mmap.mmap) -> tuple[int, int, float, dict[str, Any]]:
    for _ in range(100):
        seq1 = struct.unpack("<Q", page[0:8])[0]
        if seq1 % 2:
            continue
        _, beat, gen, wall, length = _HEADER.unpack(page[0 : _HEADER.size])
        raw = page[_HEADER.size : _HEADER.size + min(length, _PAGE - _HEADER.size)]
        if struct.unpack("<Q", page[0:8])[0] == seq1:
            try:
                info = json.loads(raw.decode("utf-8", "replace")) if raw else {}
            except ValueError:
                info = {}
            return beat, gen, wall, info if isinstance(info, dict) else {}
    return 0, 0, 0.0, {}


def _peak_rss_kb(pid: int) -> int | None:
    return _rss_kb(pid, "VmHWM:")


def _rss_kb(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _kill_tree(pid: int) -> None:
    """SIGKILL the worker's process group and every descendant still known by /proc."""
    pending = [pid]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            tasks = []
        for tid in tasks:
            try:
                with open(f"/proc/{current}/task/{tid}/children", encoding="ascii") as f:
                    pending.extend(int(p) for p in f.read().split())
            except OSError:
                continue
    for target in seen:
        with suppress(OSError):
            os.kill(target, signal.SIGKILL)
    with suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


@contextmanager
def _pipes() -> Iterator[tuple[int, int, int, int]]:
    msg_r, msg_w = os.pipe()
    out_r, out_w = os.pipe()
    try:
        yield msg_r, msg_w, out_r, out_w
    finally:
        for fd in (msg_r, msg_w, out_r, out_w):
            with suppress(OSError):
                os.close(fd)


def supervise(
    job: Job, *, limits: Limits | None = None, on_message: OnMessage | None = None
) -> Outcome:
    """Run ``job(channel)`` in a supervised worker; see the module docstring.

    ``on_message(kind, payload)`` hears every message as it arrives (``result`` excepted);
    all but ``out``/``err``/``progress`` are also kept in ``Outcome.messages``.
    """
    limits = limits if limits is not None else Limits()
    refusing = iso.refusing_port()
    env = iso.proxy_environment(refusing.getsockname()[1])
    page = mmap.mmap(-1, _PAGE, flags=mmap.MAP_SHARED)
    outcome = Outcome()
    try:
        with _pipes() as (msg_r, msg_w, out_r, out_w):
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # the worker
                code = 1
                try:
                    os.close(msg_r)
                    os.close(out_r)
                    refusing.close()
                    code = _worker_main(job, limits, msg_w, out_w, page, env)
                finally:
                    os._exit(code)
            os.close(msg_w)
            os.close(out_w)
            _Loop(pid, msg_r, out_r, page, limits, outcome, on_message).run()
    finally:
        refusing.close()
        page.close()
    return outcome


class _Loop:
    def __init__(
        self,
        pid: int,
        msg_fd: int,
        out_fd: int,
        page: mmap.mmap,
        limits: Limits,
        outcome: Outcome,
        on_message: OnMessage | None,
    ) -> None:
        self.pid = pid
        self.msg_fd = msg_fd
        self.out_fd = out_fd
        self.page = page
        self.limits = limits
        self.outcome = outcome
        self.on_message = on_message
        self.buffer = bytearray()
        self.output = bytearray()
        self.output_dropped = 0
        self.got_result = False
        self.stop: Stop | None = None
        self.exit_status: int | None = None

    def run(self) -> None:
        open_fds = [self.msg_fd, self.out_fd]
        now = time.monotonic()
        last_beat, beat_at = -1, now
        gen_seen, gen_at = 0, now
        try:
            while True:
                if open_fds:
                    ready, _, _ = select.select(open_fds, [], [], _POLL)
                else:
                    ready = []
                    time.sleep(_POLL)
                for fd in ready:
                    data = self._read(fd)
                    if not data:
                        open_fds.remove(fd)
                    elif fd == self.msg_fd:
                        self._feed(data)
                    else:
                        self._keep_output(data)
                if self.stop is not None or (self.got_result and self.msg_fd not in open_fds):
                    break
                if self.msg_fd not in open_fds and self._reap(block=False):
                    break
                now = time.monotonic()
                beat, gen, _, _ = _read_status(self.page)
                if beat != last_beat:
                    last_beat, beat_at = beat, now
                if gen != gen_seen:
                    gen_seen, gen_at = gen, now
                if gen % 2 and now - gen_at > self.limits.hook_limit:
                    self._halt(
                        "hang",
                        f"hung: no answer in {now - gen_at:.1f} s (limit "
                        f"{self.limits.hook_limit:.1f} s); stopped by the supervisor",
                    )
                    break
                if not gen % 2 and now - beat_at > self.limits.idle_timeout:
                    self._halt(
                        "silent",
                        f"the worker stopped heart-beating for {now - beat_at:.1f} s; stopped "
                        "by the supervisor",
                    )
                    break
        except KeyboardInterrupt:
            self._halt("interrupt", "interrupted (Ctrl-C); stopped by the supervisor")
        finally:
            self._finish(open_fds)

    def _read(self, fd: int) -> bytes:
        try:
            return os.read(fd, 1 << 20)
        except OSError:
            return b""

    def _feed(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= 4:
            (length,) = struct.unpack("<I", self.buffer[:4])
            if len(self.buffer) < 4 + length:
                return
            frame = bytes(self.buffer[4 : 4 + length])
            del self.buffer[: 4 + length]
            try:
                kind, payload = pickle.loads(frame)
            except Exception:
                continue
            self._message(kind, payload)

    def _message(self, kind: str, payload: Any) -> None:
        if kind == "result":
            self.outcome.result = payload
            self.got_result = True
            return
        if kind == "peak":
            self.outcome.peak_rss_kb = payload if isinstance(payload, int) else None
            return
        if kind == "rss":
            self.outcome.start_rss_kb = payload if isinstance(payload, int) else None
            return
        if kind == "isolation":
            self.outcome.isolation = str(payload)
            return
        if kind == "stop":
            stop_kind, cause = payload
            self.stop = self._stop(str(stop_kind), bounded(str(cause)))
            return
        if kind not in ("out", "err", "progress"):
            self.outcome.messages.append((kind, payload))
        if self.on_message is not None:
            self.on_message(kind, payload)

    def _keep_output(self, data: bytes) -> None:
        room = OUTPUT_LIMIT - len(self.output)
        self.output += data[: max(room, 0)]
        self.output_dropped += max(len(data) - max(room, 0), 0)

    def _stop(self, kind: str, cause: str) -> Stop:
        _, _, _, info = _read_status(self.page)
        hooks = tuple(
            (str(h[0]), str(h[1]))
            for h in info.get("hooks", [])
            if isinstance(h, list) and len(h) == 2
        )
        steps = tuple(str(s) for s in info.get("steps", []))
        _, gen, _, _ = _read_status(self.page)
        phase = info.get("phase")
        step = None
        if steps:
            number, _, text = steps[-1].partition(". ")
            step = f"{number} ({text})"
        return Stop(
            kind=kind,
            cause=cause,
            hooks=hooks,
            running=bool(gen % 2) or kind == "hang",
            step=step,
            steps=steps,
            phase=str(phase) if phase else None,
        )

    def _halt(self, kind: str, cause: str) -> None:
        self.outcome.peak_rss_kb = _peak_rss_kb(self.pid)
        self.stop = self._stop(kind, cause)
        _kill_tree(self.pid)

    def _reap(self, *, block: bool) -> bool:
        if self.exit_status is not None:
            return True
        try:
            pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            self.exit_status = -1
            return True
        if pid == 0:
            return False
        self.exit_status = status
        return True

    def _finish(self, open_fds: list[int]) -> None:
        if self.outcome.peak_rss_kb is None:
            self.outcome.peak_rss_kb = _peak_rss_kb(self.pid)
        if self.got_result and self.stop is None:
            # Give the worker a moment to exit by itself, then make sure nothing is left.
            deadline = time.monotonic() + 2.0
            while not self._reap(block=False) and time.monotonic() < deadline:
                time.sleep(0.005)
        _kill_tree(self.pid)
        self._reap(block=True)
        # Whatever is still in the pipes (the worker is gone: reads end).
        for fd in list(open_fds):
            while True:
                ready, _, _ = select.select([fd], [], [], 0)
                data = self._read(fd) if ready else b""
                if not data:
                    break
                if fd == self.msg_fd:
                    self._feed(data)
                else:
                    self._keep_output(data)
        if self.stop is None and not self.got_result:
            status = self.exit_status if self.exit_status is not None else -1
            if status >= 0 and os.WIFSIGNALED(status):
                sig = os.WTERMSIG(status)
                kind, cause = "signal", f"the worker was killed by {_signal_name(sig)}"
                if sig == signal.SIGKILL and self.limits.memory_mb:
                    cause += " (out of memory?)"
            elif status >= 0 and os.WIFEXITED(status):
                kind, cause = "exit", f"the worker exited with code {os.WEXITSTATUS(status)}"
            else:
                kind, cause = "exit", "the worker ended without a result"
            self.stop = self._stop(kind, cause)
        self.outcome.stop = self.stop
        self.outcome.exit_status = self.exit_status
        text = self.output.decode("utf-8", "replace")
        if self.output_dropped:
            text += f"\n... [truncated: {self.output_dropped} more bytes]"
        self.outcome.output = text
