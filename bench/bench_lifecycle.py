"""One fuzzed lifecycle, end to end: Hypothesis draws a fault, the simulator runs
register x3 and unregister on a fresh fake under it, and every property is checked after every
step. Prints the median per lifecycle (inside the example, and total per example including
Hypothesis), requests per lifecycle, and ratios against the bare ``httpx.MockTransport`` round
trip and the 6 ms CPU target (issue 14; it was 10 ms of wall time before).

Wall-clock figures suffer when the machine is busy; the CPU (process time) figure does not.

Run: PYTHONPATH=. python bench/bench_lifecycle.py [--examples N] [--target TARGET]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

from _baseline import bare_round_trip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_shopify.faults import HttpError, LostResponse, Nth, TransportError
from harness.exploration import fault_matches
from harness.runtime.vtime import real_monotonic
from harness.simulator import Simulator
from harness.steps import Register, ShopifyFault, Unregister
from harness.targets.python import Integration, load_integration

DEFAULT_TARGET = "harness.examples.correct.find_or_create"
FALLBACK_TARGET = str(Path(__file__).resolve().parents[1] / "tests/harness/lifecycle_targets.py")
TARGET_MS = 6.0


def ssl_cache_ratio(integration: Integration, rounds: int) -> tuple[float, float]:
    """Median ms of a fault-free register x3 + unregister without and with the SSL cache."""
    steps = (Register(), Register(), Register(), Unregister())
    results = []
    for cached in (False, True):
        with ExitStack() as stack:
            if not cached:
                for module in ("harness.simulator", "harness.targets.python"):
                    stack.enter_context(
                        mock.patch(f"{module}.cached_ssl_contexts", contextlib.nullcontext)
                    )
            with Simulator(integration) as sim:
                sim.run(steps)
                samples = []
                for _ in range(rounds):
                    start = real_monotonic()
                    sim.run(steps)
                    samples.append((real_monotonic() - start) * 1000)
        results.append(statistics.median(samples))
    return results[0], results[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--target", default=None)
    parser.add_argument(
        "--ssl-rounds",
        type=int,
        default=10,
        help="lifecycles run with the SSL-context cache disabled, for the before/after ratio",
    )
    args = parser.parse_args()
    target = args.target
    if target is None:
        try:
            integration = load_integration(DEFAULT_TARGET)
            target = DEFAULT_TARGET
        except Exception:
            target = f"{FALLBACK_TARGET}:Good"
    integration = load_integration(target)

    faults = st.builds(
        ShopifyFault,
        effect=st.one_of(
            st.builds(HttpError, status=st.sampled_from((429, 500, 503))),
            st.just(TransportError("connect_error")),
            st.just(LostResponse()),
        ),
        match=fault_matches(),
        schedule=st.builds(Nth, n=st.integers(1, 6)),
    )
    inside: list[float] = []
    requests: list[int] = []
    violations = 0

    with Simulator(integration) as sim:

        @settings(
            max_examples=args.examples,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(fault=faults)
        def lifecycle(fault: ShopifyFault) -> None:
            nonlocal violations
            start = real_monotonic()
            session = sim.session()
            for step in (fault, Register(), Register(), Register(), Unregister()):
                violations += len(session.step(step))
            inside.append((real_monotonic() - start) * 1000)
            requests.append(sum(len(c.exchanges) for r in session.history.records for c in r.calls))

        sim.run([Register()])  # warm up (reference world, imports)
        start = real_monotonic()
        cpu_start = time.process_time()
        lifecycle()
        total_ms = (real_monotonic() - start) * 1000
        cpu_ms = (time.process_time() - cpu_start) * 1000

    bare = bare_round_trip() * 1e6
    before, after = ssl_cache_ratio(integration, args.ssl_rounds)
    per_example = total_ms / len(inside)
    med = statistics.median(inside)
    reqs = statistics.median(requests)
    print(f"integration          {target}")
    print(f"lifecycles           {len(inside)} (register x3 + unregister under one drawn fault)")
    print(f"requests/lifecycle   {reqs:.0f} (median; min {min(requests)}, max {max(requests)})")
    print(f"median per lifecycle {med:.2f} ms (simulation + all properties)")
    print(f"total per example    {per_example:.2f} ms (including Hypothesis)")
    print(f"CPU per example      {cpu_ms / len(inside):.2f} ms (process time: robust to load)")
    print(f"bare MockTransport   {bare:.1f} us per round trip")
    print(f"ratio vs bare        {med * 1000 / (reqs * bare):.1f}x the bare round trips it makes")
    cpu_per_example = cpu_ms / len(inside)
    print(f"ratio vs target      {cpu_per_example / TARGET_MS:.2f}x of {TARGET_MS:g} ms CPU")
    print(f"violations           {violations} (0 expected for a correct integration)")
    print(
        f"SSL-context cache     {before:.1f} ms per plain lifecycle without, {after:.1f} ms with: "
        f"{before / after:.1f}x (the integration builds an httpx client per hook call)"
    )


if __name__ == "__main__":
    main()
