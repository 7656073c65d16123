"""The simulator end to end: every step kind, each property catching its bug on a small
integration (``lifecycle_targets.py``), interception, virtual time and isolation of runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fake_shopify.faults import HttpError, LostResponse, Match, Next, Nth, TransportError
from harness.options import Options
from harness.simulator import Simulator, UnservedRequestError
from harness.steps import (
    Advance,
    Concurrently,
    Configure,
    Crash,
    Drift,
    LoseState,
    PlatformFault,
    Register,
    ShopifyFault,
    Step,
    Unregister,
)
from harness.targets.python import Integration, load_integration
from harness.world import default_world

TARGETS = Path(__file__).with_name("lifecycle_targets.py")


def target(name: str) -> Integration:
    return load_integration(f"{TARGETS}:{name}")


@pytest.fixture
def good() -> Iterator[Simulator]:
    with Simulator(target("Good")) as sim:
        yield sim


def props(sim: Simulator, steps: list[Step], **world: int) -> set[str]:
    result = sim.run(steps, world=default_world(**world) if world else None)
    return {v.property for v in result.violations}


EVERY_KIND: list[Step] = [
    Unregister(),
    Register(),
    Register(),
    Drift("remove_subscription", index=1),
    Register(),
    Drift("foreign_subscription"),
    LoseState(),
    Register(),
    Configure("bot1", "rotate_token"),
    Advance(3600),
    ShopifyFault(HttpError(429), Match(action="list_webhooks"), Nth(1)),
    Register(),
    PlatformFault(500, "any", Next(1)),
    Crash("bot1", "unregister", 3),
    Register(),
    ShopifyFault(LostResponse(), Match(action="create_webhook"), Nth(1)),
    Drift("remove_subscription"),
    Register(),
    Concurrently((Register("bot1"), Register("bot1"))),
    Unregister(),
    Unregister(),
]


def test_a_correct_integration_survives_every_step_kind(good: Simulator) -> None:
    result = good.run(EVERY_KIND)
    assert result.violations == []
    records = result.history.records
    assert len(records) == len(EVERY_KIND)
    after_register = records[1].world.bot("bot1")
    assert len(after_register.resources) == 2
    # drift removed one, the next register put it back
    assert len(records[3].world.bot("bot1").resources) == 1
    assert records[4].world.bot("bot1").same_as(after_register)
    # a foreign subscription appears outside the bot's world and survives unregister
    assert len(records[5].world.foreign) == 1
    assert records[-1].world.foreign == records[5].world.foreign
    # the token rotated: the configuration passed to the hook carries the new one
    rotated = records[8].calls[0].configuration["access_token"]
    assert rotated != records[1].calls[0].configuration["access_token"]
    assert records[8].calls[0].outcome.status == "registered"
    # the 429 fired and reached the hook (Good raises on it: reported via the exception)
    assert records[11].faulted
    assert records[11].calls[0].outcome.exception is not None
    # the crash aborted the hook, uncatchable
    crash = records[13].calls[0]
    assert crash.outcome.crashed
    # list, one delete, then request 3 was aborted before the fake served it (recorded so)
    assert len(crash.exchanges) == 3
    assert "HookCrash" in (crash.exchanges[2].error or "")
    assert len(records[13].world.bot("bot1").resources) == 1  # one delete went through
    assert records[-1].world.bot("bot1").empty


def test_runs_do_not_share_state(good: Simulator) -> None:
    first = good.run([Register()])
    second = good.run([Unregister()])
    assert len(first.history.records[0].world.bot("bot1").resources) == 2
    assert second.history.records[0].before.bot("bot1").empty


@pytest.mark.parametrize(
    ("name", "steps", "world", "expected"),
    [
        ("Duplicates", [Register(), Register()], {}, "idempotent"),
        ("StaleState", [Register(), Drift(), Register()], {}, "convergent"),
        ("KeepsState", [Register(), Unregister()], {}, "clean"),
        (
            "DeletesEverything",
            [Register("bot1"), Register("bot2"), Unregister("bot1")],
            {"bots": 2},
            "clean",
        ),
        ("Silent", [ShopifyFault(TransportError(), Match(), Nth(1)), Register()], {}, "reported"),
        ("IntolerantUnregister", [Unregister()], {}, "tolerant_unregister"),
        ("TokenInUrl", [Register()], {}, "no_secret_leak"),
        (
            "LogsHeaders",
            [ShopifyFault(HttpError(500), Match(), Nth(1)), Register()],
            {},
            "no_secret_leak",
        ),
        ("PhonesHome", [Register()], {}, "no_secret_leak"),
        (
            "SharedClient",
            [Concurrently((Register("bot1"), Register("bot2")))],
            {"bots": 2, "shops": 2},
            "tenant_isolation",
        ),
        (
            "DeletesEverything",
            [Register("bot1"), Register("bot2"), Unregister("bot1")],
            {"bots": 2},
            "tenant_isolation",
        ),
    ],
)
def test_each_property_catches_its_bug(
    name: str, steps: list[Step], world: dict[str, int], expected: str
) -> None:
    with Simulator(target(name)) as sim:
        assert expected in props(sim, steps, **world)
    with Simulator(target("Good")) as sim:
        assert props(sim, steps, **world) == set()


def test_allowlist_exempts_a_state_kept_on_purpose() -> None:
    steps: list[Step] = [Register(), Unregister()]
    with Simulator(target("KeepsState"), options=Options(clean_allowlist=("settings",))) as sim:
        assert props(sim, steps) == set()


def test_idempotent_strict_level_flags_mutations_on_second_register() -> None:
    # Delete-and-recreate style is world-idempotent but sends mutations on every register.
    with Simulator(target("Good"), options=Options(idempotent_level="requests")) as sim:
        assert props(sim, [Register(), Register()]) == set()
    with Simulator(target("Duplicates"), options=Options(idempotent_level="requests")) as sim:
        result = sim.run([Register(), Register()])
        assert any("mutating request" in v.message for v in result.violations)


def test_a_crash_is_not_caught_by_except_exception() -> None:
    with Simulator(target("Silent")) as sim:
        result = sim.run([Crash("bot1", "register", 1), Unregister()])
    crash = result.history.records[0].calls[0]
    assert crash.outcome.crashed
    assert crash.outcome.status == "registration_failed"
    assert crash.exchanges[0].error is not None
    assert "HookCrash" in crash.exchanges[0].error


def test_requests_to_other_hosts_are_refused_and_recorded() -> None:
    with Simulator(target("PhonesHome")) as sim:
        result = sim.run([Register()])
    call = result.history.records[0].calls[0]
    refused = call.other_hosts
    assert [e.host for e in refused] == ["telemetry.example.com"]
    assert "UnservedRequestError" in (refused[0].error or "")


def test_outside_a_hook_unserved_hosts_fail_loudly(good: Simulator) -> None:
    with pytest.raises(UnservedRequestError, match=r"example\.org"):
        httpx.get("https://example.org/")


def test_sleeps_cost_virtual_time_and_a_long_hook_is_stopped_and_named() -> None:
    with Simulator(target("Sleepy"), options=Options(hook_budget_seconds=60)) as sim:
        result = sim.run([Register()])
    outcome = result.history.records[0].calls[0].outcome
    assert outcome.timed_out
    assert "register" in (outcome.status_reason or "")
    assert "60" in (outcome.status_reason or "")


def test_retry_after_advances_the_fake_clock_not_the_wall() -> None:
    with Simulator(target("GoodSync")) as sim:
        session = sim.session()
        start = session.fake.clock.now()
        session.step(ShopifyFault(HttpError(429, retry_after=30), Match(), Next(2)))
        found = session.step(Register())
        waited = (session.fake.clock.now() - start).total_seconds()
    assert found == []
    assert waited >= 60
    assert session.history.records[-1].world.bot("bot1").resources


def test_configure_move_shop_is_opt_in_and_orphans_are_found() -> None:
    steps: list[Step] = [Register(), Configure("bot1", "move_shop"), Unregister()]
    with Simulator(target("Good")) as sim:
        result = sim.run(steps)
    # Good unregisters with the current configuration: the old shop keeps its subscriptions.
    # Its register on the new shop leaves the old shop's subscriptions too (not convergent).
    assert {v.property for v in result.violations} == {"clean", "convergent"}
    assert all("previous shop" in v.message for v in result.violations)
    assert result.history.tenants["bot1"].shop == "acme"
    assert result.history.records[-1].tenants["bot1"].shops == ("acme", "acme-moved1")


def test_crowded_shop_and_other_apps_are_foreign(good: Simulator) -> None:
    result = good.run([Register(), Unregister()], world=default_world(crowd=260, other_apps=3))
    assert result.violations == []
    initial = result.history.initial
    assert len(initial.foreign) == 263
    assert result.history.records[-1].world.foreign == initial.foreign


def test_violation_evidence_is_redacted() -> None:
    with Simulator(target("LogsHeaders")) as sim:
        result = sim.run([ShopifyFault(HttpError(500), Match(), Nth(1)), Register()])
    token = result.history.records[-1].calls[0].token
    leak = next(v for v in result.violations if v.property == "no_secret_leak")
    assert token not in repr(leak)
    assert any("<access_token>" in line for line in leak.evidence.logs)


@pytest.mark.parametrize("name", ["Good", "GoodSync"])
def test_overlapping_calls_of_several_bots_are_attributed_to_each_call(name: str) -> None:
    steps: list[Step] = [
        Concurrently((Register("bot1"), Register("bot2"), Register("bot3"))),
        Concurrently((Unregister("bot1"), Unregister("bot2"), Unregister("bot3"))),
    ]
    with Simulator(target(name)) as sim:
        result = sim.run(steps, world=default_world(bots=3, shops=2))
    assert result.violations == []
    first = result.history.records[0]
    shops = {"bot1": "acme", "bot2": "acme-2", "bot3": "acme"}
    for call in first.calls:
        assert call.exchanges, call.bot
        assert {e.shop for e in call.exchanges} == {shops[call.bot]}
    assert all(first.world.bot(b).resources for b in shops)
    assert all(result.history.records[1].world.bot(b).empty for b in shops)


def test_violations_carry_the_world_they_start_from() -> None:
    world = default_world(crowd=3)
    with Simulator(target("Duplicates")) as sim:
        result = sim.run([Register(), Register()], world=world)
    assert result.violations
    assert all(v.world == world for v in result.violations)
