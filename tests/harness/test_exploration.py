"""Exploration: Hypothesis finds and shrinks to minimal step sequences, deterministically for a
seed; crash enumeration covers every request of every hook."""

from __future__ import annotations

from pathlib import Path

from fake_shopify.faults import LostResponse
from harness.exploration import crash_plans, enumerate_crashes, explore
from harness.options import Options
from harness.simulator import Simulator
from harness.steps import Configure, Crash, Drift, Register, ShopifyFault, Unregister
from harness.targets.python import Integration, load_integration
from harness.world import default_world

TARGETS = Path(__file__).with_name("lifecycle_targets.py")


def target(name: str) -> Integration:
    return load_integration(f"{TARGETS}:{name}")


def test_explore_shrinks_a_duplicate_to_two_registers() -> None:
    with Simulator(target("Duplicates")) as sim:
        found = explore(sim, options=Options().only("idempotent"), examples=60, seed=1)
    assert [v.property for v in found] == ["idempotent"]
    # Two hook calls that register; a configuration save (``configure``) registers too.
    assert len(found[0].steps) == 2
    assert all(s in (Register(), Configure()) for s in found[0].steps)
    assert found[0].world == default_world()  # the world shrank to one bot on an empty shop


def test_explore_shrinks_stale_state_to_register_drift_register() -> None:
    with Simulator(target("StaleState")) as sim:
        found = explore(sim, options=Options().only("convergent"), examples=100, seed=3)
    assert len(found) == 1
    steps = found[0].steps
    assert len(steps) == 3
    assert steps[0] in (Register(), Configure())  # a configure save is a register too
    assert isinstance(steps[1], Drift)
    assert steps[2] in (Register(), Configure())


def test_explore_finds_cross_tenant_bugs_in_generated_multi_bot_worlds() -> None:
    with Simulator(target("SharedClient")) as sim:
        found = explore(
            sim, options=Options().only("tenant_isolation"), examples=150, seed=0, max_steps=4
        )
    assert [v.property for v in found] == ["tenant_isolation"]
    assert found[0].world is not None
    assert len(found[0].world.bots) >= 2


def test_explore_is_quiet_on_a_correct_integration() -> None:
    with Simulator(target("Good")) as sim:
        assert explore(sim, examples=40, seed=5) == []


def test_explore_is_deterministic_for_a_seed() -> None:
    runs = []
    for _ in range(2):
        with Simulator(target("Silent")) as sim:
            runs.append(
                explore(sim, options=Options().only("reported"), examples=80, seed=7, max_steps=6)
            )
    assert runs[0]
    assert [(v.steps, v.message) for v in runs[0]] == [(v.steps, v.message) for v in runs[1]]


def test_crash_plans_cover_every_request_of_every_hook() -> None:
    with Simulator(target("Good")) as sim:
        plans = crash_plans(sim)
    # Good: first register = list + 2 creates; re-register = 1 list; unregister = list + 2 deletes
    # => 3 + 1 + 3 request points, x 2 failures (abort, lost response), x 2 follow-ups.
    assert len(plans) == (3 + 1 + 3) * 2 * 2
    crashes = {s for p in plans for s in p if isinstance(s, Crash)}
    assert Crash("bot1", "register", 3) in crashes
    assert Crash("bot1", "unregister", 3) in crashes
    lost = [p for p in plans if any(isinstance(s, ShopifyFault) for s in p)]
    assert all(
        isinstance(s.effect, LostResponse) for p in lost for s in p if isinstance(s, ShopifyFault)
    )
    assert all(p[-1] == Unregister() for p in plans)


def test_enumerate_crashes_quiet_on_good_and_finds_orphans_of_a_lost_response() -> None:
    with Simulator(target("Good")) as sim:
        assert enumerate_crashes(sim) == []
    # Duplicates cannot adopt what a lost response created: the retry duplicates it.
    with Simulator(target("Duplicates")) as sim:
        found = enumerate_crashes(sim)
    assert found
    assert all(len(v.steps) <= 5 for v in found)
