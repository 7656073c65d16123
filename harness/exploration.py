"""Exploration: a Hypothesis rule-based state machine over lifecycles, and crash enumeration.

``explore`` generates initial worlds and step sequences (bounded per example), checks every
enabled property after every step through invariants that call ``harness.properties``, and
lets Hypothesis shrink a failure to the minimal sequence. Hypothesis stops at the first failing
property; ``explore`` then disables it and carries on with the rest of the budget, so one call
reports at most one violation per property.

``enumerate_crashes`` is systematic rather than random: for each hook and each request k of
its clean run, the hook is aborted before request k is sent, and separately the response of
request k is lost after Shopify applied it; the hook is also aborted after its last request, and
before and after each of its platform API calls (state reads and writes); each is followed by
``register`` and ``unregister``, with the properties checked after every step.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from unittest import mock

import hypothesis
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from hypothesis.internal.conjecture import engine as conjecture_engine
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from fake_shopify.faults import (
    Always,
    HttpError,
    Latency,
    LostResponse,
    Match,
    Next,
    Nth,
    TransportError,
)
from harness.options import Options
from harness.profiles import hypothesis_settings
from harness.properties import Violation
from harness.runtime.vtime import real_monotonic
from harness.simulator import Session, SimulationError, Simulator
from harness.steps import (
    Advance,
    Concurrently,
    Configure,
    Crash,
    Drift,
    HookStep,
    LoseState,
    Operation,
    PlatformFault,
    Register,
    ShopifyFault,
    Step,
    Unregister,
)
from harness.world import ShopSpec, WorldSpec, default_world

FAULT_ACTIONS = ("list_webhooks", "create_webhook", "delete_webhook", "get_webhook")
ADVANCE_SECONDS = (1.0, 60.0, 3600.0)  # bounded: the clock runs on across a whole exploration
CROWDS = (0, 3, 60, 260)  # 260 > 250 subscriptions: several pages even at the maximum limit
MAX_BOTS = 3
SHRINK_BUDGET = 10
RUN_EXAMPLES = 250  # examples per Hypothesis run (explore's chunks; memory, issue 15)
PERSISTENT_NEXT = (8, 30)  # Next(k) beyond any reasonable retry budget
# Removing a subscription is the drift most bugs hinge on (a stale stored id): drawn twice as
# often as the others, and first, so failures shrink towards it.
DRIFTS = (
    "remove_subscription",
    "remove_subscription",
    "foreign_subscription",
    "revoke_token",
    "remove_scope",
)


class ViolationFound(AssertionError):
    """Raised by the machine's invariants; carries the violation with its step sequence."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(f"[{violation.property}] {violation.message}")
        self.violation = violation


# --- strategies ----------------------------------------------------------------------------


def fault_effects() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(HttpError, status=st.sampled_from((500, 429, 503, 502, 401, 403, 404))),
        st.builds(
            TransportError,
            kind=st.sampled_from(
                ("connect_error", "connect_timeout", "read_timeout", "remote_protocol_error")
            ),
        ),
        st.builds(LostResponse, kind=st.sampled_from(("read_timeout", "remote_protocol_error"))),
        # Short latencies delay a request that then succeeds; long ones (at least
        # harness.simulator.LONG_LATENCY) are faults, and may run a hook out of its budget.
        st.builds(Latency, seconds=st.sampled_from((0.5, 5.0, 30.0, 120.0))),
    )


def fault_matches() -> st.SearchStrategy[Match]:
    return st.one_of(
        st.just(Match()),
        st.builds(Match, action=st.sampled_from(FAULT_ACTIONS)),
        st.builds(Match, method=st.sampled_from(("GET", "POST", "DELETE"))),
    )


