"""Per-request cost of the fake, as ratios to the bare ``httpx.MockTransport`` round trip.

Run: ``PYTHONPATH=. python bench/bench_fake.py [--requests N] [--rounds R]``. Every case sends
the same GET through a reused ``httpx.Client``; the baseline's handler returns a prebuilt
response. Figures are medians over ``R`` rounds, measured in one run; cases are interleaved
round by round so that machine noise hits all of them alike. Times are the process's CPU time.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from fake_shopify import FakeShopify, ManualClock

URL = "https://acme.myshopify.com/admin/api/2026-10/webhooks/count.json"


def _fake(journal_limit: int | None) -> tuple[FakeShopify, dict[str, str]]:
    # rate_limits=False: the bench sends thousands of requests at one frozen instant.
    fake = FakeShopify(
        clock=ManualClock(datetime(2026, 11, 1, tzinfo=UTC)),
        journal_limit=journal_limit,
        rate_limits=False,
    )
    fake.add_shop("acme")
    fake.add_app("bot")
    token = fake.install("acme", "bot").access_token
    for i in range(5):
        fake.add_webhook("acme", "bot", topic="orders/create", address=f"https://h.example/{i}")
    return fake, {"X-Shopify-Access-Token": token}


def _timed(send: Callable[[], object], n: int) -> float:
    # CPU time of this process, not wall time: on a shared machine the wall clock also counts
    # the time other processes hold the CPU, which would dilute every ratio toward 1.
    start = time.process_time()
    for _ in range(n):
        send()
    return (time.process_time() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200, help="requests per case per round")
    parser.add_argument("--rounds", type=int, default=150)
    parser.add_argument(
        "--journal-limit",
        type=int,
        default=100,
        help="the fakes' bounded journal (it keeps exchanges alive past the youngest GC "
        "generation, which is most of the collector's cost; 0 shows the fake without it)",
    )
    args = parser.parse_args()

    prebuilt = httpx.Response(200, json={"count": 5})
    prebuilt_stream = prebuilt.stream

    def prebuilt_handler(request: httpx.Request) -> httpx.Response:
        # The client wraps the response's stream on every send; with one response object
        # reused, the wrappers would nest without end and GC would slow the baseline down.
        prebuilt.stream = prebuilt_stream
        return prebuilt

    fake_mt, headers = _fake(args.journal_limit)
    # The same GET in every case, token header included: the client's own cost of an extra
    # request header (merging, cookie bookkeeping) is not the fake's.
    bare = httpx.Client(transport=httpx.MockTransport(prebuilt_handler), headers=headers)

    via_transport = httpx.Client(transport=fake_mt.transport(), headers=headers)

    fake_rx, headers_rx = _fake(args.journal_limit)
    via_respx = httpx.Client(headers=headers_rx)

    assert bare.get(URL).json() == via_transport.get(URL).json() == {"count": 5}
    with fake_rx.intercept():
        assert via_respx.get(URL).json() == {"count": 5}

    samples: dict[str, list[float]] = {"bare": [], "transport": [], "respx": []}
    ratios: dict[str, list[float]] = {"transport": [], "respx": []}
    for _ in range(args.rounds):
        # Interleaved short rounds: a burst of load from elsewhere hits every case alike, and
        # the medians drop the rounds it spoiled. Interception is on for the respx case only:
        # it patches every httpx client, so it would also capture the other two cases.
        # The same call shape in every case (a partial, no extra Python frame for one side).
        base = _timed(functools.partial(bare.get, URL), args.requests)
        samples["bare"].append(base)
        took = _timed(functools.partial(via_transport.get, URL), args.requests)
        samples["transport"].append(took)
        ratios["transport"].append(took / base)
        with fake_rx.intercept():
            took = _timed(functools.partial(via_respx.get, URL), args.requests)
        samples["respx"].append(took)
        ratios["respx"].append(took / base)
    # Prove each case went where it should: the baseline never reached a fake.
    assert fake_mt.journal.total > 0
    assert fake_rx.journal.total > 0

    print(
        f"{args.rounds} rounds x {args.requests} requests per case; "
        "GET webhooks/count.json through a reused httpx.Client; "
        f"journal_limit={args.journal_limit}"
    )
    base_median = statistics.median(samples["bare"])
    base_best = min(samples["bare"])
    targets = {"transport": 1.3, "respx": 1.5}
    print(
        f"{'case':>22}  {'median':>8}  {'best':>8}  {'ratio (median of rounds)':>24}  "
        f"{'ratio (best)':>12}"
    )
    print(
        f"{'bare MockTransport':>22}  {base_median * 1e6:6.1f}us  {base_best * 1e6:6.1f}us  "
        f"{1.0:23.2f}x  {1.0:11.2f}x"
    )
    for name in ("transport", "respx"):
        median = statistics.median(samples[name])
        best = min(samples[name])
        ratio = statistics.median(ratios[name])
        verdict = "ok" if max(ratio, best / base_best) <= targets[name] else "MISSED"
        label = {"transport": "fake.transport()", "respx": "fake.intercept() respx"}[name]
        print(
            f"{label:>22}  {median * 1e6:6.1f}us  {best * 1e6:6.1f}us  {ratio:23.2f}x  "
            f"{best / base_best:11.2f}x  target <= {targets[name]}x: {verdict}"
        )


if __name__ == "__main__":
    main()
