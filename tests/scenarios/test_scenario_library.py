"""The shipped scenario library: present, loadable, described, and covering issue 4's list."""

from __future__ import annotations

import re

import pytest

from harness.scenarios import (
    Scenario,
    discover,
    dumps_scenario,
    library_dir,
    load_library,
    loads_scenario,
)
from harness.steps import Concurrently, Configure, Crash, Drift, LoseState, ShopifyFault, Unregister

LIBRARY = load_library()
BY_NAME = {scenario.name: scenario for scenario in LIBRARY}


def test_the_library_ships_at_least_fifteen_scenarios() -> None:
    assert len(LIBRARY) >= 15
    assert len(BY_NAME) == len(LIBRARY)  # names are unique


@pytest.mark.parametrize("scenario", LIBRARY, ids=lambda s: s.name)
def test_each_scenario_is_described_with_its_source(scenario: Scenario) -> None:
    assert scenario.source is not None
    assert scenario.source.name == f"{scenario.name}.scenario.yaml"
    assert len(scenario.description.split()) >= 30, "say where the failure mode comes from"
    # Every description cites a public source: Shopify's documentation or the Botpress sources
    # (nothing the repository does not contain).
    assert re.search(
        r"https://(shopify\.dev/|github\.com/botpress/)|README|docs/\w+\.md", scenario.description
    )
    assert not re.search(r"\w+\.md §|DESIGN", scenario.description)
    # Library scenarios run against any target: its own configuration and integration.
    assert scenario.configuration is None
    assert scenario.integration is None


@pytest.mark.parametrize("scenario", LIBRARY, ids=lambda s: s.name)
def test_each_scenario_round_trips(scenario: Scenario) -> None:
    assert loads_scenario(dumps_scenario(scenario)) == scenario


def test_the_failure_modes_of_issue_4_are_all_there() -> None:
    def has(name: str) -> Scenario:
        assert name in BY_NAME, f"missing library scenario {name}"
        return BY_NAME[name]

    assert [type(s).__name__ for s in has("register-five-times").steps].count("Register") == 5
    storm = has("rate-limit-storm").steps[0]
    assert isinstance(storm, ShopifyFault)
    assert getattr(storm.effect, "status", None) == 429
    assert getattr(storm.effect, "retry_after", None) == 2.0
    create_5xx = has("server-error-on-create").steps[0]
    assert isinstance(create_5xx, ShopifyFault)
    assert create_5xx.match.action == "create_webhook"
    assert 500 <= getattr(create_5xx.effect, "status", 0) <= 599
    lost = has("lost-create-response").steps[0]
    assert isinstance(lost, ShopifyFault)
    assert type(lost.effect).__name__ == "LostResponse"
    assert isinstance(has("crash-between-create-and-save").steps[0], Crash)
    assert Drift("remove_subscription") in has("subscription-removed-by-shopify").steps
    assert LoseState() in has("lost-platform-state").steps
    assert Configure(change="rotate_token") in has("token-rotation").steps
    assert has("unregister-nothing-registered").steps == (Unregister(),)
    assert has("unregister-twice").steps[-2:] == (Unregister(), Unregister())
    assert has("crowded-shop").world.crowd > 250  # beyond one page even at limit=250
    other_bot = has("same-app-other-bot").world
    assert (other_bot.bots, other_bot.shops) == (2, 1)
    overlap = has("overlapping-registers").steps[0]
    assert isinstance(overlap, Concurrently)
    assert {s.bot for s in overlap.steps} == {"bot1"}
    tenants = has("two-tenants-at-once")
    assert (tenants.world.bots, tenants.world.shops) == (2, 2)
    assert isinstance(tenants.steps[0], Concurrently)
    clock = has("expired-api-version").world.clock
    assert clock is not None
    assert clock.year >= 2030


def test_library_dir_holds_only_scenario_files_and_the_readme() -> None:
    directory = library_dir()
    names = sorted(p.name for p in directory.iterdir() if p.is_file())
    assert "README.md" in names
    assert [n for n in names if n != "README.md" and not n.endswith(".scenario.yaml")] == []
    assert len(discover([directory])) == len(LIBRARY)
