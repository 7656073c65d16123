"""Minimal witnesses (issue 12): the number of steps of each finding of ``check`` on every
bundled buggy example, with shrinking by step deletion only ("before") and with step and world
simplification to a fixpoint ("after"). Prints per example the steps of each finding, then the
medians and their ratio. Both runs use the same seed and budget, interleaved per example.

Run: PYTHONPATH=. python bench/bench_shrinking.py [--examples N] [--seed S] [NAME...]
"""

from __future__ import annotations

import argparse
import statistics

from harness import exploration
from harness.check import check
from harness.examples import EXAMPLES
from harness.runtime.vtime import real_monotonic


def steps_of(name: str, *, simplify: bool, examples: int, seed: int) -> tuple[list[int], float]:
    exploration.SIMPLIFY = simplify
    start = real_monotonic()
    try:
        report = check(EXAMPLES[name].target, examples=examples, seed=seed, library=False)
    finally:
        exploration.SIMPLIFY = True
    return [len(v.steps) for v in report.violations], real_monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "names", nargs="*", default=sorted(n for n, e in EXAMPLES.items() if not e.correct)
    )
    args = parser.parse_args()
    before: list[int] = []
    after: list[int] = []
    print(f"{'example':<24} {'before (steps per finding)':<34} after")
    for name in args.names:
        old, t_old = steps_of(name, simplify=False, examples=args.examples, seed=args.seed)
        new, t_new = steps_of(name, simplify=True, examples=args.examples, seed=args.seed)
        before += old
        after += new
        print(f"{name:<24} {old!s:<34} {new}  ({t_old:.0f} s / {t_new:.0f} s)", flush=True)
    mb, ma = statistics.median(before), statistics.median(after)
    print(f"median steps of a finding: before {mb:g}, after {ma:g} ({ma / mb:.2f}x)")
    print(
        f"mean steps of a finding: before {statistics.mean(before):.2f}, "
        f"after {statistics.mean(after):.2f}"
    )


if __name__ == "__main__":
    main()
