"""Who watches a run from outside: a process-wide observer the calling code reports to.

The runtime and the layers above it (the Python target's hook calls, the simulator's steps)
announce what they are about to do; nothing listens by default (one global read per event).
The supervisor's worker (``harness.supervise``) installs a :class:`Watcher` that writes the
announcements where the supervisor can read them even after the worker dies: so a crash, a
kill or a hang can be reported as "register of bot1 at step 3".

The runtime does not know who listens: the watcher is a protocol, installed with
:func:`watching`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

__all__ = ["Watcher", "current", "own_child", "owned_children", "watching"]


class Watcher(Protocol):
    def step(self, index: int, describe: Callable[[], str]) -> None:
        """Step ``index`` of the current lifecycle starts (0: a new lifecycle)."""

    def hooks_started(self, calls: Sequence[tuple[str, str]], wall_timeout: float) -> None:
        """Hook calls ``(operation, bot)`` start (overlapping when more than one)."""

    def hooks_ended(self, errors: Sequence[BaseException | None]) -> None:
        """The calls announced last have ended; what escaped each (``None``: nothing)."""

    def phase(self, name: str) -> None:
        """The run moved to another phase (a probe, a scenario, exploration)."""


_current: Watcher | None = None
_owned: set[int] = set()


def own_child(pid: int) -> None:
    """Declare child process ``pid`` the harness's own (a target's runtime process, such as
    the Node target's): a watcher does not count it as left behind by a hook."""
    _owned.add(pid)


def owned_children() -> frozenset[int]:
    return frozenset(_owned)


def current() -> Watcher | None:
    return _current


@contextmanager
def watching(watcher: Watcher) -> Iterator[Watcher]:
    global _current
    previous, _current = _current, watcher
    try:
        yield watcher
    finally:
        _current = previous
