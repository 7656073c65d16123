"""Replay scenario files on the simulator, and record violations as scenario files.

Replay is deterministic and independent of Hypothesis: a fresh ``Simulator`` (fresh fake, state
store and virtual clock) runs the file's steps on the file's world, checking the enabled
properties after every step exactly as exploration does (``harness.properties``).

Recording turns a violation (minimal steps and the world they start from) into a scenario file
that reproduces it: the file expects every property the run checked to hold, so it fails while
the bug is there and passes once it is fixed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from harness.common.project import shown_path, shown_target
from harness.common.redaction import secret_values
from harness.exploration import dedupe
from harness.history import History, StepRecord
from harness.options import IMPLEMENTED_PROPERTIES, Options, PlatformTiming
from harness.properties import Violation
from harness.runtime.vtime import VirtualTime
from harness.scenarios.library import library_dir
from harness.scenarios.model import (
    PROPERTY_IDS,
    STRICTNESS_LEVELS,
    SUFFIX,
    Expect,
    Scenario,
    ScenarioError,
    ScenarioOptions,
    WorldDecl,
)
from harness.scenarios.writer import ScenarioWriteError, dumps_scenario, scenario_data
from harness.simulator import Session, Simulator
from harness.steps import Concurrently, Configure, Drift, Step
from harness.targets.node import NodeIntegration
from harness.targets.python import Integration, load_integration
from harness.world import WorldSpec, default_world

OTHER_APP = "scenario-other-app"  # the app of `app: other` world subscriptions


@dataclass
class ScenarioResult:
    """The outcome of one replay.

    ``violations``: of properties the scenario expects to hold (each is a failure);
    ``expected``: of properties in ``expect.violated`` (found, as pinned);
    ``missing``: properties in ``expect.violated`` that held (the pinned bug is gone);
    ``unchecked``: properties the scenario checks that this harness cannot check (as
    ``exactly_once`` was before event delivery)."""

    scenario: Scenario
    violations: list[Violation] = field(default_factory=list)
    expected: list[Violation] = field(default_factory=list)
    missing: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()
    history: History | None = None
    world: WorldSpec | None = None
    # Crash points and faults the run never reached ("step 1: crash point 2 ... never
    # reached: the hook made 1 request"): the scenario did not test what it says.
    unreached: tuple[str, ...] = ()
    # A shipped library scenario may not apply to every integration (a GraphQL fault against
    # a REST integration, a state crash point against a stateless one): then ``unreached``
    # marks it not applicable instead of failing it.
    lenient: bool = False

    @property
    def passed(self) -> bool:
        return not self.violations and not self.missing and (self.lenient or not self.unreached)

    @property
    def applicable(self) -> bool:
        """False when a lenient (library) scenario never reached what it arms."""
        return not (self.lenient and self.unreached)

    def summary(self) -> str:
        """One line: ``passed`` or what failed."""
        if self.passed:
            pinned = f" (pinned: {', '.join(sorted({v.property for v in self.expected}))})"
            if not self.applicable:
                return "not applicable: " + self.unreached[0]
            return "passed" + (pinned if self.expected else "")
        parts = []
        if self.unreached:
            parts.append("; ".join(self.unreached))
        if self.violations:
            parts.append("violated " + ", ".join(sorted({v.property for v in self.violations})))
        if self.missing:
            parts.append("expected violation gone: " + ", ".join(self.missing))
        return "; ".join(parts)

    def record(self, index: int) -> StepRecord | None:
        """The record of step ``index`` of the replay (for reports)."""
        if self.history is None or not 0 <= index < len(self.history.records):
            return None
        return self.history.records[index]


def world_spec(
    scenario: Scenario,
    *,
    configuration: Mapping[str, object] | None = None,
    shop_key: str = "shopName",
    token_key: str = "access_token",
) -> WorldSpec:
    """The simulator's world for ``scenario``: the file's configuration, else the run's."""
    chosen = scenario.configuration if scenario.configuration is not None else configuration
    if scenario.configuration is not None and shop_key not in scenario.configuration:
        # Without it the world would fall back to the default shop: not what the file meant.
        raise ScenarioError(
            f"{_where(scenario)}the configuration has no {shop_key!r} (the shop key): add the "
            f"shop handle, or pass the run's shop key if the file uses another"
        )
    w = scenario.world
    return default_world(
        chosen,
        bots=w.bots,
        shops=w.shops,
        crowd=w.crowd,
        other_apps=w.other_apps,
        shop_key=shop_key,
        token_key=token_key,
    )


def options_for(scenario: Scenario, base: Options | None = None) -> Options:
    """The simulator's options for ``scenario`` (properties, strictness, allowlist)."""
    # What the run checks (``check``'s options) bounds what a scenario checks, and the run's
    # stricter levels apply to the scenario too.
    base = base if base is not None else Options()
    checked = frozenset(
        p
        for p in scenario.expect.properties
        if p in IMPLEMENTED_PROPERTIES and p in base.properties
    )
    level = scenario.options.level("idempotent")
    if base.idempotent_level == "requests":
        level = "requests"
    changes = base.configure_changes
    if any(_moves_shop(step) for step in scenario.steps) and "move_shop" not in changes:
        changes = (*changes, "move_shop")
    return replace(
        base,
        properties=checked,
        idempotent_level="requests" if level == "requests" else "world",
        configure_changes=changes,
        clean_allowlist=scenario.options.clean_allowlist or base.clean_allowlist,
        timing=PlatformTiming.bursting() if scenario.options.burst else base.timing,
    )


