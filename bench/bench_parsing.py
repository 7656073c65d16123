"""Cost of reading request bodies in the fake, as ratios to the bare ``httpx.MockTransport`` round trip.

The bounds on malformed requests (issue 15: bounded JSON bodies, GraphQL document limits) sit on
the paths that read a body; ``bench_fake.py`` measures a GET without one. Cases, each through a
reused ``httpx.Client``, interleaved round by round (medians over rounds, CPU time, one run):

- bare: a MockTransport whose handler returns a prebuilt response, for the same POST;
- REST PUT ``webhooks/{id}.json`` with a JSON body (parsed by ``fake_shopify.bodies``);
- GraphQL read ``webhookSubscription(id: $id)`` (cached document, JSON body with variables);
- GraphQL list ``webhookSubscriptions(first: 10)`` with a fragment (cached document).

Run: ``PYTHONPATH=. python bench/bench_parsing.py [--requests N] [--rounds R]``. To compare with
another checkout, put its directory first on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

import fake_shopify
from fake_shopify import FakeShopify, ManualClock

SHOP = "https://acme.myshopify.com"
GQL = f"{SHOP}/admin/api/2026-10/graphql.json"
DETAIL = "query D($id: ID!) { webhookSubscription(id: $id) { id topic uri createdAt } }"
LIST = """query L { webhookSubscriptions(first: 10) { nodes { ...W } pageInfo { hasNextPage } } }
fragment W on WebhookSubscription { id topic uri format includeFields }"""


def _timed(send: Callable[[], object], n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        send()
    return (time.process_time() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100, help="requests per case per round")
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()

    fake = FakeShopify(clock=ManualClock(datetime(2026, 11, 1, tzinfo=UTC)), rate_limits=False)
    fake.add_shop("acme")
    fake.add_app("bot")
    token = fake.install("acme", "bot").access_token
    hooks = [
        fake.add_webhook("acme", "bot", topic="orders/create", address=f"https://h.example/{i}")
        for i in range(10)
    ]
    headers = {"X-Shopify-Access-Token": token}
    prebuilt = httpx.Response(200, json={"webhook": {"id": 1}})
    prebuilt_stream = prebuilt.stream

    def prebuilt_handler(request: httpx.Request) -> httpx.Response:
        prebuilt.stream = prebuilt_stream  # see bench_fake.py: reused responses nest streams
        return prebuilt

    bare = httpx.Client(transport=httpx.MockTransport(prebuilt_handler), headers=headers)
    client = httpx.Client(transport=fake.transport(), headers=headers)
    put_url = f"{SHOP}/admin/api/2026-10/webhooks/{hooks[0].id}.json"
    put_body = {"webhook": {"address": "https://h.example/0", "fields": ["id", "note"]}}
    detail = {"query": DETAIL, "variables": {"id": hooks[0].gid}}
    cases: dict[str, Callable[[], object]] = {
        "bare": functools.partial(bare.put, put_url, json=put_body),
        "REST PUT webhook (body)": functools.partial(client.put, put_url, json=put_body),
        "GraphQL read (variables)": functools.partial(client.post, GQL, json=detail),
        "GraphQL list (fragment)": functools.partial(client.post, GQL, json={"query": LIST}),
    }
    assert client.put(put_url, json=put_body).status_code == 200
    assert "errors" not in client.post(GQL, json=detail).json()
    assert "errors" not in client.post(GQL, json={"query": LIST}).json()

    samples: dict[str, list[float]] = {name: [] for name in cases}
    ratios: dict[str, list[float]] = {name: [] for name in cases if name != "bare"}
    for _ in range(args.rounds):
        base = _timed(cases["bare"], args.requests)
        samples["bare"].append(base)
        for name, send in cases.items():
            if name == "bare":
                continue
            took = _timed(send, args.requests)
            samples[name].append(took)
            ratios[name].append(took / base)
    print(
        f"fake_shopify from {fake_shopify.__file__}; {args.rounds} rounds x {args.requests} "
        "requests per case"
    )
    print(f"{'case':>26}  {'median':>9}  {'ratio (median of rounds)':>24}")
    print(
        f"{'bare MockTransport':>26}  {statistics.median(samples['bare']) * 1e6:7.1f}us  {1:23.2f}x"
    )
    for name, values in ratios.items():
        print(
            f"{name:>26}  {statistics.median(samples[name]) * 1e6:7.1f}us  "
            f"{statistics.median(values):23.2f}x"
        )


if __name__ == "__main__":
    main()
