"""Issue 12: trustworthy verdicts.

The platform's timing (hook calls spaced by a gap, bursts only where asked for), answers the
fake generates from its own limits judged as faults, persistent faults (revoked token, removed
scope, long latency), crash points around platform API calls, and crash points or faults a
replay never reaches.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fake_shopify.faults import Always, HttpError, Latency, Match, Next, Nth
from harness.examples import EXAMPLES
from harness.options import Options, OptionsError, PlatformTiming
from harness.scenarios import load_scenario, loads_scenario
from harness.scenarios.library import library_dir
from harness.scenarios.replay import replay
from harness.simulator import Simulator
from harness.steps import (
    Concurrently,
    Configure,
    Crash,
    Drift,
    PlatformFault,
    Register,
    ShopifyFault,
    Step,
    Unregister,
)
from harness.targets.python import load_integration
from harness.world import default_world

NO_RETRY = EXAMPLES["no_retry"].target
STATE_TRACKED = EXAMPLES["state_tracked"].target
SWALLOW = EXAMPLES["retry_then_swallow"].target


# --- the timing model ------------------------------------------------------------------------


@given(
    low=st.floats(0.0, 100.0),
    span=st.floats(0.0, 1000.0),
    seed=st.integers(0, 10**6),
    ordinal=st.integers(0, 10**4),
)
def test_a_platform_gap_lies_in_its_range_and_is_a_function_of_seed_and_ordinal(
    low: float, span: float, seed: int, ordinal: int
) -> None:
    timing = PlatformTiming(min_gap=low, max_gap=low + span, seed=seed)

    gap = timing.gap(ordinal)

    assert gap == timing.gap(ordinal)
    if timing.max_gap == 0:
        assert gap == 0
    else:
        assert max(low, 1e-3) - 1e-3 <= gap <= low + span + 1e-3


def test_bursting_timing_has_no_gap_and_a_bad_range_is_refused() -> None:
    assert PlatformTiming.bursting().burst
    assert PlatformTiming.bursting().gap(3) == 0
    assert not PlatformTiming().burst
    with pytest.raises(OptionsError, match="min_gap <= max_gap"):
        PlatformTiming(min_gap=10, max_gap=1)
    with pytest.raises(OptionsError):
        PlatformTiming(min_gap=0, max_gap=math.inf)


def test_hook_steps_are_spaced_and_other_steps_are_not() -> None:
    timing = PlatformTiming(min_gap=30.0, max_gap=30.0)
    with Simulator(load_integration(NO_RETRY), options=Options(timing=timing)) as sim:
        session = sim.session()
        start = sim.vtime.now()
        session.execute(ShopifyFault(HttpError(500), Match(action="get_webhook"), Nth(1)))
        assert sim.vtime.now() == start
        session.execute(Register())
        session.execute(Register())

    assert (sim.vtime.now() - start).total_seconds() >= 60.0


def test_eight_spaced_registers_never_meet_the_fakes_rate_limit() -> None:
    with Simulator(load_integration(NO_RETRY)) as sim:
        result = sim.run([Register()] * 8)

    limited = [e for r in result.history.records for c in r.calls for e in c.limited]
    assert limited == []
    assert result.violations == []


def test_a_429_of_the_fakes_own_limit_makes_the_step_faulted_never_idempotent() -> None:
    # In a burst, eight registers at one virtual instant fill the 40-request bucket: the
    # fake's own 429 must count as a fault (reported, convergence of the next fault-free
    # step), never as a failed fault-free register.
    opts = Options(timing=PlatformTiming.bursting())
    with Simulator(load_integration(NO_RETRY), options=opts) as sim:
        result = sim.run([Register()] * 8)

    limited = [(r, c) for r in result.history.records for c in r.calls if c.limited]
    assert limited, "the burst was expected to meet the fake's rate limit"
    for record, call in limited:
        assert record.faulted
        assert call.faulted
        assert call.limited[0].limit == "429"
        assert call.limited[0].fault_note == "the fake's own rate limit"
    assert result.violations == []


def test_a_swallowed_429_of_the_fakes_own_limit_is_reported() -> None:
    # Silent swallows every error without retrying. At one instant: six register/unregister
    # pairs (36 requests) and four unregisters with nothing to delete (4) empty the bucket of
    # 40; the next register's first request gets the fake's own 429.
    opts = Options(timing=PlatformTiming.bursting())
    silent = load_integration(f"{Path(__file__).with_name('lifecycle_targets.py')}:Silent")
    with Simulator(silent, options=opts) as sim:
        result = sim.run([Register(), Unregister()] * 6 + [Unregister()] * 4 + [Register()])

    reported = [v for v in result.violations if v.property == "reported"]
    assert reported, [v.message for v in result.violations]
    assert "the fake's own rate limit" in reported[0].message
    assert not {"idempotent", "convergent", "clean"} & {v.property for v in result.violations}


def test_a_scenario_asks_for_a_burst_and_a_recorded_burst_says_so(tmp_path: Path) -> None:
    text = (
        "version: 1\nname: burst\nintegration: {t}\noptions: {{burst: true}}\n"
        "steps:\n" + "  - register\n" * 8
    ).format(t=NO_RETRY)
    scenario = loads_scenario(text)
    assert scenario.options.burst

    result = replay(scenario)

    assert result.passed, result.summary()
    records = result.history.records if result.history else []
    assert any(c.limited for r in records for c in r.calls)
    with pytest.raises(Exception, match="burst"):
        loads_scenario(text.replace("burst: true", "burst: 3"))


# --- persistent faults -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persistent",
    [
        Drift("revoke_token"),
        Drift("remove_scope"),
        ShopifyFault(HttpError(500), Match(), Always()),
        ShopifyFault(HttpError(403), Match(), Next(8)),
        ShopifyFault(Latency(120.0), Match(), Always()),
    ],
    ids=["revoked-token", "removed-scope", "always-500", "next-8-403", "long-latency"],
)
def test_persistent_faults_find_the_retry_then_swallow_bug(persistent: Step) -> None:
    with Simulator(load_integration(SWALLOW)) as sim:
        result = sim.run([persistent, Register()])

    assert "reported" in {v.property for v in result.violations}, [
        v.message for v in result.violations
    ]


def test_transient_faults_alone_never_find_the_retry_then_swallow_bug() -> None:
    with Simulator(load_integration(SWALLOW)) as sim:
        for schedule in (Nth(1), Nth(4), Next(1), Next(3)):
            result = sim.run([ShopifyFault(HttpError(500), Match(), schedule), Register()])
            assert result.violations == [], schedule


@pytest.mark.parametrize("change", ["revoke_token", "remove_scope"])
def test_a_correct_integration_under_a_persistent_fault_is_faulted_not_failing(
    change: str,
) -> None:
    steps: list[Step] = [Register(), Drift(change), Register(), Register(), Unregister()]  # type: ignore[arg-type]
    with Simulator(load_integration(NO_RETRY)) as sim:
        result = sim.run(steps)

    assert result.violations == [], [v.message for v in result.violations]
    for record in result.history.records[2:]:
        assert record.faulted
        assert record.calls[0].conditions


def test_a_new_token_ends_a_revocation() -> None:
    steps: list[Step] = [Register(), Drift("revoke_token"), Configure(), Register()]
    with Simulator(load_integration(NO_RETRY)) as sim:
        result = sim.run(steps)

    assert result.violations == []
    assert not result.history.records[-1].faulted
    assert result.history.records[-1].calls[0].outcome.ok


# --- crash points ------------------------------------------------------------------------------


def test_a_crash_before_set_state_is_reached_and_the_platform_calls_are_recorded() -> None:
    with Simulator(load_integration(STATE_TRACKED)) as sim:
        clean = sim.run([Register()])
        crashed = sim.run([Crash(call="set_state", at=1), Register(), Unregister()])

    calls = clean.history.records[0].calls[0].platform_calls
    assert any(line.startswith("set_state") for line in calls), calls
    first = crashed.history.records[0].calls[0]
    assert first.outcome.crashed
    assert first.unreached is None
    assert not any(line.startswith("set_state") for line in first.platform_calls)
    assert crashed.violations == [], [v.message for v in crashed.violations]


def test_a_crash_after_a_platform_call_lets_the_call_happen() -> None:
    with Simulator(load_integration(STATE_TRACKED)) as sim:
        clean = sim.run([Register()])
        n = len(clean.history.records[0].calls[0].platform_calls)
        result = sim.run([Crash(call="platform", at=n, when="after")])

    call = result.history.records[0].calls[0]
    assert call.outcome.crashed
    assert len(call.platform_calls) == n  # the last call went through before the abort


def test_a_crash_after_the_last_request_keeps_what_it_did() -> None:
    with Simulator(load_integration(NO_RETRY)) as sim:
        clean = sim.run([Register()])
        n = len(clean.history.records[0].calls[0].exchanges)
        result = sim.run([Crash(at=n, when="after")])

    record = result.history.records[0]
    assert record.calls[0].outcome.crashed
    assert record.world.bot("bot1").same_as(clean.history.records[0].world.bot("bot1"))


def test_a_replayed_scenario_whose_crash_point_is_never_reached_fails_and_says_so() -> None:
    text = (
        f"version: 1\nname: unreached\nintegration: {NO_RETRY}\n"
        "steps:\n  - crash: {at: 40}\n  - register\n"
    )

    result = replay(loads_scenario(text))

    assert not result.passed
    assert result.unreached[0].startswith("step 1: crash point 40 (before request 40) never")
    assert "the hook made 4 requests" in result.summary()


def test_a_replayed_scenario_whose_fault_is_never_reached_fails_and_says_so() -> None:
    text = (
        f"version: 1\nname: unreached\nintegration: {NO_RETRY}\n"
        "steps:\n  - platform_fault: {method: set_state}\n  - register\n"
    )

    result = replay(loads_scenario(text))

    assert not result.passed
    assert "never reached: no platform API call matched it" in result.summary()


def test_a_library_scenario_that_does_not_apply_passes_as_not_applicable() -> None:
    scenario = load_scenario(library_dir() / "crash-between-create-and-save.scenario.yaml")

    stateless = replay(scenario, integration=NO_RETRY)
    stateful = replay(scenario, integration=STATE_TRACKED)

    assert stateless.passed
    assert not stateless.applicable
    assert stateless.summary().startswith("not applicable: step 1: crash point 1")
    assert stateful.passed
    assert stateful.applicable
    assert stateful.unreached == ()
    assert stateful.history is not None
    assert stateful.history.records[0].calls[0].outcome.crashed


@pytest.mark.parametrize("name", ["crash-between-create-and-save", "crash-during-unregister"])
def test_the_library_crash_scenarios_crash_for_a_stateful_integration(name: str) -> None:
    result = replay(
        load_scenario(library_dir() / f"{name}.scenario.yaml"), integration=STATE_TRACKED
    )

    assert result.passed, result.summary()
    assert result.applicable, result.summary()
    assert result.history is not None
    crashed = [c for r in result.history.records for c in r.calls if c.outcome.crashed]
    assert crashed


def test_overlapping_calls_are_one_burst_after_one_gap() -> None:
    timing = PlatformTiming(min_gap=50.0, max_gap=50.0)
    with Simulator(load_integration(NO_RETRY), options=Options(timing=timing)) as sim:
        session = sim.session(default_world(bots=2))
        start = sim.vtime.now()
        session.execute(Concurrently((Register("bot1"), Register("bot2"))))

    assert 50.0 <= (sim.vtime.now() - start).total_seconds() < 100.0


def test_a_platform_fault_never_met_is_listed_by_the_session() -> None:
    with Simulator(load_integration(NO_RETRY)) as sim:
        session = sim.session()
        session.execute(PlatformFault(500, "get_state"))
        session.execute(Register())

    assert session.unreached() == [
        "step 1: fault pfault-1 (platform_fault status=500 method=get_state schedule=Next(k=1)) "
        "never reached: no platform API call matched it (the hooks made 0 platform API calls "
        "after it)"
    ]


# --- evidence ----------------------------------------------------------------------------------


def test_evidence_holds_platform_calls_and_says_raised_or_returned() -> None:
    from harness.reports.markdown import sequence_diagram
    from harness.reports.render import render_violation

    # overwritten_ids stores its ids in a platform state: the second register's evidence
    # shows the state write that overwrote them.
    with Simulator(load_integration(EXAMPLES["overwritten_ids"].target)) as sim:
        result = sim.run([Register(), Register()])

    v = next(v for v in result.violations if v.property == "idempotent")
    assert any(line.startswith("state API: ") for line in v.evidence.platform)
    assert v.evidence.outcomes[0].startswith("bot1 register: status registered, returned")
    assert "state API: " in render_violation(v)
    record = result.history.records[v.step_index]
    diagram = "\n".join(sequence_diagram(v, record=record))
    assert "I->>P: state API: " in diagram


def test_a_limit_answer_and_a_persistent_fault_show_in_the_diagram() -> None:
    from harness.reports.markdown import sequence_diagram

    with Simulator(load_integration(SWALLOW)) as sim:
        result = sim.run([Drift("revoke_token"), Register()])

    v = next(v for v in result.violations if v.property == "reported")
    assert "its access token was revoked" in v.message
    assert "persistent fault: its access token was revoked" in v.evidence.platform
    record = result.history.records[v.step_index]
    # One lifeline per shop (S1, S2, ...): the note spans the integration and the shop's lifeline.
    assert re.search(
        r"Note over I,S\d+: persistent fault", "\n".join(sequence_diagram(v, record=record))
    )


# --- minimal witnesses ---------------------------------------------------------------------------


def test_shrinking_simplifies_steps_and_drops_bots_shops_and_crowds() -> None:
    from harness.exploration import same_bug, shrink

    world = default_world(bots=3, shops=2, crowd=60, other_apps=3)
    steps: tuple[Step, ...] = (
        ShopifyFault(HttpError(503), Match(action="get_webhook"), Always()),
        Register("bot2"),
        Concurrently((Register("bot1"), Unregister("bot2"))),
        Configure("bot1"),
        Register("bot1"),
    )
    with Simulator(load_integration(EXAMPLES["duplicate_webhooks"].target)) as sim:
        first = sim.run(steps, world=world)
        target = next(v for v in first.violations if v.property == "idempotent")
        small, spec, witness = shrink(sim, steps, world=world, keeps_failing=same_bug(target))

    assert witness is not None
    assert witness.property == "idempotent"
    assert small == (Register("bot1"), Register("bot1"))
    assert [b.name for b in spec.bots] == ["bot1"]
    assert len(spec.shops) == 1
    assert (spec.shops[0].crowd, spec.shops[0].other_apps) == (0, 0)
    assert witness.world == spec


def test_shrinking_stops_at_its_time_bound() -> None:
    from harness.exploration import same_bug, shrink

    steps: tuple[Step, ...] = (Register(), Register(), Register(), Register())
    with Simulator(load_integration(EXAMPLES["duplicate_webhooks"].target)) as sim:
        target = next(v for v in sim.run(steps).violations if v.property == "idempotent")
        small, _, witness = shrink(
            sim, steps, world=sim.world, keeps_failing=same_bug(target), seconds=0.0
        )

    assert witness is not None
    assert small == steps  # no time for a single candidate


def test_a_long_retry_loop_is_summarised_in_the_evidence() -> None:
    with Simulator(load_integration(SWALLOW)) as sim:
        result = sim.run([Drift("revoke_token"), Register()])

    v = next(v for v in result.violations if v.property == "reported")
    assert len(result.history.records[-1].calls[0].exchanges) == 18  # 3 topics x 6 attempts
    assert len(v.evidence.exchanges) == 9
    assert v.evidence.exchanges[-2] == "... 10 more request(s) (18 in all) ..."