def fault_schedules() -> st.SearchStrategy[Nth | Next | Always]:
    """Early transient faults (``Nth(1-4)``, ``Next(1-3)``) and persistent ones: ``Always`` and
    ``Next(k)`` beyond any retry budget (an integration that retries five or six times still
    sees the fault). The transient ones come first, so failures shrink towards them."""
    transient = st.one_of(st.builds(Nth, n=st.integers(1, 4)), st.builds(Next, k=st.integers(1, 3)))
    persistent = st.one_of(st.just(Always()), st.builds(Next, k=st.sampled_from(PERSISTENT_NEXT)))
    return st.one_of(transient, persistent)


def worlds(base: WorldSpec, *, max_bots: int = MAX_BOTS) -> st.SearchStrategy[WorldSpec]:
    """Initial worlds derived from ``base``'s configuration: one to ``max_bots`` bots on one or
    two shops, a crowd of other bots of the same app, other apps' subscriptions. Shrinks to the
    plain one-bot empty shop."""

    def build(bots: int, shops: int, crowd: int, other_apps: int) -> WorldSpec:
        return default_world(
            base.template,
            bots=bots,
            shops=min(shops, bots),
            crowd=crowd,
            other_apps=other_apps,
            shop_key=base.shop_key,
            token_key=base.token_key,
        )

    return st.builds(
        build,
        bots=st.integers(1, max_bots),
        shops=st.integers(1, 2),
        crowd=st.sampled_from(CROWDS),
        other_apps=st.sampled_from((0, 3)),
    )


# --- the state machine ---------------------------------------------------------------------


@dataclass
class ExplorationLog:
    """What an exploration saw: examples run and the violations of failing runs, last last."""

    examples: int = 0
    failures: list[Violation] = field(default_factory=list)
    worlds: list[WorldSpec] = field(default_factory=list)


