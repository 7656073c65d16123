"""Per-request cost of the fake, as ratios to the bare ``httpx.MockTransport`` round trip.

Run: ``PYTHONPATH=. python bench/bench_fake.py [--requests N] [--rounds R]``. Every case sends
the same GET through a reused ``httpx.Client``; the baseline's handler returns a prebuilt
response. Figures are medians over ``R`` rounds, measured in one run; cases are interleaved
round by round so that machine noise hits all of them alike (``bench/_baseline.py``). Times are
the process's CPU time.
"""

from __future__ import annotations

import argparse
import functools

import httpx
from _baseline import interleaved, prebuilt_client, print_table, seeded_fake

from fake_shopify import FakeShopify

URL = "https://acme.myshopify.com/admin/api/2026-10/webhooks/count.json"


def _fake(journal_limit: int | None) -> tuple[FakeShopify, dict[str, str]]:
    return seeded_fake(5, journal_limit=journal_limit)


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

    fake_mt, headers = _fake(args.journal_limit)
    # The same GET in every case, token header included: the client's own cost of an extra
    # request header (merging, cookie bookkeeping) is not the fake's.
    bare = prebuilt_client(httpx.Response(200, json={"count": 5}), headers=headers)

    via_transport = httpx.Client(transport=fake_mt.transport(), headers=headers)

    fake_rx, headers_rx = _fake(args.journal_limit)
    via_respx = httpx.Client(headers=headers_rx)

    assert bare.get(URL).json() == via_transport.get(URL).json() == {"count": 5}
    with fake_rx.intercept():
        assert via_respx.get(URL).json() == {"count": 5}

    # The same call shape in every case (a partial, no extra Python frame for one side).
    # Interception is on for the respx case only: it patches every httpx client, so it would
    # also capture the other two cases.
    samples = interleaved(
        {
            "bare": functools.partial(bare.get, URL),
            "transport": functools.partial(via_transport.get, URL),
            "respx": functools.partial(via_respx.get, URL),
        },
        rounds=args.rounds,
        n=args.requests,
        around={"respx": fake_rx.intercept},
    )
    # Prove each case went where it should: the baseline never reached a fake.
    assert fake_mt.journal.total > 0
    assert fake_rx.journal.total > 0

    print(
        f"{args.rounds} rounds x {args.requests} requests per case; "
        "GET webhooks/count.json through a reused httpx.Client; "
        f"journal_limit={args.journal_limit}"
    )
    print_table(
        samples,
        {"transport": "bare", "respx": "bare"},
        labels={
            "bare": "bare MockTransport",
            "transport": "fake.transport()",
            "respx": "fake.intercept() respx",
        },
        targets={"transport": 1.3, "respx": 1.5},
        best=True,
    )


if __name__ == "__main__":
    main()
