"""Replay on the simulator: determinism, expectations, seeds; recording reproduces violations."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from fake_shopify.faults import HttpError, Match, Nth, TransportError
from harness.common.project import shown_target
from harness.options import IMPLEMENTED_PROPERTIES
from harness.scenarios import (
    Expect,
    Scenario,
    ScenarioError,
    ScenarioOptions,
    SeedState,
    SeedSubscription,
    WorldDecl,
    load_library,
    load_scenario,
    loads_scenario,
)
from harness.scenarios.replay import (
    ScenarioResult,
    options_for,
    record_violation,
    replay,
    scenario_for,
    world_decl,
    world_spec,
)
from harness.steps import (
    Concurrently,
    Configure,
    Drift,
    Register,
    ShopifyFault,
    Step,
    Unregister,
)

HERE = Path(__file__).parent / "integrations" / "buggy_integrations.py"
TOKEN = "shpat_" + "7" * 32
CONFIG: dict[str, object] = {"shopName": "acme", "access_token": TOKEN}


def target(name: str) -> str:
    return f"{HERE}:{name}"


def fingerprint(result: ScenarioResult) -> object:
    """Everything observable about a replay, for comparing runs."""
    assert result.history is not None
    return (
        [(v.property, v.message, v.step_index, v.evidence) for v in result.violations],
        [(v.property, v.message) for v in result.expected],
        result.missing,
        [
            (r.world, [(c.bot, c.operation, c.outcome, len(c.exchanges)) for c in r.calls])
            for r in result.history.records
        ],
    )


# Steps under which each buggy integration breaks the property it is named after.
SHOWS: dict[str, tuple[tuple[Step, ...], WorldDecl]] = {
    "idempotent": ((Register(), Register()), WorldDecl()),
    "convergent": ((Register(), Drift(), Register()), WorldDecl()),
    "clean": ((Register(), Unregister()), WorldDecl()),
    "reported": (
        (ShopifyFault(HttpError(500), Match(action="create_webhook"), Nth(1)), Register()),
        WorldDecl(),
    ),
    "tolerant_unregister": ((Unregister(),), WorldDecl()),
    "no_secret_leak": ((Register(),), WorldDecl()),
    "tenant_isolation": (
        (Concurrently((Register("bot1"), Register("bot2"))),),
        WorldDecl(bots=2, shops=2),
    ),
    "exactly_once": ((Register(),), WorldDecl()),
}


def test_every_implemented_property_has_a_buggy_integration() -> None:
    assert set(SHOWS) == set(IMPLEMENTED_PROPERTIES)


@pytest.mark.parametrize("prop", sorted(SHOWS))
def test_a_recorded_violation_replays_to_the_same_violation(prop: str, tmp_path: Path) -> None:
    steps, world = SHOWS[prop]
    found = replay(
        Scenario(name="probe", steps=steps, world=world, configuration=CONFIG),
        integration=target(prop),
    )
    (violation,) = [v for v in found.violations if v.property == prop][:1]
    path = record_violation(violation, tmp_path / "recorded", integration=target(prop))
    text = path.read_text()
    assert TOKEN not in text  # secrets become placeholders
    assert "access_token: <access_token>" in text
    # The target as printed: a file path relative to the project root (this repository).
    assert f"lifecycle-harness replay {path} --integration {shown_target(target(prop))}" in text
    recorded = load_scenario(path)
    assert recorded.name == path.name.removesuffix(".scenario.yaml")
    assert recorded.name.startswith(f"{prop}-")
    assert recorded.steps == violation.steps
    again = replay(recorded)  # the file names its integration
    assert not again.passed
    assert prop in {v.property for v in again.violations}
    # Recording the same violation again writes the same file (same name, same text).
    assert record_violation(violation, tmp_path / "recorded", integration=target(prop)) == path
    assert path.read_text() == text


def test_replay_is_deterministic_100_times_out_of_100() -> None:
    # Faults, drift, a token rotation, two tenants and overlapping calls. The hooks
    # are async: overlapping async calls interleave on the virtual event loop, deterministically
    # (overlapping plain hooks run on OS threads; see docs/decisions.md).
    scenario = Scenario(
        name="busy",
        configuration=CONFIG,
        world=WorldDecl(bots=2, shops=2),
        steps=(
            ShopifyFault(TransportError("read_timeout"), Match(action="create_webhook"), Nth(2)),
            Concurrently((Register("bot1"), Register("bot2"))),
            Register("bot1"),
            Drift(),
            Configure("bot2"),
            Concurrently((Unregister("bot1"), Unregister("bot2"))),
        ),
    )
    first = replay(scenario, integration=target("tenant_isolation"))
    assert not first.passed  # the run has something to compare beyond "nothing happened"
    reference = fingerprint(first)
    same = sum(
        fingerprint(replay(scenario, integration=target("tenant_isolation"))) == reference
        for _ in range(99)
    )
    assert same == 99


@pytest.mark.parametrize("scenario", load_library(), ids=lambda s: s.name)
def test_library_replays_are_deterministic(scenario: Scenario) -> None:
    runs = [
        fingerprint(replay(scenario, integration=target("tenant_isolation"), configuration=CONFIG))
        for _ in range(3)
    ]
    assert runs[1:] == runs[:1] * 2


def test_expect_violated_pins_a_known_bug() -> None:
    steps = (Register(), Unregister())
    pinned = Scenario(
        name="pin",
        steps=steps,
        configuration=CONFIG,
        expect=Expect(properties=("idempotent", "clean", "reported"), violated=("clean",)),
    )
    result = replay(pinned, integration=target("clean"))
    assert result.passed
    assert [v.property for v in result.expected] == ["clean"]
    assert result.summary() == "passed (pinned: clean)"
    fixed = replay(pinned, integration=target("correct"))
    assert not fixed.passed
    assert fixed.missing == ("clean",)
    assert fixed.summary() == "expected violation gone: clean"


def test_expect_properties_limits_what_is_checked() -> None:
    only_idempotent = Scenario(
        name="only",
        steps=(Register(), Unregister()),
        configuration=CONFIG,
        expect=Expect(properties=("idempotent",)),
    )
    assert replay(only_idempotent, integration=target("clean")).passed
    assert not replay(replace(only_idempotent, expect=Expect()), integration=target("clean")).passed


def test_properties_the_harness_cannot_check_are_reported_as_unchecked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import harness.scenarios.replay as module

    # As it was before event delivery existed: exactly_once accepted, not checked.
    monkeypatch.setattr(module, "IMPLEMENTED_PROPERTIES", IMPLEMENTED_PROPERTIES[:7])
    scenario = Scenario(
        name="e",
        steps=(Register(),),
        configuration=CONFIG,
        expect=Expect(violated=("exactly_once",)),
    )
    result = replay(scenario, integration=target("exactly_once"))
    assert result.unchecked == ("exactly_once",)
    assert result.missing == ()  # not "gone": it was never looked for
    assert result.passed
    assert replay(scenario, integration=target("correct")).unchecked == ("exactly_once",)


def test_the_command_line_integration_wins_over_the_files() -> None:
    scenario = Scenario(
        name="i",
        steps=(Register(), Unregister()),
        integration=target("clean"),
        configuration=CONFIG,
    )
    assert not replay(scenario).passed
    assert replay(scenario, integration=target("correct")).passed
    with pytest.raises(ScenarioError, match="names no integration; pass one with --integration"):
        replay(replace(scenario, integration=None))


def test_the_runs_configuration_is_used_when_the_file_has_none() -> None:
    scenario = Scenario(name="c", steps=(Register(),))
    result = replay(
        scenario,
        integration=target("no_secret_leak"),
        configuration={"shopName": "zeta", "access_token": TOKEN},
    )
    assert result.world is not None
    assert [s.handle for s in result.world.shops] == ["zeta"]
    assert "no_secret_leak" in {v.property for v in result.violations}


def test_seeded_subscriptions_and_states_are_in_the_initial_world() -> None:
    scenario = Scenario(
        name="seeded",
        configuration=CONFIG,
        world=WorldDecl(
            subscriptions=(
                SeedSubscription(app="same", topic="orders/create", address="<webhook_url:bot1>"),
                SeedSubscription(
                    app="other", topic="products/create", address="https://other.example/h"
                ),
            ),
            states=(SeedState(name="webhooks", payload={"ids": [1]}),),
        ),
        steps=(Register(),),
    )
    result = replay(scenario, integration=target("correct"))
    assert result.history is not None
    initial = result.history.initial
    own = initial.bot("bot1")
    assert len(own.resources) == 1  # the seeded subscription at the bot's own webhook URL
    assert any("webhooks" in key for key, _ in own.states)
    assert len(initial.foreign) == 1  # the other app's
    # The correct integration adopts the existing subscription instead of creating another.
    assert len(result.history.records[-1].world.bot("bot1").resources) == 1


def test_the_clock_of_the_world_is_where_virtual_time_starts() -> None:
    scenario = loads_scenario(
        "version: 1\nname: t\nworld: {clock: 2031-01-15T09:00:00Z}\nsteps: [register]\n"
    )
    result = replay(scenario, integration=target("correct"), configuration=CONFIG)
    assert result.passed
    assert result.history is not None
    exchanges = result.history.records[0].calls[0].exchanges
    assert exchanges  # requests were served in 2031: the pinned 2026-01 version fell forward
    assert all(e.status is not None and e.status < 400 for e in exchanges)


def test_options_map_to_the_simulators() -> None:
    scenario = Scenario(
        name="o",
        steps=(Configure(change="move_shop"),),
        expect=Expect(properties=("idempotent", "clean", "exactly_once")),
        options=ScenarioOptions(
            strictness=(("idempotent", "requests"),), clean_allowlist=("settings",)
        ),
    )
    opts = options_for(scenario)
    assert opts.properties == frozenset({"idempotent", "clean", "exactly_once"})
    assert opts.idempotent_level == "requests"
    assert "move_shop" in opts.configure_changes
    assert opts.clean_allowlist == ("settings",)


def test_the_runs_options_bound_and_tighten_the_scenarios() -> None:
    from harness.options import Options

    scenario = Scenario(name="o", steps=(Register(),))
    opts = options_for(
        scenario, Options(properties=frozenset({"clean", "reported"}), idempotent_level="requests")
    )
    assert opts.properties == frozenset({"clean", "reported"})
    assert opts.idempotent_level == "requests"


def test_world_decl_inverts_world_spec() -> None:
    decl = WorldDecl(bots=3, shops=2, crowd=260, other_apps=3)
    spec = world_spec(Scenario(name="w", steps=(Register(),), world=decl), configuration=CONFIG)
    assert world_decl(spec) == decl


def test_scenario_for_checks_what_the_run_checked() -> None:
    found = replay(
        Scenario(name="p", steps=(Register(), Register()), configuration=CONFIG),
        integration=target("idempotent"),
    )
    violation = found.violations[0]
    scenario = scenario_for(violation, integration="pkg:x")
    assert scenario.expect.violated == ()
    assert set(scenario.expect.properties) == set(IMPLEMENTED_PROPERTIES)
    assert violation.message in scenario.description


@pytest.mark.parametrize("scenario", load_library(), ids=lambda s: s.name)
def test_the_correct_integration_passes_the_library(scenario: Scenario) -> None:
    result = replay(scenario, integration=target("correct"), configuration=CONFIG)
    assert result.passed, result.summary()


def test_markdown_report_of_a_replayed_violation(tmp_path: Path) -> None:
    from harness.common.redaction import Redactor
    from harness.reports.markdown import render_markdown
    from harness.reports.render import CheckReport

    found = replay(
        Scenario(name="leak", steps=(Register(), Unregister()), configuration=CONFIG),
        integration=target("no_secret_leak"),
    )
    assert found.history is not None
    violations = [v for v in found.violations if v.property == "no_secret_leak"]
    path = record_violation(violations[0], tmp_path, integration=target("no_secret_leak"))
    report = CheckReport(
        integration=target("no_secret_leak"),
        seed=None,
        examples=0,
        violations=violations,
        scenarios={0: str(path)},
    )
    records = {i: found.record(v.step_index) for i, v in enumerate(violations)}
    text = render_markdown(
        report,
        records={i: r for i, r in records.items() if r is not None},
        redact=Redactor(found.history.secrets).redact,
    )
    assert TOKEN not in text
    assert "### 1. `no_secret_leak`" in text
    assert "    P->>I: register (bot1)" in text
    assert "    I->>S1: GET /admin/api/2026-01/webhooks.json?" in text  # S1: acme's lifeline
    assert "    I->>P: log info: registering with token #60;access_token#62;" in text
    assert f"lifecycle-harness replay {path} --integration" in text


# Each library scenario has teeth: an integration with the bug it is about fails it.
CAUGHT = [
    ("register-five-times", "idempotent", "idempotent"),
    ("subscription-removed-by-shopify", "convergent", "convergent"),
    ("delivery-failures-removal", "convergent", "convergent"),
    ("unregister-nothing-registered", "tolerant_unregister", "tolerant_unregister"),
    ("unregister-twice", "tolerant_unregister", "tolerant_unregister"),
    ("server-error-on-create", "reported", "reported"),
    ("rate-limit-storm", "reported", "reported"),
    ("connect-error-first-request", "reported", "reported"),
    ("error-logged-with-headers", "no_secret_leak", "no_secret_leak"),
    ("two-tenants-at-once", "tenant_isolation", "tenant_isolation"),
    ("same-app-other-bot", "clean", "clean"),
    ("crowded-shop", "clean", "clean"),
    ("one-event-one-delivery", "exactly_once", "exactly_once"),
    ("register-five-times", "exactly_once", "exactly_once"),
]


@pytest.mark.parametrize(("name", "bug", "prop"), CAUGHT)
def test_library_scenarios_catch_the_bug_they_are_about(name: str, bug: str, prop: str) -> None:
    (scenario,) = [s for s in load_library() if s.name == name]
    result = replay(scenario, integration=target(bug), configuration=CONFIG)
    assert prop in {v.property for v in result.violations}, result.summary()


@pytest.mark.parametrize("scenario", load_library(), ids=lambda s: s.name)
def test_every_library_scenario_fails_some_buggy_integration(scenario: Scenario) -> None:
    bugs = sorted(SHOWS)
    assert any(
        not replay(scenario, integration=target(bug), configuration=CONFIG).passed for bug in bugs
    )
