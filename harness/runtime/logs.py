"""The platform logger: :class:`PlatformLogger` writes :class:`LogRecord` s into a
:class:`LogSink`; records logged through stdlib ``logging`` during a hook are captured too."""

from __future__ import annotations

import contextvars
import datetime as _dt
import logging
import os
import sys
import sysconfig
import threading
import traceback
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import IO, Any, Literal, TextIO, TypeAlias

from harness.runtime.clock import Clock

# --------------------------------------------------------------------------------------------
# Logging
# --------------------------------------------------------------------------------------------

Level = Literal["debug", "info", "warn", "error"]
LEVELS: dict[str, int] = {"debug": 10, "info": 20, "warn": 30, "error": 40}
LogSource = Literal["platform", "stdlib", "runtime", "console"]


def level_at_least(level: str, floor: str) -> bool:
    """Whether ``level`` is ``floor`` or more severe (``"warning"`` is ``"warn"``)."""
    return LEVELS[_norm_level(level)] >= LEVELS[_norm_level(floor)]


def _norm_level(level: str) -> str:
    return "warn" if level == "warning" else level


@dataclass(frozen=True)
class LogScope:
    """Who sees a record, as the SDK's logger options say (integration-logger.ts)."""

    visible_to_bot_owner: bool = False  # for_bot()
    hidden_to_integration_owner: bool = False  # for_bot_only()
    user_id: str | None = None
    conversation_id: str | None = None


@dataclass(frozen=True)
class LogRecord:
    """One log line of a hook call."""

    level: str  # "debug" | "info" | "warn" | "error"
    message: str
    scope: LogScope
    exc_text: str | None = None  # formatted traceback (exception(), exc_info, escaped errors)
    source: str = "platform"  # "platform" | "stdlib" | "runtime" | "console"
    bot_id: str | None = None
    logger_name: str | None = None  # the stdlib logger's name for source="stdlib"
    time: _dt.datetime | None = None
    library: bool = False  # source="stdlib" from installed code (site-packages, stdlib)

    def text(self) -> str:
        """Message and traceback together (what a secret scan must read)."""
        return self.message if not self.exc_text else f"{self.message}\n{self.exc_text}"


TEXT_LIMIT = 8192
"""Characters of a log message or traceback kept as evidence; the rest is cut with a marker
(a hook logging 200 MB must not make the harness hold it, nor write it into reports)."""


def bounded_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text`` cut to ``limit`` characters with a marker saying how much was dropped."""
    if len(text) <= limit:
        return text
    return (
        text[:limit] + f"... [truncated by lifecycle-harness: {len(text) - limit} more characters]"
    )


class LogSink:
    """Where a run's log records go. Thread-safe appends."""

    def __init__(self, *, clock: Clock | None = None) -> None:
        self.records: list[LogRecord] = []
        self.clock = clock
        self._lock = threading.Lock()

    def emit(self, record: LogRecord) -> None:
        if record.time is None and self.clock is not None:
            record = replace(record, time=self.clock.now())
        if len(record.message) > TEXT_LIMIT or len(record.exc_text or "") > TEXT_LIMIT:
            record = replace(
                record,
                message=bounded_text(record.message),
                exc_text=None if record.exc_text is None else bounded_text(record.exc_text),
            )
        with self._lock:
            self.records.append(record)

    def mark(self) -> int:
        """A position; :meth:`since` returns the records appended after it."""
        return len(self.records)

    def since(self, mark: int) -> list[LogRecord]:
        return self.records[mark:]

    def for_bot(self, bot_id: str) -> list[LogRecord]:
        return [r for r in self.records if r.bot_id == bot_id]

    def clear(self) -> None:
        with self._lock:
            self.records.clear()


ExcInfo: TypeAlias = (
    bool
    | BaseException
    | tuple[type[BaseException], BaseException, TracebackType | None]
    | tuple[None, None, None]
    | None
)