def lifecycle_machine(
    sim: Simulator,
    *,
    world_strategy: st.SearchStrategy[WorldSpec],
    options: Options,
    log: ExplorationLog,
    on_example: Callable[[], None] | None = None,
) -> type[RuleBasedStateMachine]:
    """A state machine class bound to ``sim``; each example builds a fresh session."""
    configure_changes = options.configure_changes

    class LifecycleMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.session: Session | None = None
            self.bots: tuple[str, ...] = ("bot1",)
            self.steps: list[Step] = []
            self.found: dict[str, Violation] = {}
            log.examples += 1
            if on_example is not None:
                on_example()

        @initialize(world=world_strategy)
        def start(self, world: WorldSpec) -> None:
            self.world = world
            self.bots = world.bot_names
            self.session = sim.session(world)

        def bot(self, i: int) -> str:
            return self.bots[i % len(self.bots)]

        def do(self, step: Step) -> None:
            assert self.session is not None
            self.steps.append(step)
            self.found = {}
            for v in self.session.step(step):
                self.found.setdefault(v.property, v)

        def check(self, prop: str) -> None:
            v = self.found.get(prop)
            if v is None:
                return
            v = v.with_steps(tuple(self.steps)).with_world(self.world)
            log.failures.append(v)
            raise ViolationFound(v)

        @rule(i=st.integers(0, MAX_BOTS - 1))
        def register(self, i: int) -> None:
            self.do(Register(self.bot(i)))

        @rule(i=st.integers(0, MAX_BOTS - 1))
        def unregister(self, i: int) -> None:
            self.do(Unregister(self.bot(i)))

        @rule(i=st.integers(0, MAX_BOTS - 1), change=st.sampled_from(configure_changes))
        def configure(self, i: int, change: Any) -> None:
            self.do(Configure(self.bot(i), change))

        @rule(
            i=st.integers(0, MAX_BOTS - 1),
            change=st.sampled_from(DRIFTS),
            index=st.integers(0, 3),
        )
        def drift(self, i: int, change: Any, index: int) -> None:
            self.do(Drift(change, self.bot(i), index))

        @rule(i=st.integers(0, MAX_BOTS - 1))
        def lose_state(self, i: int) -> None:
            self.do(LoseState(self.bot(i)))

        @rule(effect=fault_effects(), match=fault_matches(), schedule=fault_schedules())
        def fault(self, effect: Any, match: Match, schedule: Any) -> None:
            self.do(ShopifyFault(effect, match, schedule))

        @rule(
            status=st.sampled_from((500, 429, 404)),
            method=st.sampled_from(("any", "get_state", "set_state")),
            schedule=fault_schedules(),
        )
        def platform_fault(self, status: int, method: Any, schedule: Any) -> None:
            self.do(PlatformFault(status, method, schedule))

        @rule(
            i=st.integers(0, MAX_BOTS - 1),
            operation=st.sampled_from(("register", "unregister")),
            at=st.integers(1, 6),
            call=st.sampled_from(("request", "platform")),
            when=st.sampled_from(("before", "after")),
        )
        def crash(self, i: int, operation: Any, at: int, call: Any, when: Any) -> None:
            self.do(Crash(self.bot(i), operation, at, call, when))

        @rule(seconds=st.sampled_from(ADVANCE_SECONDS))
        def advance(self, seconds: float) -> None:
            self.do(Advance(seconds))

        @rule(
            picks=st.lists(st.integers(0, MAX_BOTS - 1), min_size=2, max_size=3, unique=True),
            ops=st.lists(st.sampled_from((True, True, False)), min_size=3, max_size=3),
            overlap_self=st.booleans(),
        )
        def concurrently(self, picks: list[int], ops: list[bool], overlap_self: bool) -> None:
            # Distinct bots (several tenants at once) unless one bot overlaps itself.
            names = list(dict.fromkeys(self.bot(i) for i in picks))
            if overlap_self or len(names) < 2:
                names = [names[0], names[0]]
            hooks: tuple[HookStep, ...] = tuple(
                Register(name) if reg else Unregister(name)
                for name, reg in zip(names, ops, strict=False)
            )
            self.do(Concurrently(hooks))

        # One invariant per property, each calling the one named property check.
        @invariant()
        def idempotent(self) -> None:
            self.check("idempotent")

        @invariant()
        def convergent(self) -> None:
            self.check("convergent")

        @invariant()
        def clean(self) -> None:
            self.check("clean")

        @invariant()
        def reported(self) -> None:
            self.check("reported")

        @invariant()
        def tolerant_unregister(self) -> None:
            self.check("tolerant_unregister")

        @invariant()
        def no_secret_leak(self) -> None:
            self.check("no_secret_leak")

        @invariant()
        def tenant_isolation(self) -> None:
            self.check("tenant_isolation")

        @invariant()
        def exactly_once(self) -> None:
            self.check("exactly_once")

        @invariant()
        def subscribed(self) -> None:
            self.check("subscribed")

    return LifecycleMachine


