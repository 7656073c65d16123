"""``check``: everything ``lifecycle-harness check TARGET`` does, as a library call.

Order of work, cheapest and most telling first:

1. probes: a dozen fixed lifecycles that show each bug class of docs/examples.md in a few
   steps (repeated registers, drift, lost state, token rotation, faults on creation, a crowded
   shop, several bots on one shop and on several shops); their failures are shrunk greedily;
2. crash enumeration (``harness.exploration.enumerate_crashes``);
3. Hypothesis exploration for the properties nothing has violated yet, with the example budget.

Before all of them, the shipped scenario library is replayed (``library=False`` skips it); every
violation found is written as a minimal scenario file into ``record_dir`` when one is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from fake_shopify.faults import HttpError, Match, Nth, TransportError
from fake_shopify.served import shared_ca
from harness.exploration import (
    crash_plans,
    dedupe,
    enumerate_crashes,
    explore,
    same_bug,
    shrink_steps,
)
from harness.options import PROPERTY_IDS, Options
from harness.profiles import profile as get_profile
from harness.properties import Violation
from harness.reports.render import CheckReport
from harness.runtime import watch
from harness.runtime.vtime import frozen_run, real_monotonic
from harness.scenarios import load_library
from harness.scenarios.replay import ScenarioResult, record_violations
from harness.scenarios.runner import replay_all
from harness.simulator import Simulator
from harness.steps import (
    Concurrently,
    Configure,
    Drift,
    LoseState,
    Register,
    ShopifyFault,
    Step,
    Unregister,
)
from harness.targets.node import NodeIntegration
from harness.targets.python import Integration, load_integration
from harness.world import WorldSpec, default_world

__all__ = ["CheckReport", "Probe", "Progress", "check", "probes"]


@dataclass(frozen=True)
class Progress:
    """Reported to the ``progress`` callback as work advances."""

    phase: str  # "library" | "probes" | "crashes" | "explore" | "done"
    done: int
    total: int
    violations: int


@dataclass(frozen=True)
class Probe:
    """A fixed lifecycle on a world derived from the configuration."""

    name: str
    steps: tuple[Step, ...]
    bots: int = 1
    shops: int = 1
    crowd: int = 0
    other_apps: int = 0


def probes() -> tuple[Probe, ...]:
    """The fixed lifecycles ``check`` runs first (each targets a bug class of docs/examples.md)."""
    b1, b2 = "bot1", "bot2"
    return (
        Probe(
            "register twice, unregister twice", (Register(), Register(), Unregister(), Unregister())
        ),
        Probe("unregister with nothing to clean", (Unregister(),)),
        Probe("Shopify removed a subscription", (Register(), Drift(), Register(), Unregister())),
        Probe("platform state lost", (Register(), LoseState(), Register(), Unregister())),
        Probe("token rotation", (Register(), Configure(), Register(), Unregister())),
        Probe(
            "creation fails",
            (
                ShopifyFault(HttpError(500), Match(action="create_webhook"), Nth(1)),
                Register(),
                Register(),
                Unregister(),
            ),
        ),
        Probe(
            "register fails midway",
            (
                Register(),
                ShopifyFault(HttpError(500), Match(action="create_webhook"), Nth(2)),
                Register(),
                Unregister(),
            ),
        ),
        Probe(
            "connection error",
            (
                ShopifyFault(TransportError("connect_error"), Match(), Nth(1)),
                Register(),
                Register(),
                Unregister(),
            ),
        ),
        Probe("unauthorized", (ShopifyFault(HttpError(401), Match(), Nth(1)), Register())),
        Probe("crowded shop", (Register(), Register(), Unregister()), crowd=260, other_apps=3),
        Probe(
            "two bots, one shop",
            (Register(b1), Register(b2), Unregister(b1), Register(b2), Unregister(b2)),
            bots=2,
        ),
        Probe(
            "two shops at once",
            (
                Concurrently((Register(b1), Register(b2))),
                Concurrently((Unregister(b1), Unregister(b2))),
            ),
            bots=2,
            shops=2,
        ),
    )


def _probe_world(base: WorldSpec, probe: Probe) -> WorldSpec:
    return default_world(
        base.template,
        bots=probe.bots,
        shops=probe.shops,
        crowd=probe.crowd,
        other_apps=probe.other_apps,
        shop_key=base.shop_key,
        token_key=base.token_key,
    )


@contextmanager
def _one_clock() -> Iterator[None]:
    """freezegun starts once for the whole run, not once per simulator (one per library
    scenario). The test CA the served fakes use is made first: it cannot sign a certificate
    while time is frozen (``Simulator.start`` makes it before its own clock starts)."""
    shared_ca()
    with frozen_run():
        yield


@_one_clock()
def check(
    target: str | Integration | NodeIntegration,
    *,
    configuration: Mapping[str, object] | None = None,
    shop_key: str = "shopName",
    token_key: str = "access_token",
    examples: int | None = None,
    seed: int | None = 0,
    database: bool = False,
    max_steps: int | None = None,
    profile: str | None = None,
    options: Options | None = None,
    record_dir: str | Path | None = None,
    library: bool = True,
    progress: Callable[[Progress], None] | None = None,
    on_violation: Callable[[Violation], None] | None = None,
) -> CheckReport:
    """Check an integration against every enabled property; see the module docstring.

    ``database``: Hypothesis' example database in the exploration (see ``explore``).
    ``on_violation``: hears each violation as soon as it is found (before de-duplication), so a
    supervisor keeps what was found when a later step takes the run down.
    Raises ``harness.targets.python.IntegrationLoadError`` for a target that cannot be loaded.
    """
    started = real_monotonic()
    timings: dict[str, float] = {}
    chosen = get_profile(profile)
    n_examples = chosen.examples if examples is None else examples
    steps_bound = chosen.max_steps if max_steps is None else max_steps
    integration = (
        target if isinstance(target, Integration | NodeIntegration) else load_integration(target)
    )
    timings["load"] = real_monotonic() - started
    world = default_world(configuration, shop_key=shop_key, token_key=token_key)
    opts = options if options is not None else Options()
    if record_dir is not None:
        Path(record_dir).mkdir(parents=True, exist_ok=True)

    probe_list = probes()
    found: list[Violation] = []
    from_library: list[Violation] = []
    done = 0
    scenarios = load_library() if library else []
    # The crash plans are counted first (a fault-free run of each hook), so the progress total
    # is known from the start and never jumps mid-run.
    t0 = real_monotonic()
    watcher = watch.current()
    if watcher is not None:
        watcher.phase("counting crash points")
    with Simulator(integration, world=world, options=opts) as counting:
        plans = crash_plans(counting, world=world)
    timings["plans"] = real_monotonic() - t0
    total = len(scenarios) + len(probe_list) + len(plans) + n_examples

    def found_one(violation: Violation) -> None:
        found.append(violation)
        if on_violation is not None:
            on_violation(violation)

    def phase(name: str) -> None:
        watcher = watch.current()
        if watcher is not None:
            watcher.phase(name)

    def tick(phase: str, step: int = 1) -> None:
        nonlocal done
        done += step
        if progress is not None:
            progress(Progress(phase, min(done, total), total, len(merged(found, from_library))))

    def on_scenario(result: ScenarioResult) -> None:
        from_library.extend(result.violations)
        tick("library")
        if on_violation is not None:
            for v in result.violations:
                on_violation(v)

    # The scenario library first: each scenario on a simulator of its own (its own clock).
    t0 = real_monotonic()
    replayed = replay_all(
        scenarios,
        integration=integration,
        configuration=configuration,
        shop_key=shop_key,
        token_key=token_key,
        options=opts,
        on_scenario=on_scenario,
        strict_references=False,
    )
    # Kept aside until the end: probes, crashes and exploration run as if the library had found
    # nothing, and their shrunk witnesses stand for every property they found; the library adds
    # the properties they missed (its own results are in ``CheckReport.library`` either way).
    # The progress bar counts with the same rule (``merged``), so its last count is the report's.
    timings["library"] = real_monotonic() - t0

    with Simulator(integration, world=world, options=opts) as sim:
        t0 = real_monotonic()
        for probe in probe_list:
            phase(f"probe: {probe.name}")
            pworld = _probe_world(world, probe)
            result = sim.run(probe.steps, world=pworld)
            for v in dedupe(result.violations):
                steps, witness = shrink_steps(
                    sim,
                    probe.steps[: v.step_index + 1],
                    world=pworld,
                    keeps_failing=same_bug(v),
                )
                if witness is not None:
                    found_one(witness.with_steps(steps).with_world(pworld))
            tick("probes")
        timings["probes"] = real_monotonic() - t0

        t0 = real_monotonic()
        phase("crash points")
        for v in enumerate_crashes(sim, world=world, plans=plans, on_plan=lambda: tick("crashes")):
            found_one(v)
        timings["crashes"] = real_monotonic() - t0

        t0 = real_monotonic()
        remaining = set(opts.properties) - {v.property for v in found}
        if remaining and n_examples > 0:
            phase("exploration")
            explored = explore(
                sim,
                world=world,
                options=replace(opts, properties=frozenset(remaining)),
                examples=n_examples,
                seed=seed,
                database=database,
                max_steps=steps_bound,
                on_example=lambda: tick("explore"),
            )
            for v in explored:
                found_one(v)
        timings["explore"] = real_monotonic() - t0

    violations = sorted(
        merged(found, from_library), key=lambda v: (PROPERTY_IDS.index(v.property), len(v.steps))
    )
    timings["total"] = real_monotonic() - started
    if progress is not None:
        progress(Progress("done", total, total, len(violations)))
    report = CheckReport(
        integration=integration.name,
        seed=seed,
        examples=n_examples,
        violations=violations,
        timings=timings,
        scenarios_passed=sum(1 for r in replayed if r.passed),
        library=[(r.scenario.name, r.passed, "" if r.passed else r.summary()) for r in replayed],
        notices=sim.coverage.notices(),
    )
    if record_dir is not None:
        record(report, record_dir, options=opts)
    return report


def merged(found: Sequence[Violation], from_library: Sequence[Violation]) -> list[Violation]:
    """The report's violations: what probes, crashes and exploration found, plus the library's
    violations of the properties they did not find, de-duplicated."""
    elsewhere = {v.property for v in found}
    return dedupe([*found, *(v for v in from_library if v.property not in elsewhere)])


def record(
    report: CheckReport,
    record_dir: str | Path,
    *,
    options: Options | None = None,
) -> None:
    """Write each violation of ``report`` as a scenario file; fill ``report.scenarios``."""
    written = record_violations(
        report.violations, record_dir, integration=report.integration, options=options
    )
    report.scenarios.update({i: str(p) for i, p in written.items()})