class PlatformLogger:
    """The platform logger handed to hooks (``IntegrationLogger`` of the SDK).

    Messages are formatted like the stdlib (``"%s", arg``); like Node's ``util.format``, which
    the platform uses, arguments left over (no placeholder for them) are appended, separated by
    spaces. Formatting never raises: a bad format string is logged as is, arguments appended.
    """

    def __init__(self, sink: LogSink, *, bot_id: str, scope: LogScope | None = None) -> None:
        self.sink = sink
        self.bot_id = bot_id
        self.scope = scope or LogScope()

    def _with(self, **changes: Any) -> PlatformLogger:
        return PlatformLogger(self.sink, bot_id=self.bot_id, scope=replace(self.scope, **changes))

    # scoping ----------------------------------------------------------------------------------

    def for_bot(self) -> PlatformLogger:
        """Visible to the bot owner (and the integration owner)."""
        return self._with(visible_to_bot_owner=True)

    def for_bot_only(self) -> PlatformLogger:
        """Visible to the bot owner only."""
        return self._with(visible_to_bot_owner=True, hidden_to_integration_owner=True)

    def with_user_id(self, user_id: str) -> PlatformLogger:
        return self._with(user_id=user_id)

    def with_conversation_id(self, conversation_id: str) -> PlatformLogger:
        return self._with(conversation_id=conversation_id)

    def with_visible_to_bot_owners(self, visible: bool) -> PlatformLogger:
        return self._with(visible_to_bot_owner=visible)

    def with_hidden_to_integration_owners(self, hidden: bool) -> PlatformLogger:
        return self._with(hidden_to_integration_owner=hidden)

    # levels -----------------------------------------------------------------------------------

    def debug(self, msg: object, *args: object, exc_info: ExcInfo = None) -> None:
        self._log("debug", msg, args, exc_info)

    def info(self, msg: object, *args: object, exc_info: ExcInfo = None) -> None:
        self._log("info", msg, args, exc_info)

    def warn(self, msg: object, *args: object, exc_info: ExcInfo = None) -> None:
        self._log("warn", msg, args, exc_info)

    warning = warn

    def error(self, msg: object, *args: object, exc_info: ExcInfo = None) -> None:
        self._log("error", msg, args, exc_info)

    def exception(self, msg: object, *args: object, exc_info: ExcInfo = True) -> None:
        """``error`` with the traceback of the exception being handled, as in the stdlib."""
        self._log("error", msg, args, exc_info)

    def _log(self, level: str, msg: object, args: tuple[object, ...], exc_info: ExcInfo) -> None:
        self.sink.emit(
            LogRecord(
                level=level,
                message=format_message(msg, args),
                scope=self.scope,
                exc_text=_exc_text(exc_info),
                source="platform",
                bot_id=self.bot_id,
            )
        )


def format_message(msg: object, args: tuple[object, ...]) -> str:
    """stdlib ``%`` formatting; leftover arguments appended like Node's ``util.format``."""
    if not args:
        return str(msg)
    if not isinstance(msg, str):
        return " ".join(_arg_text(a) for a in (msg, *args))
    if len(args) == 1 and isinstance(args[0], Mapping) and args[0]:
        # The stdlib's rule: a single non-empty mapping feeds "%(name)s" placeholders.
        try:
            return msg % args[0]
        except (TypeError, ValueError, KeyError):
            pass
    for used in range(len(args), -1, -1):
        try:
            head = msg % args[:used] if used else _no_placeholders(msg)
        except (TypeError, ValueError, KeyError):
            continue
        rest = args[used:]
        return " ".join([head, *(_arg_text(a) for a in rest)])
    return " ".join([msg, *(_arg_text(a) for a in args)])


def _no_placeholders(msg: str) -> str:
    # Raise if msg has a placeholder that needs an argument (so the caller tries more args);
    # "%%" alone still formats to "%", as util.format does.
    return msg % ()


def _arg_text(arg: object) -> str:
    if isinstance(arg, str):
        return arg
    if isinstance(arg, BaseException):
        # util.inspect(err) prints the stack; the closest Python rendering is the traceback.
        return "".join(traceback.format_exception(arg)).rstrip()
    return repr(arg)


def _exc_text(exc_info: ExcInfo) -> str | None:
    if not exc_info:
        return None
    if isinstance(exc_info, BaseException):
        return "".join(traceback.format_exception(exc_info)).rstrip()
    if isinstance(exc_info, tuple):
        if exc_info[1] is None:
            return None
        return "".join(traceback.format_exception(exc_info[1])).rstrip()
    current = sys.exc_info()[1]
    if current is None:
        return None
    return "".join(traceback.format_exception(current)).rstrip()


# --------------------------------------------------------------------------------------------
# stdlib logging capture
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CaptureTarget:
    sink: LogSink
    bot_id: str
    pending: dict[str, list[str]] = field(default_factory=dict)  # console stream -> partial line


_capture_target: contextvars.ContextVar[_CaptureTarget | None] = contextvars.ContextVar(
    "lifecycle_harness_log_capture", default=None
)


IGNORED_LOGGERS: frozenset[str] = frozenset(
    {"httpx", "httpcore", "hpack", "h11", "h2", "asyncio", "hypothesis", "respx"}
)
"""Loggers whose records are not captured: the HTTP stack (httpx logs every request at info,
which would read as the integration's own words) and the harness's machinery. Matched on the
top-level name (``"httpx"`` also drops ``"httpx._client"``, not ``"httpx_retry"``)."""