def explore(
    sim: Simulator,
    *,
    world: WorldSpec | None = None,
    options: Options | None = None,
    examples: int = 200,
    seed: int | None = 0,
    max_steps: int = 10,
    on_example: Callable[[], None] | None = None,
    vary_world: bool = True,
    shrink_budget: int = SHRINK_BUDGET,
    database: bool = False,
) -> list[Violation]:
    """Generate lifecycles until ``examples`` have run; at most one (shrunk) violation per
    property. ``sim`` must be started (``with Simulator(...) as sim``).

    ``shrink_budget`` bounds Hypothesis' successful shrinks per failure (its documented,
    monkeypatchable ``MAX_SHRINKS``, 500 by default): a lifecycle replays up to ``max_steps``
    hook calls, so unbounded shrinking can cost hundreds of runs; the greedy pass afterwards
    still removes every step that is not needed. A count, not a time, so a seed stays
    reproducible. ``database``: use Hypothesis' example database of the current profile (the
    pytest plugin does when no seed is given: failing lifecycles are saved and replayed first
    on the next run). A budget above :data:`RUN_EXAMPLES` is explored in several Hypothesis
    runs, each with the next derived seed, so memory does not grow with the budget."""
    base = world if world is not None else sim.world
    remaining = set((options or sim.options).properties)
    found: list[Violation] = []
    budget = examples
    attempt = 0
    world_strategy = worlds(base) if vary_world else st.just(base)
    while budget > 0 and remaining:
        # One Hypothesis run keeps per-example structures (its cache of results, the choice
        # tree, statistics) until it ends, so a long exploration is run in chunks of at most
        # RUN_EXAMPLES examples, each with the next derived seed: memory stays bounded, and
        # an exploration of RUN_EXAMPLES examples or fewer is exactly what it was.
        run_budget = min(budget, RUN_EXAMPLES)
        opts = _with_properties(options or sim.options, remaining)
        log = ExplorationLog()
        sim_options = sim.options
        sim.options = opts
        machine = lifecycle_machine(
            sim, world_strategy=world_strategy, options=opts, log=log, on_example=on_example
        )
        if seed is not None:
            machine = hypothesis.seed(seed + attempt)(machine)
        try:
            with mock.patch.object(conjecture_engine, "MAX_SHRINKS", shrink_budget):
                run_state_machine_as_test(
                    machine,
                    settings=hypothesis_settings(
                        examples=run_budget, max_steps=max_steps, database=database
                    ),
                )
        except (ViolationFound, Flaky, ExceptionGroup):
            pass
        finally:
            sim.options = sim_options
            # Hypothesis keeps each state machine class it ran (and with it the rules'
            # strategies and their caches) in a class-level registry for good; one class per
            # run would pile up over a long exploration.
            registry = getattr(RuleBasedStateMachine, "_setup_state_per_class", None)
            if isinstance(registry, dict):
                registry.pop(machine, None)
        # The finished run's structures are garbage in reference cycles: collect them now,
        # before the next run allocates its own, rather than when the collector gets to them.
        gc.collect()
        attempt += 1
        budget -= log.examples
        if not log.failures:
            if log.examples < run_budget:
                break  # Hypothesis ran out of distinct lifecycles before the budget
            continue
        # Hypothesis replays the minimal example last; a greedy pass then drops any step whose
        # removal keeps the same failure (stateful shrinking does not always get there).
        minimal = log.failures[-1]
        if minimal.world is not None:
            steps, spec, witness = shrink(
                sim, minimal.steps, world=minimal.world, keeps_failing=same_bug(minimal)
            )
            if witness is not None:
                minimal = witness.with_steps(steps).with_world(spec)
        found.append(minimal)
        remaining.discard(minimal.property)
    return found


def _with_properties(options: Options, props: set[str]) -> Options:
    from dataclasses import replace

    return replace(options, properties=frozenset(props))


# --- crash enumeration ---------------------------------------------------------------------


def crash_plans(sim: Simulator, *, world: WorldSpec | None = None) -> list[tuple[Step, ...]]:
    """Every crash-point lifecycle for the first bot.

    Hooks: the first ``register``, a re-``register`` (after a successful one: state exists),
    and ``unregister`` (after a register). For each request k of the hook's clean run: abort
    before k is sent, and lose k's response after Shopify applied it; then ``register`` and
    ``unregister`` (the platform retries), and separately ``unregister`` at once (the bot is
    removed after the failure).
    """
    spec = world if world is not None else sim.world
    bot = spec.bots[0].name
    shop = spec.bots[0].shop
    plans: list[tuple[Step, ...]] = []
    cases: tuple[tuple[Operation, tuple[Step, ...]], ...] = (
        ("register", ()),
        ("register", (Register(bot),)),
        ("unregister", (Register(bot),)),
    )
    for operation, prefix in cases:
        hook: Step = Register(bot) if operation == "register" else Unregister(bot)
        clean = sim.run((*prefix, hook), world=spec)
        calls = clean.history.records[-1].calls
        count = len(calls[0].exchanges) if calls else 0
        platform = len(calls[0].platform_calls) if calls else 0
        failures: list[tuple[Step, ...]] = []
        for k in range(1, count + 1):
            failures.append((Crash(bot, operation, k),))
            failures.append((ShopifyFault(LostResponse(), Match(shop=shop), Nth(k)), hook))
        # The last request's aftermath (no later request marks it) and every platform API
        # call, before and after: a create followed by the set_state that records it.
        if count:
            failures.append((Crash(bot, operation, count, "request", "after"),))
        for j in range(1, platform + 1):
            failures.append((Crash(bot, operation, j, "platform", "before"),))
            failures.append((Crash(bot, operation, j, "platform", "after"),))
        for failure in failures:
            plans.append((*prefix, *failure, Register(bot), Unregister(bot)))
            plans.append((*prefix, *failure, Unregister(bot)))
    return plans


