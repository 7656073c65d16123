"""Connection pagination and search: every page walk sees every subscription once, in order."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fake_shopify.clock import ManualClock
from fake_shopify.graphql import GraphQLEngine
from fake_shopify.graphql.search import COUNT_FIELDS, LIST_FIELDS, matches, parse_query
from fake_shopify.ratelimit import RateLimiter
from fake_shopify.state import ShopifyBackend

START = datetime(2026, 5, 7, tzinfo=UTC)
PAGE = """query P($first: Int, $after: String, $last: Int, $before: String, $sortKey: WebhookSubscriptionSortKeys, $reverse: Boolean) {
  webhookSubscriptions(first: $first, after: $after, last: $last, before: $before, sortKey: $sortKey, reverse: $reverse) {
    edges { cursor node { legacyResourceId } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


class World:
    def __init__(self, gaps: list[int]) -> None:
        self.clock = ManualClock(START)
        self.backend = ShopifyBackend(self.clock)
        self.backend.add_shop("acme")
        self.backend.add_app("bot")
        self.inst = self.backend.install("acme", "bot")
        self.engine = GraphQLEngine()
        self.limiter = RateLimiter(enabled=False)
        for i, gap in enumerate(gaps):
            self.clock.advance(gap)
            self.backend.create_webhook(
                "acme", "bot", topic="orders/create", address=f"https://e.example/{i}"
            )

    def page(self, **variables: Any) -> dict[str, Any]:
        body = json.dumps({"query": PAGE, "variables": variables}).encode()
        result = self.engine.execute(
            self.backend,
            self.inst,
            version="2026-04",
            body=body,
            limiter=self.limiter,
            now=self.clock.now().timestamp(),
        )
        connection: dict[str, Any] = result.body["data"]["webhookSubscriptions"]
        return connection


def _ids(connection: dict[str, Any]) -> list[int]:
    return [int(e["node"]["legacyResourceId"]) for e in connection["edges"]]


@settings(max_examples=25, deadline=None)
@given(
    gaps=st.lists(st.integers(0, 2), max_size=9),
    size=st.integers(1, 4),
    sort_key=st.sampled_from(["CREATED_AT", "ID"]),
    reverse=st.booleans(),
)
def test_forward_and_backward_walks_see_everything_once_in_order(
    gaps: list[int], size: int, sort_key: str, reverse: bool
) -> None:
    world = World(gaps)
    records = world.backend.list_webhooks("acme", "bot")
    if sort_key == "ID":
        expected = sorted(w.id for w in records)
    else:
        expected = [w.id for w in sorted(records, key=lambda w: (w.created_at, w.id))]
    if reverse:
        expected.reverse()
    forward: list[int] = []
    after = None
    while True:
        page = world.page(first=size, after=after, sortKey=sort_key, reverse=reverse)
        forward += _ids(page)
        assert len(page["edges"]) <= size
        assert page["pageInfo"]["hasPreviousPage"] == (len(forward) > len(page["edges"]))
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert forward == expected
    backward: list[int] = []
    before = None
    while True:
        page = world.page(last=size, before=before, sortKey=sort_key, reverse=reverse)
        backward = _ids(page) + backward
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert backward == expected


def test_search_terms_compare_ids_and_times_and_ignore_unknown_fields() -> None:
    created = START + timedelta(hours=1)
    values = {"id": 1005, "created_at": created, "updated_at": created, "topic": "orders/create"}
    check = values.__getitem__

    def ok(query: str, fields: frozenset[str] = LIST_FIELDS) -> bool:
        return matches(parse_query(query, fields=fields), check)

    assert ok("id:1005")
    assert ok("id:gid://shopify/WebhookSubscription/1005")
    assert not ok("id:>1005")
    assert ok("id:>=1005 AND created_at:>2026-05-07")
    assert ok('created_at:<"2026-05-07T02:00:00Z"')
    assert not ok("-id:1005")
    assert not ok("NOT id:1005")
    assert ok("bogus:thing id:1005")  # unknown fields are ignored
    assert ok("topic:orders/paid")  # topic is a count-only field: ignored by the list
    assert not ok("topic:orders/paid", COUNT_FIELDS)
    assert ok("topic:ORDERS/CREATE", COUNT_FIELDS)
    assert not ok("created_at:>not-a-date")