def _moves_shop(step: Step) -> bool:
    if isinstance(step, Concurrently):
        return any(_moves_shop(s) for s in step.steps)
    return isinstance(step, Configure) and step.change == "move_shop"


def replay(
    scenario: Scenario,
    *,
    integration: Integration | str | object | None = None,
    configuration: Mapping[str, object] | None = None,
    shop_key: str = "shopName",
    token_key: str = "access_token",
    options: Options | None = None,
    strict_references: bool = True,
) -> ScenarioResult:
    """Run ``scenario`` once on a fresh simulator and judge it against its expectations.

    ``strict_references``: a step that names what the run does not have (a drift index past
    the bot's subscriptions) raises ``ScenarioError`` instead of doing nothing. ``check`` turns
    it off for the shipped library, whose scenarios are generic: against an integration that
    subscribes nothing, such a step has nothing to act on (the report's coverage notice says so).

    ``integration`` (the command line's ``--integration``: a target string, a loaded
    ``Integration`` or an object with the hooks) wins over the file's own; one of them must
    name the target. Raises ``ScenarioError`` when neither does, and
    ``harness.targets.python.IntegrationLoadError`` when the target cannot be loaded."""
    target = integration if integration is not None else scenario.integration
    if target is None:
        raise ScenarioError(
            f"scenario {scenario.name!r} names no integration; pass one with --integration"
        )
    # A target string, a loaded Integration, or any object with the hooks (as load_integration).
    loaded = (
        target if isinstance(target, Integration | NodeIntegration) else load_integration(target)
    )
    spec = world_spec(scenario, configuration=configuration, shop_key=shop_key, token_key=token_key)
    opts = options_for(scenario, options)
    sim = Simulator(loaded, world=spec, options=opts)
    if scenario.world.clock is not None:
        # The simulator reads its clock only once started, so a scenario may choose where
        # virtual time begins (API-version support is computed from it).
        sim.vtime = VirtualTime(start=scenario.world.clock)
    with sim.running():
        session = sim.session(spec)
        _seed(session, scenario)
        found: list[Violation] = []
        for number, step in enumerate(scenario.steps, start=1):
            if strict_references:
                _check_reference(session, scenario, number, step)
            found.extend(session.step(step))
        history = session.history
        unreached = tuple(session.unreached())
    found = [v.with_world(spec) for v in dedupe(found)]
    violated = set(scenario.expect.violated)
    return ScenarioResult(
        scenario=scenario,
        violations=[v for v in found if v.property not in violated],
        expected=[v for v in found if v.property in violated],
        missing=tuple(
            p
            for p in scenario.expect.violated
            if p in IMPLEMENTED_PROPERTIES and not any(v.property == p for v in found)
        ),
        unchecked=tuple(p for p in scenario.expect.properties if p not in IMPLEMENTED_PROPERTIES),
        history=history,
        world=spec,
        unreached=unreached,
        lenient=_in_library(scenario),
    )


def _in_library(scenario: Scenario) -> bool:
    if scenario.source is None:
        return False
    try:
        return scenario.source.resolve().parent == library_dir().resolve()
    except OSError:
        return False


def _where(scenario: Scenario) -> str:
    return f"{scenario.source}: " if scenario.source is not None else f"scenario {scenario.name}: "


def _check_reference(session: Session, scenario: Scenario, number: int, step: Step) -> None:
    """A step that refers to something the run does not have is an error, not a pass: a drift
    removing the bot's ``index``-th subscription when it has fewer would do nothing."""
    if isinstance(step, Drift) and step.change != "foreign_subscription":
        count = len(session.subscriptions_of(step.bot))
        if step.index >= count:
            have = f"has {count} subscription{'s' if count != 1 else ''}"
            raise ScenarioError(
                f"{_where(scenario)}step {number} ({step.change}) names subscription index "
                f"{step.index} of {step.bot}, which {have} at that point (indices from 0)"
            )


