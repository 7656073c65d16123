"""What the supervised worker costs where nothing goes wrong, and how much memory a long check
grows (issue 15).

Prints, medians over interleaved rounds (the machine is noisy), each also as a multiple of the
bare ``httpx.MockTransport`` round trip measured in the same run:

- ``fork+supervise``: a supervised job that does nothing (fork, namespace, pipes, reaping);
- ``check in-process`` / ``check supervised``: ``check`` of a bundled example, and the
  difference, the supervisor's cost per ``check``;
- ``watcher per hook``: a register + unregister lifecycle with and without the worker's
  status watcher installed, per hook call; and the watcher's announcements alone (a step,
  hooks started, hooks ended), which is what it adds to a hook call without the noise.

``--memory``: a supervised ``check --examples N`` (default 2000): the worker's resident memory
before the job and its peak (VmHWM), and the growth.

Run: PYTHONPATH=. python bench/bench_supervisor.py [--rounds 5] [--examples 10] [--memory]
"""

from __future__ import annotations

import argparse
import mmap
import os
import statistics
import time
from collections.abc import Callable

from _baseline import bare_round_trip

from harness.check import check
from harness.runtime import watch
from harness.simulator import Simulator
from harness.steps import Register, Unregister
from harness.supervise import Limits, supervise
from harness.supervise.supervisor import Channel, StatusWatcher
from harness.targets.python import load_integration

TARGET = "harness.examples.correct.find_or_create"


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--examples", type=int, default=10)
    parser.add_argument("--hooks", type=int, default=300, help="lifecycles per watcher round")
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--memory-examples", type=int, default=2000)
    args = parser.parse_args()
    integration = load_integration(TARGET)

    def in_process() -> object:
        return check(integration, examples=args.examples, seed=0)

    def supervised() -> object:
        outcome = supervise(
            lambda _ch: check(TARGET, examples=args.examples, seed=0), limits=Limits()
        )
        assert outcome.stop is None, outcome.stop
        return outcome.result

    def empty() -> object:
        return supervise(lambda _ch: None).result

    sim = Simulator(integration)
    page = mmap.mmap(-1, 64 * 1024, flags=mmap.MAP_SHARED)
    read_fd, write_fd = os.pipe()
    watcher = StatusWatcher(Channel(write_fd, page), None)

    def lifecycles() -> None:
        with sim:
            for _ in range(args.hooks):
                sim.run([Register(), Unregister()])

    def watched() -> None:
        with watch.watching(watcher):
            lifecycles()

    def announcements(n: int = 2000) -> float:
        """What the watcher adds to one hook call: a step, hooks started, hooks ended."""
        start = time.perf_counter()
        for i in range(n):
            watcher.step(i % 5, lambda: "register bot=bot1")
            watcher.hooks_started([("register", "bot1-id")], 10.0)
            watcher.hooks_ended([None])
        return (time.perf_counter() - start) / n

    mock, fork, plain, sup, bare_h, watched_h, announce = [], [], [], [], [], [], []
    for r in range(args.rounds):
        mock.append(bare_round_trip())
        fork.append(_timed(empty))
        # Alternate the order so a drift of the machine's load favours neither.
        if r % 2:
            sup.append(_timed(supervised))
            plain.append(_timed(in_process))
        else:
            plain.append(_timed(in_process))
            sup.append(_timed(supervised))
        bare_h.append(_timed(lifecycles) / (2 * args.hooks))
        watched_h.append(_timed(watched) / (2 * args.hooks))
        announce.append(announcements())
    m = statistics.median(mock)

    def line(name: str, seconds: float) -> None:
        print(f"{name:<28} {seconds * 1000:10.3f} ms  {seconds / m:10.1f} x MockTransport")

    print(f"rounds {args.rounds}, check --examples {args.examples} of {TARGET}")
    line("MockTransport round trip", m)
    line("fork+supervise (empty job)", statistics.median(fork))
    line("check in-process", statistics.median(plain))
    line("check supervised", statistics.median(sup))
    diffs = [s - p for s, p in zip(sup, plain, strict=True)]
    line("supervisor cost per check", statistics.median(diffs))
    ratio = statistics.median(s / p for s, p in zip(sup, plain, strict=True))
    print(f"{'supervised / in-process':<28} {ratio:10.3f}")
    line("hook call, no watcher", statistics.median(bare_h))
    line("hook call, watcher", statistics.median(watched_h))
    line(
        "watcher cost per hook call",
        statistics.median(w - b for w, b in zip(watched_h, bare_h, strict=True)),
    )
    line("watcher announcements alone", statistics.median(announce))
    os.close(read_fd)
    os.close(write_fd)

    if args.memory:
        started = time.perf_counter()
        outcome = supervise(
            lambda _ch: len(check(TARGET, examples=args.memory_examples, seed=0).violations)
        )
        took = time.perf_counter() - started
        start_kb, peak_kb = outcome.start_rss_kb or 0, outcome.peak_rss_kb or 0
        print(
            f"check --examples {args.memory_examples}: {took:.0f} s, worker RSS before "
            f"{start_kb / 1024:.1f} MB, peak {peak_kb / 1024:.1f} MB, growth "
            f"{(peak_kb - start_kb) / 1024:.1f} MB (stop: {outcome.stop})"
        )


if __name__ == "__main__":
    main()
