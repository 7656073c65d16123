"""Replay time grows linearly with the number of steps of a scenario (issue 15).

Generates scenarios of 250, 1,000 and 4,000 steps (``--sizes``) of
``harness.examples.correct.find_or_create``: a repeating cycle of register, register, a drift,
register, unregister, an advance of the clock (``--plain``: register, unregister), every
property checked after every step, and
replays each; prints the CPU time (``time.process_time``) per step, medians over ``R``
interleaved rounds, and the ratio of the largest size's time per step to the smallest's
(1.0 is linear). ``--profile N`` runs cProfile over one replay of N steps instead.

Run: ``PYTHONPATH=. python bench/bench_replay_scale.py [--rounds R] [--sizes 250,1000,4000]``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time

from harness.scenarios.loader import loads_scenario
from harness.scenarios.model import Scenario
from harness.scenarios.replay import replay
from harness.targets.python import load_integration

TARGET = "harness.examples.correct.find_or_create"
CYCLE = (
    "register",
    "register",
    "drift: {change: remove_subscription}",
    "register",
    "unregister",
    "advance: {seconds: 60}",
)


def scenario(steps: int, cycle: tuple[str, ...] = CYCLE) -> Scenario:
    lines = [cycle[i % len(cycle)] for i in range(steps)]
    text = "version: 1\nname: replay-scale\nsteps:\n" + "".join(f"  - {s}\n" for s in lines)
    return loads_scenario(text, source=f"<{steps} steps>")


def per_step(scen: Scenario, integration: object) -> float:
    start = time.process_time()
    result = replay(scen, integration=integration)
    took = time.process_time() - start
    assert result.passed, result.summary()
    return took / len(scen.steps)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", default="250,1000,4000")
    parser.add_argument(
        "--plain", action="store_true", help="register, unregister only (no drift, no advance)"
    )
    parser.add_argument("--profile", type=int, default=0, help="profile one replay of N steps")
    args = parser.parse_args()
    integration = load_integration(TARGET)
    cycle = ("register", "unregister") if args.plain else CYCLE
    if args.profile:
        scen = scenario(args.profile, cycle)
        profiler = cProfile.Profile()
        profiler.runcall(replay, scen, integration=integration)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    scenarios = {n: scenario(n, cycle) for n in sizes}
    times: dict[int, list[float]] = {n: [] for n in sizes}
    for r in range(args.rounds):
        for n in sizes if r % 2 == 0 else reversed(sizes):
            times[n].append(per_step(scenarios[n], integration))
    print(
        f"replay of {TARGET} ({', '.join(cycle)}, ...), CPU time per step, median of "
        f"{args.rounds} rounds"
    )
    for n in sizes:
        print(f"{n:>6} steps  {statistics.median(times[n]) * 1000:8.3f} ms/step")
    small, large = statistics.median(times[sizes[0]]), statistics.median(times[sizes[-1]])
    print(
        f"time per step at {sizes[-1]} / at {sizes[0]}: {large / small:.2f} "
        f"(x{sizes[-1] / sizes[0]:g} steps -> x{large / small * sizes[-1] / sizes[0]:.2f} time)"
    )


if __name__ == "__main__":
    main()
