"""The state layer's indexes answer what a scan of every subscription answers.

The model here is the straightforward implementation the indexes replaced (scan, filter,
sort, slice): after any sequence of creates, updates, deletes, removals and uninstalls, the
uniqueness and name rules, REST pages and GraphQL connection pages agree with it.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from fake_shopify.clock import ManualClock
from fake_shopify.errors import ValidationError
from fake_shopify.graphql import GraphQLEngine
from fake_shopify.ratelimit import RateLimiter
from fake_shopify.state import ShopifyBackend, Webhook
from fake_shopify.topics import graphql_topic

START = datetime(2026, 5, 7, tzinfo=UTC)
TOPICS = ["orders/create", "products/update", "customers/redact"]
ADDRESSES = [f"https://e.example/{i}" for i in range(3)]
NAMES = [None, "n1", "N1", "n2"]

creates = st.tuples(
    st.just("create"),
    st.sampled_from(["bot", "bot", "bot", "other"]),
    st.sampled_from(TOPICS),
    st.sampled_from(ADDRESSES),
    st.sampled_from(["json", "xml"]),
    st.sampled_from(NAMES),
    st.integers(-3, 3),  # created_at offset in seconds (seeded times may go back)
)
changes = st.one_of(
    creates,
    st.tuples(
        st.just("update"),
        st.integers(0, 30),
        st.sampled_from([None, *ADDRESSES]),
        st.sampled_from([None, "json", "xml"]),
        st.sampled_from(["keep", *NAMES]),
    ),
    st.tuples(st.just("delete"), st.integers(0, 30)),
    st.tuples(st.just("remove"), st.integers(0, 30)),
    st.tuples(st.just("tick"), st.integers(0, 2)),
)
# A few creates first (so that pages have something to show), then any mix of changes.
operations = st.builds(
    lambda first, then: [*first, *then],
    st.lists(creates, min_size=1, max_size=12),
    st.lists(changes, max_size=20),
)


def _build(ops: list[tuple[Any, ...]]) -> tuple[ManualClock, ShopifyBackend]:
    clock = ManualClock(START)
    backend = ShopifyBackend(clock)
    backend.add_shop("acme")
    for app in ("bot", "other"):
        backend.add_app(app, scopes={"read_orders", "read_products", "read_customers"})
        backend.install("acme", app)
    for op in ops:
        kind = op[0]
        every = backend.webhooks()
        if kind == "create":
            _, app, topic, address, format_, name, offset = op
            mine = backend.list_webhooks("acme", app)
            duplicate = any(
                (w.topic, w.address, w.format) == (topic, address, format_) for w in mine
            )
            taken = name is not None and any(
                w.name is not None and w.name.lower() == name.lower() for w in mine
            )
            try:
                backend.create_webhook(
                    "acme",
                    app,
                    topic=topic,
                    address=address,
                    format=format_,
                    name=name,
                    created_at=clock.now() + timedelta(seconds=offset),
                )
            except ValidationError:
                assert duplicate or taken
            else:
                assert not duplicate
                assert not taken
        elif kind == "update" and every:
            _, index, address, format_, name = op
            webhook = every[index % len(every)]
            changes: dict[str, Any] = {}
            if address is not None:
                changes["address"] = address
            if format_ is not None:
                changes["format"] = format_
            if name != "keep":
                changes["name"] = name
            after = (
                webhook.topic,
                changes.get("address", webhook.address),
                changes.get("format", webhook.format),
            )
            others = [w for w in backend.list_webhooks("acme", webhook.app) if w is not webhook]
            new_name = changes.get("name", webhook.name) if "name" in changes else None
            clash = any((w.topic, w.address, w.format) == after for w in others) or (
                new_name is not None
                and any(w.name is not None and w.name.lower() == new_name.lower() for w in others)
            )
            try:
                backend.update_webhook("acme", webhook.app, webhook.id, **changes)
            except ValidationError:
                assert clash
            else:
                assert not clash
        elif kind in ("delete", "remove") and every:
            webhook = every[op[1] % len(every)]
            if kind == "delete":
                backend.delete_webhook("acme", webhook.app, webhook.id)
            else:
                backend.remove_webhook("acme", webhook.id)
        elif kind == "tick":
            clock.advance(op[1])
    return clock, backend


def _scan(backend: ShopifyBackend, app: str) -> list[Webhook]:
    return sorted((w for w in backend.webhooks() if w.app == app), key=lambda w: w.id)


@settings(max_examples=200, deadline=None)
@given(
    ops=operations,
    topic=st.sampled_from([None, *TOPICS]),
    address=st.sampled_from([None, *ADDRESSES]),
    since=st.integers(0, 30),
    limit=st.integers(1, 4),
    anchor=st.integers(0, 30),
    direction=st.sampled_from([None, "next", "prev"]),
)
def test_rest_pages_match_a_scan(
    ops: list[tuple[Any, ...]],
    topic: str | None,
    address: str | None,
    since: int,
    limit: int,
    anchor: int,
    direction: str | None,
) -> None:
    _, backend = _build(ops)
    everything = _scan(backend, "bot")
    assert backend.webhooks("acme", "bot") == everything
    assert backend.webhooks() == sorted(backend.webhooks(), key=lambda w: w.id)
    for each in TOPICS:  # firing an event reads every app's subscriptions through the index
        assert backend.topic_subscribers("acme", each) == [
            w for w in backend.webhooks("acme") if w.topic == each
        ]
    ids = [w.id for w in everything] or [0]
    since_id = ids[since % len(ids)] if since % 3 else None
    matching = [
        w
        for w in everything
        if (topic is None or w.topic == topic)
        and (address is None or w.address == address)
        and (since_id is None or w.id > since_id)
    ]
    # Mostly a match's id (the boundaries that matter), else an id that matches nothing.
    anchors = [w.id for w in matching] if anchor % 4 else ids
    anchor_id = anchors[anchor % len(anchors)] if anchors else anchor
    if anchor % 5 == 0:
        anchor_id += 1
    listed = backend.list_webhooks("acme", "bot", topic=topic, address=address, since_id=since_id)
    assert listed == matching
    assert backend.count_webhooks("acme", "bot", topic=topic, address=address) == len(
        [
            w
            for w in everything
            if (topic is None or w.topic == topic) and (address is None or w.address == address)
        ]
    )
    if direction is None:
        expected = (matching[:limit], False, len(matching) > limit)
    elif direction == "next":
        after = [w for w in matching if w.id > anchor_id]
        expected = (after[:limit], len(after) < len(matching), len(after) > limit)
    else:
        before = [w for w in matching if w.id < anchor_id]
        expected = (before[-limit:], len(before) > limit, len(before) < len(matching))
    page = backend.page_webhooks(
        "acme",
        "bot",
        limit=limit,
        after=anchor_id if direction == "next" else None,
        before=anchor_id if direction == "prev" else None,
        topic=topic,
        address=address,
        since_id=since_id,
    )
    assert page == expected


LIST = """query L($first: Int, $last: Int, $after: String, $before: String, $reverse: Boolean,
  $sortKey: WebhookSubscriptionSortKeys, $topics: [WebhookSubscriptionTopic!],
  $format: WebhookSubscriptionFormat, $uri: String, $query: String) {
  webhookSubscriptions(first: $first, last: $last, after: $after, before: $before,
      reverse: $reverse, sortKey: $sortKey, topics: $topics, format: $format, uri: $uri,
      query: $query) {
    edges { cursor node { legacyResourceId } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


def _model_page(
    backend: ShopifyBackend, args: dict[str, Any], after_id: int | None, before_id: int | None
) -> tuple[list[int], bool, bool]:
    """The connection as the fake computed it before the indexes: filter, sort, slice."""
    items = [w for w in _scan(backend, "bot") if graphql_topic(w.topic) is not None]
    if args.get("topics"):
        wanted = {t.lower().replace("_", "/", 1) for t in args["topics"]}
        items = [w for w in items if w.topic in wanted]
    if args.get("format"):
        items = [w for w in items if w.format == args["format"].lower()]
    if args.get("uri"):
        items = [w for w in items if w.address == args["uri"]]
    if args.get("query"):
        items = [w for w in items if w.id > int(args["query"].removeprefix("id:>"))]
    if args.get("sortKey") == "ID":
        items.sort(key=lambda w: w.id)
    else:
        items.sort(key=lambda w: (w.created_at, w.id))
    if args.get("reverse"):
        items.reverse()
    positions = {w.id: i for i, w in enumerate(items)}
    start, stop = 0, len(items)
    if after_id is not None and after_id in positions:
        start = positions[after_id] + 1
    if before_id is not None:
        stop = positions.get(before_id, stop)
    window = items[start:stop] if start < stop else []
    first, last = args.get("first"), args.get("last")
    if first is not None:
        window = window[:first]
    if last is not None:
        window = window[-last:] if last else []
    if not window:
        return [], False, False
    return (
        [w.id for w in window],
        positions[window[0].id] > 0,
        positions[window[-1].id] < len(items) - 1,
    )


def _cursor(webhook_id: int) -> str:
    raw = json.dumps({"last_id": webhook_id, "last_value": "x"}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


THREE = [("create", "bot", "orders/create", a, "json", None, 0) for a in ADDRESSES]


@settings(max_examples=200, deadline=None)
@example(THREE, 1, None, 0, None, False, "ID", None, None, None, None)  # after the first
@example(THREE, None, 1, None, 2, True, "CREATED_AT", None, None, None, None)  # before, reversed
@example(THREE, 1, None, 1, None, True, "ID", None, "JSON", None, None)
@given(
    ops=operations,
    first=st.one_of(st.none(), st.integers(0, 4)),
    last=st.one_of(st.none(), st.integers(0, 4)),
    after=st.one_of(st.none(), st.integers(0, 30)),
    before=st.one_of(st.none(), st.integers(0, 30)),
    reverse=st.booleans(),
    sort_key=st.sampled_from(["CREATED_AT", "ID"]),
    topics=st.sampled_from([None, ["ORDERS_CREATE"], ["ORDERS_CREATE", "PRODUCTS_UPDATE"]]),
    format_=st.sampled_from([None, "JSON", "XML"]),
    uri=st.sampled_from([None, ADDRESSES[0]]),
    query=st.sampled_from([None, "id:>1000000000006"]),
)
def test_graphql_pages_match_filter_sort_slice(
    ops: list[tuple[Any, ...]],
    first: int | None,
    last: int | None,
    after: int | None,
    before: int | None,
    reverse: bool,
    sort_key: str,
    topics: list[str] | None,
    format_: str | None,
    uri: str | None,
    query: str | None,
) -> None:
    if first is None and last is None:
        first = 2
    clock, backend = _build(ops)
    ids = [w.id for w in _scan(backend, "bot")] or [1]
    after_id = None if after is None else ids[after % len(ids)] + (after % 5 == 4)
    before_id = None if before is None else ids[before % len(ids)] + (before % 5 == 4)
    args: dict[str, Any] = {
        "first": first,
        "last": last,
        "reverse": reverse,
        "sortKey": sort_key,
        "topics": topics,
        "format": format_,
        "uri": uri,
        "query": query,
    }
    variables = {k: v for k, v in args.items() if v is not None}
    if after_id is not None:
        variables["after"] = _cursor(after_id)
    if before_id is not None:
        variables["before"] = _cursor(before_id)
    result = GraphQLEngine().execute(
        backend,
        backend.installation("acme", "bot"),
        version="2026-04",
        body=json.dumps({"query": LIST, "variables": variables}).encode(),
        limiter=RateLimiter(enabled=False),
        now=clock.now().timestamp(),
    )
    connection = result.body["data"]["webhookSubscriptions"]
    got = (
        [int(e["node"]["legacyResourceId"]) for e in connection["edges"]],
        connection["pageInfo"]["hasPreviousPage"],
        connection["pageInfo"]["hasNextPage"],
    )
    assert got == _model_page(backend, args, after_id, before_id)
    for name, getter in (("topic", "topic"), ("address", "address")):
        for w in backend.webhooks():
            assert w in backend.list_webhooks("acme", w.app, **{name: getattr(w, getter)})


@settings(max_examples=300, deadline=None)
@given(
    rest=st.text(
        alphabet=st.sampled_from([*"ab.-:@[]/?#%\t\n 1", "\u00aa", "\uff0f"]), max_size=20
    ),
    scheme=st.sampled_from(["https://", "HTTPS://"]),
)
def test_memoised_hostname_is_urlsplits(rest: str, scheme: str) -> None:
    """Address validation reads the host through a memo keyed by the authority part."""
    from urllib.parse import urlsplit

    from fake_shopify.state import _hostname

    address = scheme + rest
    try:
        expected: object = urlsplit(address).hostname
    except ValueError:
        expected = ValueError
    try:
        got: object = _hostname(address)
    except ValueError:
        got = ValueError
    assert got == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([*"ab=&+%2F0 ;?", "%C3", "%A9", "\u00e9"]), max_size=16).map("".join)
)
def test_query_parsing_reads_as_httpx_query_params(text: str) -> None:
    """The REST layer's light query parser gives what ``httpx.QueryParams(text)`` gives."""
    import httpx

    from fake_shopify.rest import Query

    ours, reference = Query(text), httpx.QueryParams(text)
    assert list(ours) == list(reference.keys())
    assert ours.multi_items() == reference.multi_items()
    for name in reference:
        assert name in ours
        assert ours.get(name) == reference.get(name) == ours[name]
    assert ours.get("absent") is None
    assert "absent" not in ours