CAPTURED_MARK = "(captured by lifecycle-harness as a log record of the hook call)"
"""What other logging handlers see instead of a record a hook logged during a run."""


_LIBRARY_ROOTS: tuple[str, ...] = tuple(
    sorted(
        {
            os.path.realpath(path) + os.sep
            for name in ("purelib", "platlib", "stdlib", "platstdlib")
            if (path := sysconfig.get_paths().get(name))
        }
    )
)
_library_paths: dict[str, bool] = {}


def is_library_path(pathname: str) -> bool:
    """Whether a log record's source file is installed code (site-packages or the standard
    library) rather than the integration's own: a third-party library's record."""
    known = _library_paths.get(pathname)
    if known is None:
        real = os.path.realpath(pathname)
        known = real.startswith(_LIBRARY_ROOTS)
        if len(_library_paths) < 4096:
            _library_paths[pathname] = known
    return known


class _RoutingHandler(logging.Handler):
    """Sends a record to the sink of the hook call whose context logged it."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        target = _capture_target.get()
        if target is None or record.name.partition(".")[0] in IGNORED_LOGGERS:
            return
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format in the integration must not break the run
            message = f"{record.msg!s} {record.args!r}"
        exc_text = None
        if record.exc_info and record.exc_info[1] is not None:
            exc_text = self._formatter.formatException(record.exc_info)
        if record.stack_info:
            exc_text = f"{exc_text}\n{record.stack_info}" if exc_text else record.stack_info
        level = (
            "error"
            if record.levelno >= logging.ERROR
            else "warn"
            if record.levelno >= logging.WARNING
            else "info"
            if record.levelno >= logging.INFO
            else "debug"
        )
        target.sink.emit(
            LogRecord(
                level=level,
                message=message,
                scope=LogScope(),
                exc_text=exc_text,
                source="stdlib",
                bot_id=target.bot_id,
                logger_name=record.name,
                library=is_library_path(record.pathname),
            )
        )
        # The record is the hook's now (judged and redacted in reports); the handlers after this
        # one (a test runner's log capture, the terminal) must not print its raw text, which may
        # carry a secret.
        record.msg = CAPTURED_MARK
        record.args = None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None


CONSOLE_LEVELS: dict[str, str] = {"stdout": "info", "stderr": "error", "warnings": "warn"}
"""The level a hook's console output gets as a log record: ``print`` (stdout), writes to
``sys.stderr`` and ``warnings.warn``. The platform captures an integration's console output into
its logs (the SDK logger itself is ``util.format`` then ``console.*``; with
``BP_LOG_FORMAT=json`` debug/info go to stdout and warn/error to stderr: @botpress/sdk 5.4.3's own sources, https://github.com/botpress/botpress packages/sdk), visible to the integration owner only (no ``forBot``
scope). The level of *plain* console lines is not documented: stdout as ``info`` and stderr as
``error`` is the harness's assumption, unverified; change it with :func:`set_console_levels`."""


def set_console_levels(**levels: str) -> dict[str, str]:
    """Set the levels of ``stdout``, ``stderr`` and ``warnings`` records; returns the old ones."""
    old = dict(CONSOLE_LEVELS)
    for stream, level in levels.items():
        if stream not in CONSOLE_LEVELS:
            raise ValueError(f"unknown console stream {stream!r} (stdout, stderr, warnings)")
        if _norm_level(level) not in LEVELS:
            raise ValueError(f"unknown log level {level!r} (debug, info, warn, error)")
        CONSOLE_LEVELS[stream] = _norm_level(level)
    return old


def _console_record(target: _CaptureTarget, stream: str, message: str) -> None:
    target.sink.emit(
        LogRecord(
            level=CONSOLE_LEVELS[stream],
            message=message,
            scope=LogScope(),
            source="console",
            bot_id=target.bot_id,
            logger_name=stream,
        )
    )


class _ConsoleRouter:
    """Stands in for ``sys.stdout`` / ``sys.stderr`` while routing is open: text written in a
    hook's context becomes log records (one per line), anything else goes to the real stream."""

    def __init__(self, stream: str, real: TextIO) -> None:
        self._stream = stream
        self._real = real

    def write(self, text: str) -> int:
        target = _capture_target.get()
        if target is None:
            return self._real.write(text)
        text = str(text)
        pending = target.pending.setdefault(self._stream, [])
        *lines, rest = text.split("\n")
        for line in lines:
            pending.append(line)
            _console_record(target, self._stream, "".join(pending))
            pending.clear()
        if rest:
            pending.append(rest)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if _capture_target.get() is None:
            self._real.flush()

    def close(self) -> None:
        """A hook closing the console closes nothing of the harness's."""

    @property
    def closed(self) -> bool:
        return False

    def isatty(self) -> bool:
        return False if _capture_target.get() is not None else self._real.isatty()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _flush_console(target: _CaptureTarget) -> None:
    for stream, pending in target.pending.items():
        if pending:
            _console_record(target, stream, "".join(pending))
            pending.clear()


