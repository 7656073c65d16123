"""A realistic mix of requests to the fake, as a ratio to the bare ``httpx.MockTransport`` round trip.

One *mix* is what a webhook-registering integration sends: a REST list filtered by topic and
address, a create, a get, a count, a delete, and one GraphQL ``webhookSubscriptions`` query
(first 10, with ids, topics, URIs and ``pageInfo``). The shop holds 20 subscriptions.

Cases, each sending the same mix through a reused ``httpx.Client``:

- bare: a MockTransport whose handler returns a prebuilt response (the floor);
- ``fake.transport()``; ``fake.intercept()`` (respx);
- the same two without the GraphQL request (the REST share of the mix), against the bare
  REST-only mix.

Figures are medians over ``R`` interleaved rounds of CPU time (``time.process_time``), measured
in one run; ratios are taken per round, then the median (``bench/_baseline.py``). Targets (issue 14): 1.3x via
``fake.transport()``, 1.5x via respx.

Run: ``PYTHONPATH=. python bench/bench_mix.py [--mixes N] [--rounds R]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import httpx
from _baseline import interleaved, prebuilt_client, print_table, seeded_fake

from fake_shopify import FakeShopify

BASE = "https://acme.myshopify.com/admin/api/2026-10"
LIST_QUERY = (
    "{ webhookSubscriptions(first: 10) { nodes { id topic uri } pageInfo { hasNextPage } } }"
)
TARGETS = {"transport": 1.3, "respx": 1.5}


def _fake() -> tuple[FakeShopify, dict[str, str]]:
    return seeded_fake(20, topics=("products/update", "orders/create"))


def _mix(client: httpx.Client, *, graphql: bool) -> Callable[[], None]:
    """One mix through ``client``; the created subscription is deleted again, so state stays."""
    counter = iter(range(10**9))
    created = {"webhook": {"id": 1, "topic": "orders/create"}}

    def once() -> None:
        n = next(counter)
        client.get(
            f"{BASE}/webhooks.json",
            params={"topic": "orders/create", "address": "https://h.example/1"},
        )
        response = client.post(
            f"{BASE}/webhooks.json",
            json={"webhook": {"topic": "orders/create", "address": f"https://m.example/{n}"}},
        )
        body = response.json() if response.status_code == 201 else created
        webhook_id = body["webhook"]["id"]
        client.get(f"{BASE}/webhooks/{webhook_id}.json")
        client.get(f"{BASE}/webhooks/count.json", params={"topic": "orders/create"})
        client.delete(f"{BASE}/webhooks/{webhook_id}.json")
        if graphql:
            client.post(f"{BASE}/graphql.json", json={"query": LIST_QUERY})

    return once


def _bare_client(headers: dict[str, str]) -> httpx.Client:
    created = httpx.Response(201, json={"webhook": {"id": 1, "topic": "orders/create"}})
    other = httpx.Response(200, json={"count": 5})

    def pick(request: httpx.Request) -> int:  # one prebuilt response per shape
        return 0 if request.method == "POST" and "webhooks" in request.url.path else 1

    return prebuilt_client(created, other, pick=pick, headers=headers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mixes", type=int, default=30, help="mixes per case per round")
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()

    fake_mt, headers = _fake()
    fake_rx, headers_rx = _fake()
    bare = _bare_client(headers)
    via_transport = httpx.Client(transport=fake_mt.transport(), headers=headers)
    via_respx = httpx.Client(headers=headers_rx)

    cases: dict[str, Callable[[], None]] = {
        "bare": _mix(bare, graphql=True),
        "transport": _mix(via_transport, graphql=True),
        "respx": _mix(via_respx, graphql=True),
        "bare REST": _mix(bare, graphql=False),
        "transport REST": _mix(via_transport, graphql=False),
        "respx REST": _mix(via_respx, graphql=False),
    }
    # Interception patches every client: on for the respx cases only.
    around = {name: fake_rx.intercept for name in cases if name.startswith("respx")}
    interleaved(cases, rounds=1, n=5, around=around)  # warm-up: imports, caches, document plans
    journal_before = fake_mt.journal.total, fake_rx.journal.total

    samples = interleaved(cases, rounds=args.rounds, n=args.mixes, around=around)
    # Each case went where it should: the fakes served their cases, the baseline neither.
    assert fake_mt.journal.total > journal_before[0]
    assert fake_rx.journal.total > journal_before[1]
    assert len(fake_mt.webhooks()) == len(fake_rx.webhooks()) == 20

    print(
        f"{args.rounds} rounds x {args.mixes} mixes per case (6 requests per mix, 5 without "
        "GraphQL); CPU time"
    )
    print_table(
        samples,
        {name: "bare REST" if "REST" in name else "bare" for name in cases if "bare" not in name},
        labels={
            "bare": "bare MockTransport",
            "transport": "fake.transport()",
            "respx": "fake.intercept() respx",
            "bare REST": "bare, REST only",
            "transport REST": "fake.transport(), REST",
            "respx REST": "respx, REST only",
        },
        targets=TARGETS,
    )


if __name__ == "__main__":
    main()
