"""Replay time is linear in the number of steps (issue 15): what the simulator and the property
checks read of the history per step does not grow with the history. Judged by counting the
records read, not by wall time, so a loaded machine cannot make it flaky."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from harness.history import StepRecord
from harness.simulator import Simulator
from harness.steps import Advance, Drift, Register, Step, Unregister
from harness.targets.python import load_integration

TARGET = "harness.examples.correct.find_or_create"
CYCLE: tuple[Step, ...] = (
    Register(),
    Register(),
    Drift("remove_subscription"),
    Register(),
    Unregister(),
    Advance(60.0),
)


class CountingList(list[StepRecord]):
    """A list of records that counts every record handed out by a scan or a slice."""

    read = 0

    def __iter__(self) -> Iterator[StepRecord]:
        for record in super().__iter__():
            CountingList.read += 1
            yield record

    def __reversed__(self) -> Iterator[StepRecord]:
        for record in super().__reversed__():
            CountingList.read += 1
            yield record

    def __getitem__(self, index: Any) -> Any:
        item = super().__getitem__(index)
        CountingList.read += len(item) if isinstance(index, slice) else 1
        return item

    def copy(self) -> list[StepRecord]:
        CountingList.read += len(self)
        return super().copy()

    def index(self, *args: Any, **kwargs: Any) -> int:  # pragma: no cover - a scan
        CountingList.read += len(self)
        return super().index(*args, **kwargs)

    def __contains__(self, value: object) -> bool:  # pragma: no cover - a scan
        CountingList.read += len(self)
        return super().__contains__(value)

    def count(self, value: Any) -> int:  # pragma: no cover - a scan
        CountingList.read += len(self)
        return super().count(value)


def records_read(steps: int) -> int:
    """Records read while running ``steps`` steps of the cycle, each judged by every property."""
    with Simulator(load_integration(TARGET)) as sim:
        session = sim.session()
        session.history.records = CountingList()
        CountingList.read = 0
        for i in range(steps):
            assert session.step(CYCLE[i % len(CYCLE)]) == []
        return CountingList.read


def test_records_read_per_step_do_not_grow_with_the_history() -> None:
    short, long = records_read(36), records_read(144)
    # Linear: four times the steps read at most four times the records (plus a cycle's slack).
    # A check that scans or copies the whole history each step reads ~16 times as many.
    assert long <= 4 * short + 6 * len(CYCLE), (short, long)