def _showwarning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: IO[str] | None = None,
    line: str | None = None,
) -> None:
    target = _capture_target.get()
    if target is None:
        _StdlibCapture.saved_showwarning(message, category, filename, lineno, file, line)
        return
    text = warnings.formatwarning(message, category, filename, lineno, line).rstrip("\n")
    _console_record(target, "warnings", text)


class _StdlibCapture:
    """Installs one routing handler on the root logger while any capture is open."""

    lock = threading.Lock()
    depth = 0
    handler: _RoutingHandler | None = None
    saved_level = logging.WARNING
    saved_streams: tuple[Any, Any] | None = None
    saved_showwarning: Any = staticmethod(warnings.showwarning)
    warning_filters: Any = None


def _open_console() -> None:
    state = _StdlibCapture
    state.saved_streams = (sys.stdout, sys.stderr)
    sys.stdout = _ConsoleRouter("stdout", sys.stdout)
    sys.stderr = _ConsoleRouter("stderr", sys.stderr)
    # Every warning a hook raises is shown (and so recorded) every time: "once per location"
    # would make a run depend on the ones before it in the same process.
    state.warning_filters = warnings.catch_warnings()
    state.warning_filters.__enter__()
    warnings.simplefilter("always")
    state.saved_showwarning = warnings.showwarning
    warnings.showwarning = _showwarning


def _close_console() -> None:
    state = _StdlibCapture
    if state.saved_streams is not None:
        out, err = state.saved_streams
        # Put the real streams back unless someone (pytest's capture) replaced ours meanwhile.
        if isinstance(sys.stdout, _ConsoleRouter):
            sys.stdout = out
        if isinstance(sys.stderr, _ConsoleRouter):
            sys.stderr = err
        state.saved_streams = None
    if state.warning_filters is not None:
        state.warning_filters.__exit__(None, None, None)
        state.warning_filters = None


@contextmanager
def stdlib_log_routing(*, level: int = logging.DEBUG) -> Iterator[None]:
    """Install the routing handler (and lower the root logger to ``level``) while open.

    :func:`capture_stdlib_logs` does this itself; holding it open around a whole run saves
    re-installing per hook call (``Logger.setLevel`` clears every logger's cache). Reentrant.
    While open, ``sys.stdout``, ``sys.stderr`` and ``warnings.showwarning`` are routed too: what
    a hook prints or warns becomes a log record (``CONSOLE_LEVELS``); outside hooks they pass
    through.
    """
    state = _StdlibCapture
    root = logging.getLogger()
    with state.lock:
        if state.depth == 0:
            state.handler = _RoutingHandler()
            state.saved_level = root.level
            root.addHandler(state.handler)
            # First, so that it captures a hook's record before any other handler prints it.
            root.handlers.remove(state.handler)
            root.handlers.insert(0, state.handler)
            if root.level == logging.NOTSET or root.level > level:
                root.setLevel(level)
            _open_console()
        state.depth += 1
    try:
        yield
    finally:
        with state.lock:
            state.depth -= 1
            if state.depth == 0 and state.handler is not None:
                root.removeHandler(state.handler)
                if root.level != state.saved_level:
                    root.setLevel(state.saved_level)
                state.handler = None
                _close_console()


@contextmanager
def capture_stdlib_logs(
    sink: LogSink, *, bot_id: str, level: int = logging.DEBUG
) -> Iterator[None]:
    """Capture stdlib ``logging`` records and console output emitted in this context into
    ``sink``.

    The root logger's level is lowered to ``level`` while any capture is open (and restored
    after), so ``logging.getLogger(__name__).info(...)`` reaches us as the platform's
    ``info`` would. Records from threads the hook starts itself are captured only if those
    threads run in a copy of the hook's context. Records of the HTTP stack and of the harness's
    own machinery (``IGNORED_LOGGERS``) are not the integration's words and are left out.
    ``print``, ``sys.stderr.write`` and ``warnings.warn`` become records of source
    ``"console"`` (a line left unfinished is recorded when the capture closes).
    """
    with stdlib_log_routing(level=level):
        target = _CaptureTarget(sink, bot_id)
        token = _capture_target.set(target)
        try:
            yield
        finally:
            _capture_target.reset(token)
            _flush_console(target)
