"""Deterministic turns for overlapping plain hooks.

Overlapping plain (sync) hooks run on threads of their own; left to the operating system, the
order in which their requests reach the fake and the state API would change from run to run,
and so would the world they leave and the findings (issue 15: two reports over 30 replays of
``overlapping-registers``). Instead the threads of one overlapping group take turns: only the
thread holding the turn runs; at every *turn point* (a request to Shopify, a state-API call,
a virtual sleep) it hands the turn to the next live call in invocation order, round robin. The
interleaving is then a function of the hooks' own behaviour only.

A sleeping hook (``time.sleep`` and the like, virtual: overlapping sleeps overlap, see
``VirtualTime.sleep``) gives up its turn while it sleeps and waits for it again when it wakes;
when every live call sleeps nobody holds the turn, and the first to wake takes it (calls that
wake at the same virtual instant then start in the order they reach the turn: the one place
left where the OS chooses).

A hook that blocks while holding the turn (a lock another overlapping call holds, an event it
waits for) would stall the group: a waiter that sees no turn point for ``STALL_SECONDS`` of wall
time breaks the turns, and the group runs free from then on (a hook that serialises itself with
a lock gives the same result either way).

The same turns order the overlapping calls of a Node target (``harness.targets.node``), whose
calls are not threads of this process: there the turn points are the requests a call sends to the
served fakes, held until it is the call's turn again (:meth:`Turns.arrive`), and a call whose
only pending work is a (fake) timer gives its turn up as a sleeping hook does (:meth:`Turns.sleep`).
"""

from __future__ import annotations

import contextvars
import threading
from dataclasses import dataclass

STALL_SECONDS = 1.0
"""Wall time a call waits for its turn without any turn point before the turns are broken."""


class Turns:
    """Whose turn it is among ``count`` overlapping calls (indices in invocation order)."""

    def __init__(self, count: int, *, stall_seconds: float = STALL_SECONDS) -> None:
        self._cond = threading.Condition()
        self._stall = stall_seconds
        self._live = [True] * count
        self._awake = [True] * count
        self._current = 0  # -1: nobody (every live call sleeps)
        self._moves = 0
        self.broken = False

    def wait(self, index: int) -> None:
        """Block until it is ``index``'s turn (or the turns are broken)."""
        with self._cond:
            while not self.broken and self._current != index:
                moves = self._moves
                self._cond.wait(self._stall)
                if self._moves == moves and self._current != index and not self.broken:
                    self.broken = True
                    self._cond.notify_all()

    def _advance(self, index: int) -> None:
        count = len(self._live)
        self._current = -1
        for step in range(1, count + 1):
            candidate = (index + step) % count
            if self._live[candidate] and self._awake[candidate]:
                self._current = candidate
                break
        self._moves += 1
        self._cond.notify_all()

    def sleep(self, index: int) -> None:
        """``index`` starts a sleep: the turn goes on without it."""
        with self._cond:
            self._awake[index] = False
            if self._current == index:
                self._advance(index)

    def wake(self, index: int) -> None:
        """``index`` woke: it takes the turn if nobody holds it, else waits for it."""
        with self._cond:
            self._awake[index] = True
            if self._current == -1:
                self._current = index
                self._moves += 1
                self._cond.notify_all()
        self.wait(index)

    def pass_turn(self, index: int) -> None:
        """A turn point of ``index``: hand the turn on, then wait for it to come back."""
        with self._cond:
            if self.broken or self._current != index:
                return
            self._advance(index)
        self.wait(index)

    def arrive(self, index: int) -> None:
        """A turn point of ``index`` that may come while another call holds the turn.

        For calls that are not threads of this process (a Node call's request held at a served
        fake): a sleeping call wakes here (taking the turn only when nobody holds it); the
        holder hands the turn on; either way the caller then waits until it is ``index``'s turn.
        Unlike :meth:`pass_turn`, a call that does not hold the turn (a second request it sent
        at once) waits too."""
        with self._cond:
            if not self.broken:
                if not self._awake[index]:
                    self._awake[index] = True
                    if self._current == -1:
                        self._current = index
                    self._moves += 1
                    self._cond.notify_all()
                elif self._current == index:
                    self._advance(index)
        self.wait(index)

    def free(self) -> None:
        """Break the turns now: every waiter returns and the calls run free (the runtime that
        ran them is gone, or the group must not wait any longer)."""
        with self._cond:
            self.broken = True
            self._cond.notify_all()

    @property
    def holder(self) -> int | None:
        """The index of the call holding the turn (``None``: nobody, every live call sleeps)."""
        with self._cond:
            return None if self._current == -1 else self._current

    def done(self, index: int) -> None:
        """``index`` finished: it takes no more turns."""
        with self._cond:
            self._live[index] = False
            if self._current == index:
                self._advance(index)
            else:
                self._moves += 1
                self._cond.notify_all()


@dataclass(frozen=True)
class _Seat:
    turns: Turns
    index: int


_seat: contextvars.ContextVar[_Seat | None] = contextvars.ContextVar(
    "lifecycle_harness_turn", default=None
)


def take_seat(turns: Turns, index: int) -> None:
    """In the context of a call's thread: this call is ``index`` of ``turns``."""
    _seat.set(_Seat(turns, index))


def turn_point() -> None:
    """Where an overlapping call may hand the turn on (no-op outside an overlapping group)."""
    seat = _seat.get()
    if seat is not None:
        seat.turns.pass_turn(seat.index)


def sleep_begins() -> None:
    """The current call starts a (virtual) sleep: it gives the turn up until it wakes."""
    seat = _seat.get()
    if seat is not None:
        seat.turns.sleep(seat.index)


def sleep_ends() -> None:
    """The current call woke from its sleep: it waits for its turn again."""
    seat = _seat.get()
    if seat is not None:
        seat.turns.wake(seat.index)


def wait_turn() -> None:
    seat = _seat.get()
    if seat is not None:
        seat.turns.wait(seat.index)


def leave() -> None:
    seat = _seat.get()
    if seat is not None:
        seat.turns.done(seat.index)