def enumerate_crashes(
    sim: Simulator,
    *,
    world: WorldSpec | None = None,
    options: Options | None = None,
    plans: Sequence[tuple[Step, ...]] | None = None,
    on_plan: Callable[[], None] | None = None,
) -> list[Violation]:
    """Run every crash plan; one violation per (property, kind of message), fewest steps first."""
    spec = world if world is not None else sim.world
    saved = sim.options
    if options is not None:
        sim.options = options
    try:
        found: list[Violation] = []
        for plan in plans if plans is not None else crash_plans(sim, world=spec):
            result = sim.run(plan, world=spec)
            for v in result.violations:
                found.append(v.with_steps(plan[: v.step_index + 1]).with_world(spec))
            if on_plan is not None:
                on_plan()
        return dedupe(found)
    finally:
        sim.options = saved


def dedupe(violations: Sequence[Violation]) -> list[Violation]:
    """One violation per bug: same property and message shape; keep the shortest."""
    best: dict[tuple[str, str], Violation] = {}
    for v in violations:
        key = v.key()
        if key not in best or len(v.steps) < len(best[key].steps):
            best[key] = v
    return list(best.values())


def same_bug(target: Violation) -> Callable[[list[Violation]], Violation | None]:
    """A predicate for ``shrink_steps``: the violation of the same bug, if any."""
    key = target.key()

    def keeps(violations: list[Violation]) -> Violation | None:
        for v in violations:
            if v.key() == key:
                return v
        return None

    return keeps


def shrink_steps(
    sim: Simulator,
    steps: Sequence[Step],
    *,
    world: WorldSpec,
    keeps_failing: Callable[[list[Violation]], Violation | None],
) -> tuple[tuple[Step, ...], Violation | None]:
    """Greedy shrinking of a fixed sequence on a fixed world (see :func:`shrink`)."""
    current, _, witness = shrink(
        sim, steps, world=world, keeps_failing=keeps_failing, shrink_world=False
    )
    return current, witness


SHRINK_SECONDS = 20.0
"""Wall-time bound of the greedy shrinking pass: it runs to a fixpoint unless this runs out
(a bound in time, not in rounds; on an idle machine the fixpoint comes first, so a seed stays
reproducible)."""

SIMPLIFY = True
"""Whether shrinking also simplifies steps and worlds (off only to measure what it gains)."""


