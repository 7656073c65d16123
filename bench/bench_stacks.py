"""A ``requests``-based lifecycle through the harness against the same integration on httpx.

``harness.examples.stacks.requests_correct`` and ``harness.examples.correct.sync_backoff`` are
the same lifecycle (list, create the missing topics, retry policy) written on ``requests`` (its
traffic reaches the served fake over loopback TLS, redirected at socket level) and on httpx
(served in-process). Each round runs a fault-free register, register, unregister on a fresh
world for each, interleaved; figures are medians of wall time per lifecycle (real time, taken
from before the simulator freezes the clock). Also printed: each lifecycle per Shopify request,
as a ratio to the bare ``httpx.MockTransport`` round trip measured in the same run, and the
ratio of the process's CPU time (less sensitive to other load on the machine than wall time).

Run: ``PYTHONPATH=. python bench/bench_stacks.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import statistics

from _baseline import CPU, bare_round_trip, verdict

from harness.runtime.vtime import real_monotonic
from harness.simulator import Simulator
from harness.steps import Register, Unregister
from harness.targets.python import load_integration

HTTPX = "harness.examples.correct.sync_backoff"
REQUESTS = "harness.examples.stacks.requests_correct"
TARGET = 3.0
STEPS = (Register(), Register(), Unregister())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    sims = {name: Simulator(load_integration(name)) for name in (HTTPX, REQUESTS)}
    samples: dict[str, list[float]] = {name: [] for name in sims}
    requests_per: dict[str, int] = {}
    ratios: list[float] = []
    cpu_ratios: list[float] = []
    # One simulator at a time: each freezes its own clock. Each lifecycle runs with its
    # simulator started (sim.running() is a no-op while it is), interleaved round by round.
    try:
        for name, sim in sims.items():  # warm: imports, the served fake, the test CA
            with sim.running():
                result = sim.run(STEPS)
            assert result.violations == [], result.violations
            requests_per[name] = sum(
                len(call.exchanges) for record in result.history.records for call in record.calls
            )
        for _ in range(args.rounds):
            took: dict[str, float] = {}
            cpu: dict[str, float] = {}
            for name, sim in sims.items():
                with sim.running():
                    start, cpu_start = real_monotonic(), CPU()
                    result = sim.run(STEPS)
                    took[name] = (real_monotonic() - start) * 1e3
                    cpu[name] = CPU() - cpu_start
                assert result.violations == []
                samples[name].append(took[name])
            ratios.append(took[REQUESTS] / took[HTTPX])
            cpu_ratios.append(cpu[REQUESTS] / cpu[HTTPX])
    finally:
        for sim in sims.values():
            sim.close()
    bare = bare_round_trip() * 1e3
    print(
        f"{args.rounds} rounds; lifecycle = register, register, unregister (fault-free); "
        "wall-clock medians"
    )
    print(f"bare MockTransport round trip: {bare * 1e3:.1f} us")
    for name in sims:
        per = statistics.median(samples[name])
        per_request = per / requests_per[name]
        print(
            f"{name:<42} {per:8.2f} ms per lifecycle, {requests_per[name]} requests, "
            f"{per_request / bare:7.1f}x the bare round trip per request"
        )
    ratio = statistics.median(ratios)
    print(f"requests / httpx lifecycle: {ratio:.2f}x (median of rounds)  {verdict(ratio, TARGET)}")
    # The process's CPU time (every thread: the served fake's too) moves far less with the
    # machine's load than the wall clock, whose waits on thread hand-overs grow with it.
    print(f"requests / httpx lifecycle, CPU time: {statistics.median(cpu_ratios):.2f}x")


if __name__ == "__main__":
    main()
