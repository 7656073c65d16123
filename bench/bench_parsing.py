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
from collections.abc import Callable

import httpx
from _baseline import interleaved, prebuilt_client, print_table, seeded_fake

import fake_shopify

SHOP = "https://acme.myshopify.com"
GQL = f"{SHOP}/admin/api/2026-10/graphql.json"
DETAIL = "query D($id: ID!) { webhookSubscription(id: $id) { id topic uri createdAt } }"
LIST = """query L { webhookSubscriptions(first: 10) { nodes { ...W } pageInfo { hasNextPage } } }
fragment W on WebhookSubscription { id topic uri format includeFields }"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100, help="requests per case per round")
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()

    fake, headers = seeded_fake(10, journal_limit=None)
    hooks = fake.webhooks()
    bare = prebuilt_client(httpx.Response(200, json={"webhook": {"id": 1}}), headers=headers)
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

    samples = interleaved(cases, rounds=args.rounds, n=args.requests)
    print(
        f"fake_shopify from {fake_shopify.__file__}; {args.rounds} rounds x {args.requests} "
        "requests per case"
    )
    print_table(
        samples,
        {name: "bare" for name in cases if name != "bare"},
        labels={"bare": "bare MockTransport"},
    )


if __name__ == "__main__":
    main()
