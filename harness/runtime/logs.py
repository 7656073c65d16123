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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, Literal, TypeAlias

from harness.runtime.clock import Clock

# --------------------------------------------------------------------------------------------
# Logging
# --------------------------------------------------------------------------------------------

Level = Literal["debug", "info", "warn", "error"]
LEVELS: dict[str, int] = {"debug": 10, "info": 20, "warn": 30, "error": 40}
LogSource = Literal["platform", "stdlib", "runtime"]


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
    source: str = "platform"  # "platform" | "stdlib" | "runtime"
    bot_id: str | None = None
    logger_name: str | None = None  # the stdlib logger's name for source="stdlib"
    time: _dt.datetime | None = None
    library: bool = False  # source="stdlib" from installed code (site-packages, stdlib)

    def text(self) -> str:
        """Message and traceback together (what a secret scan must read)."""
        return self.message if not self.exc_text else f"{self.message}\n{self.exc_text}"


class LogSink:
    """Where a run's log records go. Thread-safe appends."""

    def __init__(self, *, clock: Clock | None = None) -> None:
        self.records: list[LogRecord] = []
        self.clock = clock
        self._lock = threading.Lock()

    def emit(self, record: LogRecord) -> None:
        if record.time is None and self.clock is not None:
            record = replace(record, time=self.clock.now())
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


_capture_target: contextvars.ContextVar[_CaptureTarget | None] = contextvars.ContextVar(
    "lifecycle_harness_log_capture", default=None
)


IGNORED_LOGGERS: frozenset[str] = frozenset(
    {"httpx", "httpcore", "hpack", "h11", "h2", "asyncio", "hypothesis", "respx"}
)
"""Loggers whose records are not captured: the HTTP stack (httpx logs every request at info,
which would read as the integration's own words) and the harness's machinery. Matched on the
top-level name (``"httpx"`` also drops ``"httpx._client"``, not ``"httpx_retry"``)."""


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


class _StdlibCapture:
    """Installs one routing handler on the root logger while any capture is open."""

    lock = threading.Lock()
    depth = 0
    handler: _RoutingHandler | None = None
    saved_level = logging.WARNING


@contextmanager
def stdlib_log_routing(*, level: int = logging.DEBUG) -> Iterator[None]:
    """Install the routing handler (and lower the root logger to ``level``) while open.

    :func:`capture_stdlib_logs` does this itself; holding it open around a whole run saves
    re-installing per hook call (``Logger.setLevel`` clears every logger's cache). Reentrant.
    """
    state = _StdlibCapture
    root = logging.getLogger()
    with state.lock:
        if state.depth == 0:
            state.handler = _RoutingHandler()
            state.saved_level = root.level
            root.addHandler(state.handler)
            if root.level == logging.NOTSET or root.level > level:
                root.setLevel(level)
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


@contextmanager
def capture_stdlib_logs(
    sink: LogSink, *, bot_id: str, level: int = logging.DEBUG
) -> Iterator[None]:
    """Capture stdlib ``logging`` records emitted in this context into ``sink``.

    The root logger's level is lowered to ``level`` while any capture is open (and restored
    after), so ``logging.getLogger(__name__).info(...)`` reaches us as the platform's
    ``info`` would. Records from threads the hook starts itself are captured only if those
    threads run in a copy of the hook's context. Records of the HTTP stack and of the harness's
    own machinery (``IGNORED_LOGGERS``) are not the integration's words and are left out.
    """
    with stdlib_log_routing(level=level):
        token = _capture_target.set(_CaptureTarget(sink, bot_id))
        try:
            yield
        finally:
            _capture_target.reset(token)
