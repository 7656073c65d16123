"""Memory stays bounded over a long exploration (issue 15): a Hypothesis run keeps per-example
structures (its cache of results, the choice tree, per-example statistics) until it ends, so
``explore`` runs at most ``RUN_EXAMPLES`` examples per Hypothesis run and nothing of a finished
run outlives it. Judged by reachability (weak references), not by timing or RSS, so a loaded
machine cannot make it flaky."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
from hypothesis.internal.conjecture import engine as conjecture_engine
from hypothesis.stateful import RuleBasedStateMachine

from harness import exploration
from harness.exploration import explore
from harness.simulator import Simulator
from harness.targets.python import load_integration

TARGET = "harness.examples.correct.find_or_create"


def _track_runners(monkeypatch: pytest.MonkeyPatch) -> list[weakref.ref[Any]]:
    runners: list[weakref.ref[Any]] = []
    original = conjecture_engine.ConjectureRunner.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        runners.append(weakref.ref(self))

    monkeypatch.setattr(conjecture_engine.ConjectureRunner, "__init__", init)
    return runners


def test_a_long_exploration_releases_each_hypothesis_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exploration, "RUN_EXAMPLES", 8)
    runners = _track_runners(monkeypatch)
    seen: list[int] = []  # runners alive at each example, past the first run

    def on_example() -> None:
        gc.collect()
        seen.append(sum(1 for r in runners if r() is not None))

    with Simulator(load_integration(TARGET)) as sim:
        assert explore(sim, examples=32, seed=0, on_example=on_example) == []
    assert len(runners) >= 4  # 32 examples in runs of 8
    assert len(seen) >= 32
    # While an example runs, only its own run's structures are alive: the earlier runs, with
    # their caches and trees of every example they generated, were released.
    assert max(seen) == 1
    gc.collect()
    assert all(r() is None for r in runners)


def test_each_runs_state_machine_class_leaves_hypothesis_registry() -> None:
    """Hypothesis registers every state machine class it runs, for good; explore unregisters
    its own, so a long exploration does not pile up one class (with its rules' strategies and
    their caches) per run. (Hypothesis' own least-recently-used caches keep up to 128.)"""
    registry = RuleBasedStateMachine._setup_state_per_class
    before = set(registry)
    with Simulator(load_integration(TARGET)) as sim:
        explore(sim, examples=6, seed=0)
    assert set(registry) <= before


def test_runs_of_at_most_run_examples_reproduce_the_single_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A budget within one run is explored exactly as before chunking (the same seed, one
    Hypothesis run); a larger one in several runs, deterministically."""
    runners = _track_runners(monkeypatch)
    integration = load_integration(TARGET)
    with Simulator(integration) as sim:
        explore(sim, examples=12, seed=3)
    assert len(runners) == 1
    monkeypatch.setattr(exploration, "RUN_EXAMPLES", 5)
    counts = []
    examples: list[int] = []
    for _ in range(2):
        mark, seen = len(runners), len(examples)
        with Simulator(integration) as sim:
            explore(sim, examples=12, seed=3, on_example=lambda: examples.append(1))
        counts.append((len(runners) - mark, len(examples) - seen))
    assert counts[0] == counts[1]
    assert counts[0][0] == 3  # 5 + 5 + 2
