"""The Node target: warm hook-call overhead through the bridge, Node start, and `check` wall time.

Run: ``PYTHONPATH=. python bench/bench_node.py [--calls N] [--rounds R] [--starts S] [--checks]``.
Needs node and npm (the shipped TypeScript examples are installed into the cache on first use).

- warm call: one hook call through the runtime protocol of a hook that does nothing (the
  documented example's ``unregister``), interleaved round by round with the bare
  ``httpx.MockTransport`` round trip; the median per call is the bridge's overhead over the
  integration's own work (target: at most 10 ms). Printed as a ratio to the baseline too.
- node start: spawn to "listening" of a fresh process for the bundled example (target: at most
  1 s; a check starts it once, and restarts after kills use one of two spares started in the
  background).
- ``--checks``: ``check`` with default settings of each TypeScript example, wall time and what it
  found (target: at most 60 s each; the documented example reports the bug classes of its Python
  port, the correct examples nothing). ``--repeat N`` prints each example's median of N.

Measured (supervised ``lifecycle-harness check``, default settings, seed 0, medians of 5 rounds
with the previous version interleaved, 2 cores shared with other jobs, load average 3-14):
shopify-docs 41.0 s (was 51.9), find-or-create 109.7 s (was 134.4), graphql 65.0 s (was 84.4);
in the quietest round (load 3-4) 22.4, 33.1 and 28.5 s. Warm no-op call 3.6 ms, node start
0.35 s on an idle machine; 88 restarts in a check of find-or-create wait under 1 s in all.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import httpx

from harness.check import check
from harness.runtime import Context, LogSink
from harness.runtime.vtime import VirtualTime
from harness.targets.node import NodeCall, NodeIntegration, load_node_integration
from harness.targets.node.helpers import installed_example

EXAMPLES = ("shopify-docs", "find-or-create", "graphql")


class _Host:
    """Enough of a simulator for hooks that touch neither Shopify nor the state API."""

    def __init__(self) -> None:
        self.vtime = VirtualTime()

    def current_session(self) -> None:
        return None


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0


def warm_calls(integration: NodeIntegration, calls: int, rounds: int) -> None:
    host = _Host()
    sink = LogSink()
    ctx = Context(
        bot_id="bot1",
        integration_id="intg",
        webhook_id="wh",
        configuration={"shopName": "acme", "access_token": "shpat_x"},
        operation="unregister",
    )
    call = [NodeCall("unregister", ctx, None, "unregister of bench for bot1")]
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json={})))
    bridge: list[float] = []
    baseline: list[float] = []
    with integration.serving(host):  # type: ignore[arg-type]
        for _ in range(5):  # warm up: first calls load lazily compiled code
            integration.call_hooks(
                call, sink=sink, vtime=host.vtime, budget_seconds=60.0, wall_timeout=10.0
            )
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(calls):
                client.get("https://acme.myshopify.com/admin/api/2026-10/webhooks.json")
            baseline.append((time.perf_counter() - start) / calls)
            start = time.perf_counter()
            for _ in range(calls):
                integration.call_hooks(
                    call, sink=sink, vtime=host.vtime, budget_seconds=60.0, wall_timeout=10.0
                )
            bridge.append((time.perf_counter() - start) / calls)
            sink.clear()
    base, over = _median_ms(baseline), _median_ms(bridge)
    print(f"bare MockTransport round trip: median {base * 1000:.1f} us")
    print(
        f"warm hook call through the bridge (no-op hook): median {over:.2f} ms "
        f"= {over / base:.0f}x the baseline (target <= 10 ms: {'ok' if over <= 10 else 'MISSED'})"
    )


def starts(integration: NodeIntegration, count: int) -> None:
    host = _Host()
    seconds: list[float] = []
    with integration.serving(host):  # type: ignore[arg-type]
        for _ in range(count):
            process = integration._new_process()
            process.start()
            seconds.extend(process.start_seconds)
            process.kill()
    median = statistics.median(seconds)
    print(
        f"node start (spawn to listening, {count} fresh processes): median {median:.2f} s, "
        f"min {min(seconds):.2f} s (target <= 1 s: {'ok' if median <= 1.0 else 'MISSED'})"
    )


def _cpu_seconds() -> float:
    """User + system time of this process and its reaped children (the Node processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def checks(repeat: int, names: tuple[str, ...] = EXAMPLES) -> None:
    walls: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(repeat):  # round by round, so a busy minute hits every example alike
        for name in names:
            integration = load_node_integration(str(installed_example(name)), name=name)
            cpu0 = _cpu_seconds()
            start = time.perf_counter()
            try:
                report = check(integration)
            finally:
                integration.close()
            wall = time.perf_counter() - start
            cpu = _cpu_seconds() - cpu0
            walls[name].append(wall)
            found = sorted({v.property for v in report.violations}) or ["nothing"]
            waits = integration.restart_wait_seconds
            phases = ", ".join(f"{k} {v:.1f}" for k, v in report.timings.items() if v >= 0.05)
            print(
                f"check {name}: {wall:.1f} s wall, {cpu:.1f} s CPU (harness + node); found {', '.join(found)}; "
                f"node restarts {integration.restarts}, waiting {sum(waits):.1f} s for them; "
                f"phases (s): {phases}"
            )
    for name, samples in walls.items():
        median = statistics.median(samples)
        print(
            f"check {name}: median {median:.1f} s of {len(samples)} "
            f"(target <= 60 s: {'ok' if median <= 60 else 'MISSED'})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20, help="calls per case per round")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--starts", type=int, default=7)
    parser.add_argument("--checks", action="store_true", help="also time check of each example")
    parser.add_argument("--repeat", type=int, default=1, help="checks of each example (median)")
    parser.add_argument("--only", choices=EXAMPLES, help="time the check of this example only")
    args = parser.parse_args()
    integration = load_node_integration(str(installed_example("shopify-docs")), name="bench")
    try:
        warm_calls(integration, args.calls, args.rounds)
        starts(integration, args.starts)
    finally:
        integration.close()
    if args.checks:
        checks(args.repeat, (args.only,) if args.only else EXAMPLES)


if __name__ == "__main__":
    main()