def _seed(session: Session, scenario: Scenario) -> None:
    """Apply what ``WorldSpec`` does not carry: the fake's options, seeded subscriptions and
    platform states; then observe the initial world again so the seeds are part of it."""
    fake = session.fake
    options = scenario.options
    fake.malformed_version = options.malformed_version
    fake.topic_update = options.topic_update
    fake.backend.topic_update = options.topic_update
    world = scenario.world
    if not world.subscriptions and not world.states:
        return
    handles = [shop.handle for shop in session.world_spec.shops]
    app = session.world_spec.app
    other_installed: set[str] = set()
    other_added = False
    for seed in world.subscriptions:
        handle = handles[int(seed.shop.removeprefix("shop")) - 1]
        address = seed.address
        for name, tenant in session.tenants.items():
            address = address.replace(f"<webhook_url:{name}>", tenant.webhook_url)
        owner = app
        if seed.app == "other":
            owner = OTHER_APP
            if not other_added:
                fake.add_app(OTHER_APP)
                other_added = True
            if handle not in other_installed:
                fake.install(handle, OTHER_APP)
                other_installed.add(handle)
        fake.add_webhook(handle, owner, topic=seed.topic, address=address)
    for state in world.states:
        tenant = session.tenants[state.bot]
        if not isinstance(state.payload, dict):
            raise ScenarioError(f"the payload of state {state.name!r} must be a mapping")
        session.store.set(
            tenant.bot_id,
            tenant.integration_id,
            state.type,
            state.id if state.id is not None else tenant.integration_id,
            state.name,
            state.payload,
        )
    session.history.initial = session.observe()


# -- recording ---------------------------------------------------------------------------------


def world_decl(spec: WorldSpec) -> WorldDecl:
    """The scenario-file world of a simulator world (the inverse of ``world_spec``).

    Raises ``ScenarioWriteError`` for a world the file format cannot express: bots not spread
    round-robin over the shops, or a crowd on another shop than the first."""
    shops = [s.handle for s in spec.shops]
    bots = len(spec.bots)
    for i, bot in enumerate(spec.bots):
        if bot.name != f"bot{i + 1}" or bot.shop != shops[i % len(shops)]:
            raise ScenarioWriteError(
                f"bots {[(b.name, b.shop) for b in spec.bots]} are not bot1..botN spread "
                f"round-robin over {shops}; a scenario file cannot express that world"
            )
    if any(s.crowd or s.other_apps for s in spec.shops[1:]):
        raise ScenarioWriteError("a crowd on another shop than the first cannot be written")
    return WorldDecl(
        bots=bots,
        shops=len(shops),
        crowd=spec.shops[0].crowd,
        other_apps=spec.shops[0].other_apps,
    )


def scenario_for(
    violation: Violation,
    *,
    integration: str | None,
    options: Options | None = None,
    world: WorldSpec | None = None,
) -> Scenario:
    """A minimal scenario that reproduces ``violation``: its steps on its world, checking what
    the run checked. Its name is the property and a digest of what it does (same bug, same
    file)."""
    spec = violation.world if violation.world is not None else world
    if spec is None:
        raise ScenarioWriteError("the violation does not say which world its steps start from")
    opts = options if options is not None else Options()
    checked = tuple(p for p in PROPERTY_IDS if p in opts.properties)
    strictness: tuple[tuple[str, str], ...] = ()
    if opts.idempotent_level != STRICTNESS_LEVELS["idempotent"][0]:
        strictness = (("idempotent", opts.idempotent_level),)
    lines = [f"Recorded by lifecycle-harness: {violation.property} does not hold."]
    lines += ["", violation.message, "", f"Fix: {violation.fix_hint}"]
    draft = Scenario(
        name="draft",
        description="\n".join(lines) + "\n",
        integration=integration,
        configuration=spec.template,
        world=world_decl(spec),
        expect=Expect(properties=checked if checked else PROPERTY_IDS),
        options=ScenarioOptions(
            strictness=strictness,
            clean_allowlist=opts.clean_allowlist,
            burst=opts.timing.burst,
        ),
        steps=violation.steps,
    )
    digest_source = repr(
        (violation.property, scenario_data(replace(draft, description=""))["steps"], draft.world)
    )
    digest = hashlib.sha256(digest_source.encode()).hexdigest()[:8]
    return replace(draft, name=f"{violation.property}-{digest}")


def record_violation(
    violation: Violation,
    record_dir: str | Path,
    *,
    integration: str | None,
    options: Options | None = None,
    world: WorldSpec | None = None,
) -> Path:
    """Write ``violation`` as a minimal scenario file into ``record_dir``; return its path."""
    scenario = scenario_for(violation, integration=integration, options=options, world=world)
    spec = violation.world if violation.world is not None else world
    assert spec is not None  # scenario_for checked
    secrets = secret_values(spec.template, token_key=spec.token_key)
    directory = Path(record_dir)
    path = directory / f"{scenario.name}{SUFFIX}"
    # The command runs as printed at the project root (paths relative to it), wherever the run
    # that recorded it was started.
    command = f"lifecycle-harness replay {shown_path(path)}"
    if integration is not None:
        command += f" --integration {shown_target(integration)}"
    header = f"{violation.property}: minimal steps found by lifecycle-harness.\nReplay: {command}"
    text = dumps_scenario(scenario, secrets=secrets, header=header)
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def record_violations(
    violations: Sequence[Violation],
    record_dir: str | Path,
    *,
    integration: str | None,
    options: Options | None = None,
    world: WorldSpec | None = None,
) -> dict[int, Path]:
    """Record each violation (by index); those the format cannot express are skipped."""
    written: dict[int, Path] = {}
    for index, violation in enumerate(violations):
        try:
            written[index] = record_violation(
                violation, record_dir, integration=integration, options=options, world=world
            )
        except ScenarioWriteError:
            continue
    return written
