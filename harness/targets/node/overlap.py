"""Deterministic turns for overlapping calls of a Node target (issue 15).

Overlapping Python hooks take turns (:mod:`harness.runtime.turns`); so do a Node target's, with
the served fakes as the turn points, since a Node call is not a thread the harness can stop:

- the calls start one at a time: call 0 is posted at once, call ``i`` only when the turn first
  reaches it, so the code before a call's first request runs alone in Node's event loop;
- a request a call sends to the served Shopify or the served platform API is its turn point:
  the turn goes on (round robin, in invocation order) and the request is held at the fake until
  it is the call's turn again, then served. At most one call runs in Node at any time; the others
  wait with a request held, and the event loop sees one call's events only;
- a call whose only pending work is a (fake) timer is reported ``idle`` by the preload (its
  clock cannot move while another call's request is held): it gives the turn up as a sleeping
  hook does, and takes it back when its next request arrives;
- a call ends when its reply arrives; a killed or vanished runtime ends them all (held requests
  are then dropped unanswered: the runtime that sent them is gone);
- the stall rule stays: a call that holds the turn without a turn point for
  :data:`STALL_SECONDS` of wall time breaks the turns and the group runs free, so nothing waits
  for ever.

Single calls take no turns and pay nothing for them.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.runtime.turns import Turns

__all__ = ["STALL_SECONDS", "NodeTurns"]

STALL_SECONDS = 5.0
"""Wall time a Node call may hold the turn without a turn point before the turns are broken.
Longer than for Python hooks (1 s): a Node call's stretch between requests includes TLS set-up
and the SDK's handling on a busy machine, and waits for timers or other calls hand the turn on
by themselves (``idle``); what is left is a spinning or stuck call, which the wall timeout stops."""


class NodeTurns:
    """The turns of one overlapping group of Node calls, by call id (invocation order)."""

    def __init__(self, call_ids: Sequence[str], *, stall_seconds: float = STALL_SECONDS) -> None:
        self.turns = Turns(len(call_ids), stall_seconds=stall_seconds)
        self._index = {call_id: i for i, call_id in enumerate(call_ids)}
        self.gone = False

    def index(self, call_id: str | None) -> int | None:
        return None if call_id is None else self._index.get(call_id)

    def wait_start(self, index: int) -> bool:
        """Block until the turn first reaches call ``index``; ``False``: the runtime is gone
        (the call must not be posted)."""
        self.turns.wait(index)
        return not self.gone

    def arrive(self, call_id: str | None) -> bool:
        """A request of ``call_id`` reached a served fake: hand the turn on and hold the request
        until it is that call's turn. ``False``: the runtime is gone, drop the request."""
        index = self.index(call_id)
        if index is not None:
            self.turns.arrive(index)
        return not self.gone

    def idle(self, call_id: str) -> None:
        """``call_id`` waits for a timer (or for another call): the turn goes on without it."""
        index = self.index(call_id)
        if index is not None:
            self.turns.sleep(index)

    def done(self, index: int) -> None:
        self.turns.done(index)

    def end(self) -> None:
        """The runtime is gone (killed at a crash point, hung, over budget, exited): every
        waiter returns, and nothing held is served."""
        self.gone = True
        self.turns.free()
