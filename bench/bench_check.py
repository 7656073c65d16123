"""``check`` with its defaults on every bundled example: wall and CPU (process) time, what it
found, what it should have found. Prints per example and the medians, and the ratios against the
60 s wall target and the 4 s CPU target (issue 14). CPU time is robust to a busy machine; wall
time is not.

Run: PYTHONPATH=. python bench/bench_check.py [--examples N] [NAME...]
"""

from __future__ import annotations

import argparse
import statistics
import time

from harness.check import check
from harness.examples import EXAMPLES
from harness.runtime.vtime import real_monotonic

TARGET_S = 60.0
CPU_TARGET_S = 4.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=None, help="default: the ci profile's")
    parser.add_argument("names", nargs="*", default=sorted(EXAMPLES))
    args = parser.parse_args()
    times: list[float] = []
    cpus: list[float] = []
    misses = 0
    false_alarms = 0
    print(f"{'example':<24} {'seconds':>8} {'CPU s':>6}  found / expected")
    for name in args.names:
        example = EXAMPLES[name]
        start = real_monotonic()
        cpu_start = time.process_time()
        report = check(example.target, examples=args.examples, seed=0)
        cpu = time.process_time() - cpu_start
        took = real_monotonic() - start
        times.append(took)
        cpus.append(cpu)
        found = {v.property for v in report.violations}
        missing = example.violates - found
        misses += len(missing)
        if example.correct and found:
            false_alarms += 1
        verdict = "MISSED" if missing else "ok"
        if example.correct and found:
            verdict = "FALSE ALARM"
        print(
            f"{name:<24} {took:8.1f} {cpu:6.2f}  {sorted(found) or '-'} / {sorted(example.violates) or '-'}"
            f"  {verdict}"
        )
    med = statistics.median(times)
    print(
        f"median {med:.1f} s, max {max(times):.1f} s; ratio max/target {max(times) / TARGET_S:.2f}"
    )
    cpu_med = statistics.median(cpus)
    print(
        f"CPU median {cpu_med:.2f} s, max {max(cpus):.2f} s; ratio median/target "
        f"{cpu_med / CPU_TARGET_S:.2f} of {CPU_TARGET_S:g} s"
    )
    print(f"missed bug classes: {misses}; correct examples with violations: {false_alarms}")


if __name__ == "__main__":
    main()
