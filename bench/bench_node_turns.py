"""Turns of overlapping Node calls (issue 15): what a replay costs with single and overlapping calls.

Run: ``PYTHONPATH=. python bench/bench_node_turns.py [--example NAME] [--replays N] [--rounds R]``.
Needs node and npm (the shipped TypeScript examples are installed into the cache on first use).

One Node process serves every replay. Each round replays, interleaved with the bare
``httpx.MockTransport`` round trip (the baseline):

- single: ``register-five-times`` (every call alone: no turns are taken; the turns must cost
  these nothing),
- overlap: ``overlapping-registers`` (two registers take turns at the served fakes);

and prints the medians per replay in ms and as ratios to the baseline round trip. To compare
with a version before the turns, run this file with ``PYTHONPATH`` pointing at that version's
checkout, alternately with this one (it uses public APIs only).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import httpx

from harness.scenarios.replay import replay
from harness.scenarios.runner import load_scenarios
from harness.targets.node import load_node_integration
from harness.targets.node.helpers import installed_example

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="find-or-create")
    parser.add_argument("--replays", type=int, default=10, help="replays per round and scenario")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    (single,) = load_scenarios([str(SCENARIOS / "register-five-times.scenario.yaml")])
    (overlap,) = load_scenarios([str(SCENARIOS / "overlapping-registers.scenario.yaml")])
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json={})))
    integration = load_node_integration(str(installed_example(args.example)))
    samples: dict[str, list[float]] = {"baseline": [], "single": [], "overlap": []}
    with integration:
        for scenario in (single, overlap):  # warm up: start Node, load lazily compiled code
            replay(scenario, integration=integration)
        for _ in range(args.rounds):
            start = time.perf_counter()
            for _ in range(1000):
                client.get("https://acme.myshopify.com/admin/api/2026-10/webhooks.json")
            samples["baseline"].append((time.perf_counter() - start) / 1000)
            for name, scenario in (("single", single), ("overlap", overlap)):
                start = time.perf_counter()
                for _ in range(args.replays):
                    replay(scenario, integration=integration)
                samples[name].append((time.perf_counter() - start) / args.replays)
    base = statistics.median(samples["baseline"])
    print(f"{args.example}: medians of {args.rounds} rounds ({args.replays} replays each)")
    print(f"  baseline MockTransport round trip  {base * 1e6:8.1f} us")
    for name in ("single", "overlap"):
        median = statistics.median(samples[name])
        print(f"  {name:7} replay {median * 1000:10.1f} ms  = {median / base:8.0f}x baseline")
    print(
        f"  node stalls (turns broken by the stall rule): {getattr(integration, 'stalls', 'n/a')}"
    )


if __name__ == "__main__":
    main()
