"""exactly_once end to end: the simulator probes real, signed deliveries after each step."""

from __future__ import annotations

import importlib

import pytest

from harness.examples import GRAPHQL_EXAMPLES
from harness.exploration import enumerate_crashes, explore
from harness.options import Options
from harness.simulator import Simulator
from harness.steps import Configure, Drift, Register, Step, Unregister
from harness.targets.python import load_integration
from harness.world import default_world

CONFIG = {"shopName": "acme", "access_token": "shpat_0123456789abcdef0123456789abcdef"}


def run(example: str, steps: list[Step]) -> dict[str, list[str]]:
    integration = load_integration(f"harness.examples.{example}")
    with Simulator(integration, world=default_world(CONFIG)) as sim:
        result = sim.run(steps)
    found: dict[str, list[str]] = {}
    for violation in result.violations:
        found.setdefault(violation.property, []).append(violation.message)
    return found


LIFECYCLE: list[Step] = [
    Register(),
    Register(),
    Configure(change="rotate_token"),
    Drift(change="delivery_failures"),
    Register(),
    Unregister(),
]


def test_correct_graphql_integration_violates_nothing() -> None:
    assert run("graphql_correct", LIFECYCLE) == {}


def test_double_path_is_caught_by_exactly_once_alone() -> None:
    found = run("graphql_double_path", LIFECYCLE)
    assert set(found) == {"exactly_once"}
    assert found["exactly_once"][0] == (
        "after register, Shopify events do not reach https://webhook.botpress.cloud/bot1-webhook "
        "exactly once (shop acme): one orders/create event arrived 2 times"
    )


def test_nonce_urls_are_delivered_twice_and_after_unregister() -> None:
    found = run("graphql_nonce_urls", [Register(), Register(), Unregister()])
    assert "idempotent" in found
    messages = found["exactly_once"]
    assert any("one orders/create event arrived 2 times" in m for m in messages)
    assert any(m.startswith("after unregister, Shopify events still reach") for m in messages)


def test_delivery_failures_drift_removes_the_subscription_and_register_restores_it() -> None:
    integration = load_integration("harness.examples.graphql_correct")
    with Simulator(integration, world=default_world(CONFIG)) as sim:
        result = sim.run([Register(), Drift(change="delivery_failures")])
        after_drift = result.history.records[-1]
        assert len(after_drift.world.bot("bot1").resources) == 1  # one of two topics removed
        assert after_drift.events == {}  # no hook call: nothing to judge, nothing probed
        healed = sim.run([Register(), Drift(change="delivery_failures"), Register()])
    assert result.ok
    assert healed.ok
    assert len(healed.history.records[-1].world.bot("bot1").resources) == 2


def test_exactly_once_can_be_disabled() -> None:
    integration = load_integration("harness.examples.graphql_double_path")
    options = Options(properties=frozenset({"idempotent", "clean"}))
    with Simulator(integration, world=default_world(CONFIG), options=options) as sim:
        result = sim.run([Register(), Register()])
    assert result.violations == []
    assert all(record.events == {} for record in result.history.records)


def test_exploration_finds_exactly_once_with_a_minimal_lifecycle() -> None:
    integration = load_integration("harness.examples.graphql_double_path")
    options = Options(properties=frozenset({"exactly_once"}))
    with Simulator(integration, world=default_world(CONFIG), options=options) as sim:
        found = explore(sim, examples=20, seed=1, max_steps=6)
    [violation] = [v for v in found if v.property == "exactly_once"]
    assert len(violation.steps) <= 2


def test_crash_enumeration_on_the_correct_graphql_integration_finds_nothing() -> None:
    integration = load_integration("harness.examples.graphql_correct")
    with Simulator(integration, world=default_world(CONFIG)) as sim:
        assert enumerate_crashes(sim) == []


@pytest.mark.parametrize("name", sorted(GRAPHQL_EXAMPLES))
def test_graphql_examples_violate_exactly_what_they_declare(name: str) -> None:
    example = GRAPHQL_EXAMPLES[name]
    found = run(
        name, [Register(), Register(), Drift(change="delivery_failures"), Register(), Unregister()]
    )
    assert set(found) == example.violates
    module = importlib.import_module(example.target)
    assert ("Correct" if example.correct else "Buggy") in (module.__doc__ or "")
    for prop in example.violates:
        assert f"``{prop}``" in (module.__doc__ or "")
