"""No false alarm, measured (issue 12): ``check`` with its defaults on every bundled correct
example for seeds 0-9. Prints, per example and seed, the wall time and any violation; then the
number of false alarms (must be 0) and the median seconds per check, with its ratio against the
60 s target of ``bench_check.py``.

Run: PYTHONPATH=. python bench/bench_quiet_seeds.py [--seeds 0-9] [--examples N] [NAME...]
"""

from __future__ import annotations

import argparse
import statistics
import sys

from harness.check import check
from harness.examples import EXAMPLES
from harness.runtime.vtime import real_monotonic

TARGET_S = 60.0


def seeds(text: str) -> list[int]:
    low, _, high = text.partition("-")
    return list(range(int(low), int(high or low) + 1))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="0-9", help="a range, e.g. 0-9 (default)")
    parser.add_argument("--examples", type=int, default=None, help="default: the ci profile's")
    parser.add_argument(
        "names", nargs="*", default=sorted(n for n, e in EXAMPLES.items() if e.correct)
    )
    args = parser.parse_args()
    times: list[float] = []
    alarms = 0
    print(f"{'example':<22} {'seed':>4} {'seconds':>8}  violations")
    # Interleaved: seed-major, so a slow spell of the machine spreads over every example.
    for seed in seeds(args.seeds):
        for name in args.names:
            start = real_monotonic()
            report = check(EXAMPLES[name].target, examples=args.examples, seed=seed)
            took = real_monotonic() - start
            times.append(took)
            found = [f"{v.property}: {v.message[:100]}" for v in report.violations]
            alarms += bool(found)
            print(f"{name:<22} {seed:>4} {took:>8.1f}  {'; '.join(found) or '-'}", flush=True)
    median = statistics.median(times)
    print(f"false alarms: {alarms} of {len(times)} checks")
    print(f"median check: {median:.1f} s ({median / TARGET_S:.2f}x the {TARGET_S:.0f} s target)")
    return 1 if alarms else 0


if __name__ == "__main__":
    sys.exit(main())