def shrink(
    sim: Simulator,
    steps: Sequence[Step],
    *,
    world: WorldSpec,
    keeps_failing: Callable[[list[Violation]], Violation | None],
    shrink_world: bool = True,
    seconds: float | None = None,
) -> tuple[tuple[Step, ...], WorldSpec, Violation | None]:
    """Shrink a failing lifecycle to a fixpoint: drop steps (platform faults and fault
    schedules included), replace steps by simpler ones (a ``configure`` by a ``register``,
    overlapping calls by one of them, a persistent fault schedule by a single fault, a crash
    at a platform call by one at a request), and drop what the world does not need (the last
    bot when no step names it, shops without bots, crowds, other apps' subscriptions). Each
    candidate is kept only if ``keeps_failing`` still finds the same bug; stops at a fixpoint
    or after ``seconds`` (default :data:`SHRINK_SECONDS`) of wall time."""
    deadline = real_monotonic() + (SHRINK_SECONDS if seconds is None else seconds)
    current = tuple(steps)
    spec = world
    witness = keeps_failing(sim.run(current, world=spec).violations)
    if witness is None:
        return current, spec, None

    def attempt(candidate: tuple[Step, ...], cworld: WorldSpec) -> bool:
        nonlocal current, spec, witness
        if not candidate:
            return False
        try:
            v = keeps_failing(sim.run(candidate, world=cworld).violations)
        except SimulationError:
            return False
        if v is None:
            return False
        current, spec, witness = candidate, cworld, v
        return True

    changed = True
    while changed and real_monotonic() < deadline:
        changed = False
        for i in range(len(current)):
            if attempt(current[:i] + current[i + 1 :], spec):
                changed = True
                break
        if changed or not SIMPLIFY:
            continue
        for i, step in enumerate(current):
            for simpler in _simpler(step):
                if attempt((*current[:i], simpler, *current[i + 1 :]), spec):
                    changed = True
                    break
            if changed:
                break
        if changed or not shrink_world:
            continue
        for smaller in _smaller_worlds(spec, current):
            if attempt(current, smaller):
                changed = True
                break
    assert witness is not None
    return current, spec, witness.with_world(spec)


def _simpler(step: Step) -> list[Step]:
    """Simpler steps that could stand in for ``step``, simplest first."""
    if isinstance(step, Configure):
        return [Register(step.bot)]
    if isinstance(step, Concurrently):
        return list(dict.fromkeys(step.steps))
    if isinstance(step, ShopifyFault):
        out: list[Step] = []
        if not (isinstance(step.schedule, Next) and step.schedule.k == 1):
            out.append(ShopifyFault(step.effect, step.match, Next(1)))
        if step.match != Match():
            out.append(ShopifyFault(step.effect, Match(), step.schedule))
        return out
    if isinstance(step, PlatformFault):
        out = []
        if not (isinstance(step.schedule, Next) and step.schedule.k == 1):
            out.append(PlatformFault(step.status, step.method, Next(1)))
        if step.method != "any":
            out.append(PlatformFault(step.status, "any", step.schedule))
        return out
    if isinstance(step, Crash):
        out = []
        if step.call != "request" or step.when != "before":
            out.append(Crash(step.bot, step.operation, 1))
        if step.at > 1:
            out.append(Crash(step.bot, step.operation, step.at - 1, step.call, step.when))
        return out
    if isinstance(step, Drift) and step.index:
        return [Drift(step.change, step.bot, 0)]
    return []


def _named_bots(steps: Sequence[Step]) -> set[str]:
    names: set[str] = set()
    for step in steps:
        inner = step.steps if isinstance(step, Concurrently) else (step,)
        for s in inner:
            bot = getattr(s, "bot", None)
            if isinstance(bot, str):
                names.add(bot)
    return names


def _smaller_worlds(world: WorldSpec, steps: Sequence[Step]) -> list[WorldSpec]:
    """Worlds with less in them that the steps can still run on."""
    out: list[WorldSpec] = []
    named = _named_bots(steps)
    if len(world.bots) > 1 and world.bots[-1].name not in named:
        bots = world.bots[:-1]
        used = {b.shop for b in bots}
        # Keep the shops in order; a shop left without bots goes too (unless it is the first).
        shops = tuple(s for i, s in enumerate(world.shops) if i == 0 or s.handle in used)
        out.append(replace(world, bots=bots, shops=shops))
    for i, shop in enumerate(world.shops):
        if shop.crowd:
            out.append(_with_shop(world, i, replace(shop, crowd=0)))
        if shop.other_apps:
            out.append(_with_shop(world, i, replace(shop, other_apps=0)))
    return out


def _with_shop(world: WorldSpec, index: int, shop: ShopSpec) -> WorldSpec:
    shops = list(world.shops)
    shops[index] = shop
    return replace(world, shops=tuple(shops))
