"""The turn mechanics the Node target's overlapping calls use (``Turns.arrive``, ``sleep``,
``free``): requests held until their call's turn, handed on round robin."""

from __future__ import annotations

import threading

from harness.runtime.turns import Turns

WAIT = 5.0  # real seconds a test thread may take; the turns themselves never stall here


def _arrive(turns: Turns, index: int, log: list[int]) -> threading.Thread:
    def run() -> None:
        turns.arrive(index)
        log.append(index)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _settle(turns: Turns, holder: int | None) -> None:
    """Wait (really) until ``holder`` holds the turn."""
    done = threading.Event()
    for _ in range(int(WAIT / 0.01)):
        if turns.holder == holder:
            return
        done.wait(0.01)
    raise AssertionError(f"the turn is with {turns.holder}, not {holder}")


def test_a_request_of_the_holder_hands_the_turn_on_and_waits_for_it():
    turns = Turns(2, stall_seconds=60.0)
    log: list[int] = []
    first = _arrive(turns, 0, log)  # call 0 holds the turn: it passes it to call 1 and waits
    _settle(turns, 1)
    assert log == []
    second = _arrive(turns, 1, log)  # call 1's request: the turn goes back to 0
    first.join(WAIT)
    assert log == [0]
    assert turns.holder == 0
    turns.done(0)  # call 0 ends: call 1's held request is served
    second.join(WAIT)
    assert log == [0, 1]
    assert not turns.broken


def test_a_second_request_of_a_call_without_the_turn_waits_too():
    turns = Turns(2, stall_seconds=60.0)
    log: list[int] = []
    first = _arrive(turns, 0, log)
    _settle(turns, 1)
    again = _arrive(turns, 0, log)  # call 0 sends another request at once: not its turn
    again.join(0.2)
    assert log == []
    turns.done(1)  # the turn comes back to 0: both of its requests go
    first.join(WAIT)
    again.join(WAIT)
    assert sorted(log) == [0, 0]


def test_a_sleeping_call_gives_its_turn_up_and_takes_it_back_only_when_free():
    turns = Turns(3, stall_seconds=60.0)
    turns.sleep(0)  # call 0 waits for a timer: call 1 takes the turn
    assert turns.holder == 1
    log: list[int] = []
    woken = _arrive(turns, 0, log)  # call 0 wakes while call 1 holds the turn: it waits
    woken.join(0.2)
    assert log == []
    turns.sleep(1)
    assert turns.holder == 2
    turns.sleep(2)  # every awake call is 0, which waits at the fake
    woken.join(WAIT)
    assert log == [0]
    assert turns.holder == 0


def test_free_releases_every_waiter():
    turns = Turns(3, stall_seconds=60.0)
    log: list[int] = []
    waiting = [_arrive(turns, 0, log)]
    _settle(turns, 1)
    waiting += [_arrive(turns, 2, log)]
    turns.free()
    for thread in waiting:
        thread.join(WAIT)
    assert sorted(log) == [0, 2]
    assert turns.broken


def test_a_holder_without_turn_points_breaks_the_turns_after_the_stall():
    turns = Turns(2, stall_seconds=0.2)
    log: list[int] = []
    first = _arrive(turns, 0, log)  # call 1 takes the turn and never makes a turn point
    first.join(WAIT)
    assert log == [0]
    assert turns.broken
