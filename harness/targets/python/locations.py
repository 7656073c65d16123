"""Where code is: a function's ``file:line``, and where a stuck hook is (the innermost frame
that is the integration's own, not the harness's, asyncio's or a library's)."""

from __future__ import annotations

import asyncio
import inspect
import os
import sys
import sysconfig
import traceback
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any


def _short_repr(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _where(func: Callable[..., Any]) -> str:
    try:
        unwrapped = inspect.unwrap(func)
        file = inspect.getsourcefile(unwrapped) or "?"
        line = inspect.getsourcelines(unwrapped)[1]
    except (TypeError, OSError):
        return getattr(func, "__qualname__", repr(func))
    return f"{_short_path(file)}:{line}"


def _short_path(file: str) -> str:
    try:
        return os.path.relpath(file)
    except ValueError:
        return file


def _thread_location(thread_id: int) -> str:
    frame = sys._current_frames().get(thread_id)
    return _frame_location(frame)


def _frame_location(frame: FrameType | None) -> str:
    if frame is None:
        return ""
    return _pick_location(list(traceback.extract_stack(frame)))


_HARNESS_DIR = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))  # harness/
_SKIP_DIRS = (_HARNESS_DIR, os.path.dirname(asyncio.__file__))


_LIBRARY_DIRS = tuple(
    {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
)


def _pick_location(entries: Sequence[traceback.FrameSummary]) -> str:
    """The innermost frame that is the integration's, not the harness's or asyncio's.

    A hook blocked in a library (``threading.py`` for an ``Event.wait``) is named by its own
    line first, then by where the library is stuck.
    """
    outside = [e for e in entries if not e.filename.startswith(_SKIP_DIRS)]
    if not outside:
        return ""
    inner = outside[-1]
    mine = [e for e in outside if not e.filename.startswith(_LIBRARY_DIRS)]
    if mine and mine[-1] is not inner:
        return (
            f" (at {_short_path(mine[-1].filename)}:{mine[-1].lineno} in {mine[-1].name}, "
            f"inside {_short_path(inner.filename)}:{inner.lineno} in {inner.name})"
        )
    return f" (at {_short_path(inner.filename)}:{inner.lineno} in {inner.name})"


def _task_location(task: asyncio.Task[Any]) -> str:
    # Task.get_stack() gives one frame for a suspended coroutine; follow the await chain.
    entries: list[traceback.FrameSummary] = []
    coro: Any = task.get_coro()
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is not None:
            entries.append(
                traceback.FrameSummary(
                    frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name, line=None
                )
            )
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return _pick_location(entries)


# -- async hooks on the virtual loop ------------------------------------------------------------
