"""Cost of one GraphQL request to the fake, as a ratio to the bare ``httpx.MockTransport`` round trip.

Cases (all through a reused ``httpx.Client(transport=...)``, every request a POST with a JSON
body, as GraphQL clients send it):

- bare: a MockTransport whose handler returns a prebuilt response (the floor);
- REST list: ``GET webhooks.json`` on the fake (for comparison);
- GraphQL read: ``webhookSubscription(id:)``; GraphQL list: ``webhookSubscriptions(first: 10)``
  over 10 subscriptions; GraphQL mutation: create + delete through ``webhookSubscriptionCreate``
  and ``webhookSubscriptionDelete`` (two requests, reported per request);
- GraphQL uncached document: a fresh document each time (parse, validate, compile);
- the list query again on a fake whose engine runs graphql-core's executor for everything
  (``GraphQLOptions(executor="graphql-core")``): what the compiled plans save.

Figures are medians over ``R`` interleaved rounds of CPU time (``time.process_time``), measured
in one run; ratios per round to the bare case, then the median. Target (issue 14): the list
query at most 2x.

Run: ``PYTHONPATH=. python bench/bench_graphql.py [--rounds R] [--batch N]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import httpx
from _baseline import interleaved, prebuilt_client, print_table, seeded_fake

from fake_shopify import FakeShopify
from fake_shopify.graphql import GraphQLOptions

DETAIL = "query D($id: ID!) { webhookSubscription(id: $id) { id topic uri createdAt } }"
LIST = "{ webhookSubscriptions(first: 10) { nodes { id topic uri } pageInfo { hasNextPage } } }"
CREATE = """mutation C($uri: String!) { webhookSubscriptionCreate(topic: ORDERS_CREATE,
  webhookSubscription: {uri: $uri}) { webhookSubscription { id } userErrors { message } } }"""
DELETE = """mutation D($id: ID!) { webhookSubscriptionDelete(id: $id) {
  deletedWebhookSubscriptionId userErrors { message } } }"""
GQL = "/admin/api/2026-04/graphql.json"
TARGET = 2.0


def _client(executor: str) -> tuple[FakeShopify, httpx.Client]:
    fake, headers = seeded_fake(
        10,
        address="https://e.com/{}",
        graphql_options=GraphQLOptions(executor=executor),  # type: ignore[arg-type]
    )
    client = httpx.Client(
        transport=fake.transport(),
        base_url="https://acme.myshopify.com",
        headers=headers,
    )
    return fake, client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()

    fake, client = _client("plan")
    _, reference = _client("graphql-core")
    bare = prebuilt_client(
        httpx.Response(200, json={"data": {"webhookSubscriptions": {"nodes": []}}}),
        base_url="https://acme.myshopify.com",
        headers=dict(client.headers),
    )
    first_id = fake.webhooks()[0].gid
    counter = iter(range(10**9))

    def mutation_pair() -> None:
        n = next(counter)
        body = client.post(
            GQL, json={"query": CREATE, "variables": {"uri": f"https://m.example/{n}"}}
        ).json()
        gid = body["data"]["webhookSubscriptionCreate"]["webhookSubscription"]["id"]
        client.post(GQL, json={"query": DELETE, "variables": {"id": gid}})

    def fresh_document() -> None:
        n = next(counter)
        client.post(GQL, json={"query": f"query Q{n} {{ shop {{ name }} }}"})

    cases: list[tuple[str, Callable[[], object], int]] = [
        ("bare MockTransport", lambda: bare.post(GQL, json={"query": LIST}), 1),
        ("REST GET webhooks.json", lambda: client.get("/admin/api/2026-04/webhooks.json"), 1),
        (
            "GraphQL webhookSubscription",
            lambda: client.post(GQL, json={"query": DETAIL, "variables": {"id": first_id}}),
            1,
        ),
        ("GraphQL list first:10", lambda: client.post(GQL, json={"query": LIST}), 1),
        ("GraphQL create+delete", mutation_pair, 2),
        ("GraphQL uncached document", fresh_document, 1),
        ("list, graphql-core executor", lambda: reference.post(GQL, json={"query": LIST}), 1),
    ]
    # The answers are the same whichever executor serves them.
    assert client.post(GQL, json={"query": LIST}).content == (
        reference.post(GQL, json={"query": LIST}).content
    )
    sends = {name: once for name, once, _ in cases}
    per_call = {name: requests for name, _, requests in cases}
    interleaved(sends, rounds=1, n=20)  # warm-up: imports, schema build, document caches
    samples = interleaved(sends, rounds=args.rounds, n=args.batch, per_call=per_call)
    print(f"{args.rounds} interleaved rounds x {args.batch} requests per case; CPU time")
    base = "bare MockTransport"
    print_table(
        samples,
        {name: base for name in sends if name != base},
        targets={"GraphQL list first:10": TARGET},
        width=30,
    )


if __name__ == "__main__":
    main()
