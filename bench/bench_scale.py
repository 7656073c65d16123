"""Scale: seeding a shop and listing it all grow linearly with the number of subscriptions.

For N in 250, 2,500 and 25,000 (``--sizes``):

- seeding: ``fake.add_webhook`` N times (the way ``world.provision`` seeds crowds); validated as a
  create is, duplicates and names checked through the state layer's indexes;
- REST walk: every page of ``GET webhooks.json?limit=250`` following the ``Link`` header;
- GraphQL walk: every page of ``webhookSubscriptions(first: 250, after: ...)`` selecting
  ``id topic uri`` and ``pageInfo``;
- observation per step: the simulator's ``Session.observe`` after the bot under test creates or
  deletes one subscription in a shop holding N others (half of them other bots' of the same app,
  half other apps'), incremental (driven by the fake's mutation journal) and, for scale, the full
  rebuild it replaced (``Session._observe_full``).

Walks go through a reused ``httpx.Client(transport=fake.transport())``; the bare
``httpx.MockTransport`` round trip of one page request is printed for scale. Figures are CPU
times (``time.process_time``), medians over ``R`` interleaved rounds, measured in one run.
Targets (issue 14): seeding 25,000 in at most 0.3 s; a full listing at most 15 us per
subscription, flat in N (no per-page rescan); observation per step independent of N.

Run: ``PYTHONPATH=. python bench/bench_scale.py [--rounds R] [--sizes 250,2500,25000]``.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time

import httpx
from _baseline import prebuilt_client, seeded_fake, timed

from fake_shopify import FakeShopify
from harness.simulator import Session, Simulator
from harness.targets.python import load_integration
from harness.world import default_world

TOPICS = ("orders/create", "orders/updated", "products/create", "products/update")
BASE = "https://acme.myshopify.com/admin/api/2026-10"
PAGE = """query P($after: String) { webhookSubscriptions(first: 250, after: $after) {
  nodes { id topic uri } pageInfo { hasNextPage endCursor } } }"""
SEED_TARGET = 0.3  # seconds for 25,000
LIST_TARGET = 15.0  # us per subscription


def _fake() -> tuple[FakeShopify, str]:
    fake, headers = seeded_fake()
    return fake, headers["X-Shopify-Access-Token"]


def _seed(fake: FakeShopify, n: int) -> float:
    start = time.process_time()
    for i in range(n):
        fake.add_webhook(
            "acme",
            "bot",
            topic=TOPICS[i % len(TOPICS)],
            address=f"https://crowd{i % 97}.example/hooks/{i}",
        )
    return time.process_time() - start


def _rest_walk(client: httpx.Client) -> tuple[float, int]:
    start = time.process_time()
    seen = 0
    url: str | None = f"{BASE}/webhooks.json?limit=250"
    while url is not None:
        response = client.get(url)
        seen += len(response.json()["webhooks"])
        url = response.links.get("next", {}).get("url")
    return time.process_time() - start, seen


def _graphql_walk(client: httpx.Client) -> tuple[float, int]:
    start = time.process_time()
    seen = 0
    after: str | None = None
    while True:
        body = client.post(
            f"{BASE}/graphql.json", json={"query": PAGE, "variables": {"after": after}}
        ).json()
        connection = body["data"]["webhookSubscriptions"]
        seen += len(connection["nodes"])
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    return time.process_time() - start, seen


def _observation(sim: Simulator, n: int, repeats: int = 20) -> tuple[float, float]:
    """CPU seconds per observation after a one-subscription step: incremental, full rebuild."""
    world = default_world(crowd=n // 2, other_apps=n - n // 2)
    session = Session(sim, world, with_reference=False)
    tenant = session.tenants["bot1"]
    timings: list[float] = [0.0, 0.0]
    for i in range(repeats):
        hook = session.fake.add_webhook(
            tenant.shop, world.app, topic="orders/create", address=f"{tenant.webhook_url}/{i}"
        )
        start = time.process_time()
        session.observe()
        timings[0] += time.process_time() - start
        session.fake.remove_webhook(tenant.shop, hook.id)
        start = time.process_time()
        session.observe()
        timings[0] += time.process_time() - start
        if i < 3:  # the full rebuild is slow at 25,000: a few samples suffice
            start = time.process_time()
            session._observe_full()
            timings[1] += time.process_time() - start
    return timings[0] / (2 * repeats), timings[1] / min(repeats, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", default="250,2500,25000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    bare = prebuilt_client(httpx.Response(200, json={"webhooks": []}))
    seeding: dict[int, list[float]] = {n: [] for n in sizes}
    rest: dict[int, list[float]] = {n: [] for n in sizes}
    graphql: dict[int, list[float]] = {n: [] for n in sizes}
    floor: list[float] = []
    observe: dict[int, list[float]] = {n: [] for n in sizes}
    rebuild: dict[int, list[float]] = {n: [] for n in sizes}
    sim = Simulator(load_integration("harness.examples.correct.find_or_create"))
    for _ in range(args.rounds):
        floor.append(timed(functools.partial(bare.get, f"{BASE}/webhooks.json?limit=250"), 50))
        for n in sizes:  # interleaved: each round measures every size
            fake, token = _fake()
            seeding[n].append(_seed(fake, n))
            client = httpx.Client(
                transport=fake.transport(), headers={"X-Shopify-Access-Token": token}
            )
            took, seen = _rest_walk(client)
            assert seen == n, (seen, n)
            rest[n].append(took / n)
            took, seen = _graphql_walk(client)
            assert seen == n, (seen, n)
            graphql[n].append(took / n)
            incremental, full = _observation(sim, n)
            observe[n].append(incremental)
            rebuild[n].append(full)

    print(f"{args.rounds} interleaved rounds; CPU time, medians")
    print(
        f"bare MockTransport round trip of one page request: {statistics.median(floor) * 1e6:.0f} us"
    )
    print(
        f"{'N':>7}  {'seed total':>10}  {'seed/sub':>9}  {'REST walk/sub':>13}  "
        f"{'GraphQL walk/sub':>16}"
    )
    for n in sizes:
        seed = statistics.median(seeding[n])
        rest_us = statistics.median(rest[n]) * 1e6
        graphql_us = statistics.median(graphql[n]) * 1e6
        print(
            f"{n:>7}  {seed:>9.3f}s  {seed / n * 1e6:>7.1f}us  {rest_us:>11.1f}us  "
            f"{graphql_us:>14.1f}us"
        )
    print(f"{'N':>7}  {'observe/step':>12}  {'full rebuild':>12}")
    for n in sizes:
        print(
            f"{n:>7}  {statistics.median(observe[n]) * 1e6:>10.0f}us  "
            f"{statistics.median(rebuild[n]) * 1e6:>10.0f}us"
        )
    largest = max(sizes)
    seed_25k = statistics.median(seeding[largest]) * 25_000 / largest
    worst_walk = max(
        statistics.median(rest[largest]) * 1e6, statistics.median(graphql[largest]) * 1e6
    )
    print(
        f"seeding 25,000 (scaled from N={largest}): {seed_25k:.3f}s, target <= {SEED_TARGET}s: "
        f"{'ok' if seed_25k <= SEED_TARGET else 'MISSED'}"
    )
    print(
        f"full listing at N={largest}: {worst_walk:.1f} us per subscription (worse of REST and "
        f"GraphQL), target <= {LIST_TARGET} us: {'ok' if worst_walk <= LIST_TARGET else 'MISSED'}"
    )
    smallest = min(sizes)
    growth = statistics.median(observe[largest]) / statistics.median(observe[smallest])
    print(
        f"observation per step at N={largest} vs N={smallest}: {growth:.2f}x "
        f"(target: independent of N, ~1x)"
    )


if __name__ == "__main__":
    main()
