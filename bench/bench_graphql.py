"""Cost of one GraphQL request to the fake, as a ratio to the bare ``httpx.MockTransport`` round trip.

Cases (all through ``httpx.Client(transport=...)``):

- bare: a MockTransport whose handler returns a fixed JSON response (the floor);
- REST list: ``GET webhooks.json`` on the fake (for comparison);
- GraphQL read: ``webhookSubscription(id:)``; GraphQL list: ``webhookSubscriptions(first: 10)``
  over 10 subscriptions; GraphQL mutation: create + delete through ``webhookSubscriptionCreate``
  and ``webhookSubscriptionDelete`` (two requests, reported per request);
- GraphQL first request: a fresh document each time (parse + validate, no document cache).

Prints medians (microseconds per request) and ratios to bare.
Run: PYTHONPATH=. python bench/bench_graphql.py [--rounds N] [--batch N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import httpx

from fake_shopify import FakeShopify

DETAIL = "query D($id: ID!) { webhookSubscription(id: $id) { id topic uri createdAt } }"
LIST = "{ webhookSubscriptions(first: 10) { nodes { id topic uri } pageInfo { hasNextPage } } }"
CREATE = """mutation C($uri: String!) { webhookSubscriptionCreate(topic: ORDERS_CREATE,
  webhookSubscription: {uri: $uri}) { webhookSubscription { id } userErrors { message } } }"""
DELETE = """mutation D($id: ID!) { webhookSubscriptionDelete(id: $id) {
  deletedWebhookSubscriptionId userErrors { message } } }"""


def _timed(batch: int, once: Callable[[], object]) -> float:
    start = time.perf_counter()
    for _ in range(batch):
        once()
    return (time.perf_counter() - start) / batch * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()

    bare = httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"data": {}})),
        base_url="https://acme.myshopify.com",
    )
    fake = FakeShopify(rate_limits=False)
    fake.add_shop("acme")
    fake.add_app("bot")
    token = fake.install("acme", "bot").access_token
    client = httpx.Client(
        transport=fake.transport(),
        base_url="https://acme.myshopify.com",
        headers={"X-Shopify-Access-Token": token},
    )
    gql = "/admin/api/2026-04/graphql.json"
    for i in range(10):
        fake.add_webhook("acme", "bot", topic="orders/create", address=f"https://e.com/{i}")
    first_id = fake.webhooks()[0].gid
    counter = iter(range(10**9))

    def mutation_pair() -> None:
        n = next(counter)
        body = client.post(
            gql, json={"query": CREATE, "variables": {"uri": f"https://m.example/{n}"}}
        ).json()
        gid = body["data"]["webhookSubscriptionCreate"]["webhookSubscription"]["id"]
        client.post(gql, json={"query": DELETE, "variables": {"id": gid}})

    def fresh_document() -> None:
        n = next(counter)
        client.post(gql, json={"query": f"query Q{n} {{ shop {{ name }} }}"})

    cases: list[tuple[str, Callable[[], object], int]] = [
        ("bare MockTransport", lambda: bare.post(gql, json={"query": "{ shop { id } }"}), 1),
        ("REST GET webhooks.json", lambda: client.get("/admin/api/2026-04/webhooks.json"), 1),
        (
            "GraphQL webhookSubscription",
            lambda: client.post(gql, json={"query": DETAIL, "variables": {"id": first_id}}),
            1,
        ),
        ("GraphQL list first:10", lambda: client.post(gql, json={"query": LIST}), 1),
        ("GraphQL create+delete", mutation_pair, 2),
        ("GraphQL uncached document", fresh_document, 1),
    ]
    for _, once, _ in cases:  # warm-up: imports, schema build, document caches
        for _ in range(20):
            once()
    rows: list[tuple[str, float]] = []
    for name, once, requests in cases:
        samples = [_timed(args.batch, once) / requests for _ in range(args.rounds)]
        rows.append((name, statistics.median(samples)))
    floor = rows[0][1]
    print(f"{'case (per request)':<30}{'median us':>12}{'x bare':>10}")
    for name, micros in rows:
        print(f"{name:<30}{micros:>12.1f}{micros / floor:>9.1f}x")


if __name__ == "__main__":
    main()
