"""GraphQL through the fake's HTTP core: auth, versions, faults by operation, REST agreement."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_shopify import FakeShopify, HttpError, ManualClock, Match, Next, Recorder, RetryPolicy
from fake_shopify.delivery import verify
from fake_shopify.graphql import gid_to_id

START = datetime(2026, 5, 7, 0, 39, 20, tzinfo=UTC)
SHOP = "https://acme.myshopify.com"
CREATE = """mutation webhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}"""
LIST = """query List($first: Int!, $after: String) {
  webhookSubscriptions(first: $first, after: $after) {
    nodes { id legacyResourceId topic uri format includeFields createdAt updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}"""


def make_fake(**options: Any) -> tuple[FakeShopify, httpx.Client]:
    fake = FakeShopify(clock=ManualClock(START), **options)
    fake.add_shop("acme")
    fake.add_app("bot", scopes={"read_orders", "read_products"})
    inst = fake.install("acme", "bot")
    client = httpx.Client(
        transport=fake.transport(),
        base_url=SHOP,
        headers={"X-Shopify-Access-Token": inst.access_token},
    )
    return fake, client


def gql(client: httpx.Client, query: str, version: str = "2026-04", **variables: Any) -> Any:
    response = client.post(
        f"/admin/api/{version}/graphql.json", json={"query": query, "variables": variables}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_graphql_over_http_creates_what_rest_then_lists() -> None:
    fake, client = make_fake()
    body = gql(
        client, CREATE, topic="ORDERS_CREATE", webhookSubscription={"uri": "https://e.com/h"}
    )
    node = body["data"]["webhookSubscriptionCreate"]["webhookSubscription"]
    rest = client.get("/admin/api/2026-04/webhooks.json").json()["webhooks"]
    assert [(w["id"], w["topic"], w["address"]) for w in rest] == [
        (gid_to_id(node["id"]), "orders/create", "https://e.com/h")
    ]
    [exchange] = [e for e in fake.journal if e.action == "graphql"]
    assert exchange.operations == ("webhookSubscriptionCreate",)
    assert exchange.app == "bot"


def test_bad_token_is_shopifys_401_and_missing_query_a_400() -> None:
    _fake, client = make_fake()
    response = client.post(
        "/admin/api/2026-04/graphql.json",
        json={"query": "{ shop { id } }"},
        headers={"X-Shopify-Access-Token": "shpat_nope"},
    )
    assert response.status_code == 401
    assert response.json() == {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
    }
    missing = client.post("/admin/api/2026-04/graphql.json", json={"variables": {}})
    assert (missing.status_code, missing.json()) == (
        400,
        {"errors": {"query": "Required parameter missing or invalid"}},
    )


def test_application_graphql_content_type_and_fallen_forward_version() -> None:
    _fake, client = make_fake()
    response = client.post(
        "/admin/api/2020-01/graphql.json",
        content=b"{ shop { myshopifyDomain } }",
        headers={"Content-Type": "application/graphql"},
    )
    assert response.json()["data"] == {"shop": {"myshopifyDomain": "acme.myshopify.com"}}
    served = response.headers["X-Shopify-API-Version"]
    assert served != "2020-01"
    assert served >= "2025-04"


def test_fault_targets_a_graphql_operation_by_name() -> None:
    fake, client = make_fake()
    fake.faults.arm(HttpError(503), match=Match(action="webhookSubscriptionCreate"))
    listed = gql(client, LIST, first=5)
    assert listed["data"]["webhookSubscriptions"]["nodes"] == []
    failed = client.post(
        "/admin/api/2026-04/graphql.json",
        json={
            "query": CREATE,
            "variables": {"topic": "SHOP_UPDATE", "webhookSubscription": {"uri": "https://e/x"}},
        },
    )
    assert failed.status_code == 503
    assert [f.action for f in fake.faults.fired] == ["graphql"]
    assert fake.webhooks() == []
    ok = gql(client, CREATE, topic="SHOP_UPDATE", webhookSubscription={"uri": "https://e.com/x"})
    assert ok["data"]["webhookSubscriptionCreate"]["userErrors"] == []


def test_fault_by_root_field_on_an_anonymous_operation() -> None:
    fake, client = make_fake()
    fake.faults.arm(HttpError(500), match=Match(action="webhookSubscriptions"), schedule=Next(1))
    response = client.post(
        "/admin/api/2026-04/graphql.json",
        json={"query": "{ webhookSubscriptions(first: 1) { nodes { id } } }"},
    )
    assert response.status_code == 500
    assert gql(client, "{ shop { name } }")["data"] == {"shop": {"name": "Acme"}}


def test_rate_limits_off_never_throttle_graphql() -> None:
    _fake, client = make_fake(rate_limits=False)
    for _ in range(250):
        body = gql(client, CREATE, topic="SHOP_UPDATE", webhookSubscription={"uri": ""})
        assert "errors" not in body


def test_graphql_bucket_throttles_over_http() -> None:
    fake, client = make_fake()
    statuses = []
    for i in range(201):
        body = gql(
            client, CREATE, topic="SHOP_UPDATE", webhookSubscription={"uri": f"https://e.com/{i}"}
        )
        statuses.append(body.get("errors", [{}])[0].get("extensions", {}).get("code"))
    assert statuses[:200] == [None] * 200
    assert statuses[200] == "THROTTLED"
    assert len(fake.webhooks()) == 200
    fake.clock.advance(1)
    body = gql(client, CREATE, topic="SHOP_UPDATE", webhookSubscription={"uri": "https://e.com/x"})
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 90


def test_fire_delivers_signed_events_to_subscribers() -> None:
    recorder = Recorder()
    fake, client = make_fake(delivery_sender=recorder, retry_policy=RetryPolicy(delays=(5,)))
    gql(client, CREATE, topic="ORDERS_CREATE", webhookSubscription={"uri": "https://bot.ex/h"})
    recorder.respond("https://bot.ex/", 500)
    event = fake.fire("acme", "orders/create", {"id": 1})
    secret = fake.backend.app("bot").client_secret
    [first] = recorder.requests
    assert verify(secret, first.content, first.headers["X-Shopify-Hmac-Sha256"])
    assert json.loads(first.content) == {"id": 1}
    assert fake.deliver_due() == []
    recorder.respond("https://bot.ex/", 200)
    fake.clock.advance(5)
    [retry] = fake.deliver_due()
    assert retry.ok
    assert [d.attempt for d in event.deliveries] == [1, 2]


TOPICS = ["ORDERS_CREATE", "ORDERS_PAID", "PRODUCTS_UPDATE", "SHOP_UPDATE", "APP_UNINSTALLED"]
ADDRESSES = ["https://a.example/h", "https://b.example/h", "http://bad.example/h", ""]

operations = st.one_of(
    st.tuples(st.just("rest_create"), st.sampled_from(TOPICS), st.sampled_from(ADDRESSES)),
    st.tuples(st.just("gql_create"), st.sampled_from(TOPICS), st.sampled_from(ADDRESSES)),
    st.tuples(st.just("rest_update"), st.integers(0, 5), st.sampled_from(ADDRESSES)),
    st.tuples(st.just("gql_update"), st.integers(0, 5), st.sampled_from(ADDRESSES)),
    st.tuples(st.just("rest_delete"), st.integers(0, 5), st.just("")),
    st.tuples(st.just("gql_delete"), st.integers(0, 5), st.just("")),
    st.tuples(st.just("tick"), st.integers(0, 3), st.just("")),
)


def _rest_topic(enum: str) -> str:
    from fake_shopify.topics import rest_topic

    found = rest_topic(enum)
    assert found is not None
    return found


def _pick(ids: list[int], index: int) -> int:
    return ids[index % len(ids)] if ids else 999


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(operations, max_size=12))
def test_rest_and_graphql_views_agree_after_any_mixed_sequence(
    steps: list[tuple[str, Any, str]],
) -> None:
    fake, client = make_fake(rate_limits=False)
    base = "/admin/api/2026-04"
    for kind, arg, address in steps:
        ids = [w.id for w in fake.webhooks()]
        if kind == "rest_create":
            client.post(
                f"{base}/webhooks.json",
                json={"webhook": {"topic": _rest_topic(arg), "address": address}},
            )
        elif kind == "gql_create":
            gql(client, CREATE, topic=arg, webhookSubscription={"uri": address})
        elif kind == "rest_update":
            client.put(
                f"{base}/webhooks/{_pick(ids, arg)}.json",
                json={"webhook": {"address": address}},
            )
        elif kind == "gql_update":
            gql(
                client,
                "mutation U($id: ID!, $s: WebhookSubscriptionInput!) { webhookSubscriptionUpdate(id: $id, webhookSubscription: $s) { userErrors { message } } }",
                id=f"gid://shopify/WebhookSubscription/{_pick(ids, arg)}",
                s={"uri": address},
            )
        elif kind == "rest_delete":
            client.delete(f"{base}/webhooks/{_pick(ids, arg)}.json")
        elif kind == "gql_delete":
            gql(
                client,
                "mutation D($id: ID!) { webhookSubscriptionDelete(id: $id) { userErrors { message } } }",
                id=f"gid://shopify/WebhookSubscription/{_pick(ids, arg)}",
            )
        else:
            fake.clock.advance(arg)
    rest = client.get(f"{base}/webhooks.json", params={"limit": 250}).json()["webhooks"]
    nodes = gql(client, LIST, first=250)["data"]["webhookSubscriptions"]["nodes"]
    count = gql(client, "{ webhookSubscriptionsCount { count } }")["data"]
    rest_view = [
        (w["id"], w["topic"], w["address"], w["format"], w["fields"], w["created_at"][:19])
        for w in rest
    ]
    shop = fake.backend.shop("acme")
    graphql_view = [
        (
            int(n["legacyResourceId"]),
            _rest_topic(n["topic"]),
            n["uri"],
            n["format"].lower(),
            n["includeFields"],
            shop.local_time(datetime.fromisoformat(n["createdAt"]))[:19],
        )
        for n in nodes
    ]
    assert sorted(rest_view) == sorted(graphql_view)
    assert [gid_to_id(n["id"]) for n in nodes] == [int(n["legacyResourceId"]) for n in nodes]
    assert count == {"webhookSubscriptionsCount": {"count": len(rest)}}
    assert len(rest) == len(fake.webhooks())


@pytest.mark.parametrize("version", ["2025-01", "2025-10", "2026-04"])
def test_each_version_creates_through_its_own_address_field(version: str) -> None:
    _fake, client = make_fake()
    key = "callbackUrl" if version < "2025-10" else "uri"
    body = gql(
        client,
        "mutation C($s: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: SHOP_UPDATE, webhookSubscription: $s) { webhookSubscription { endpoint { ... on WebhookHttpEndpoint { callbackUrl } } } userErrors { message } } }",
        version=version,
        s={key: "https://e.com/v"},
    )
    payload = body["data"]["webhookSubscriptionCreate"]
    assert payload == {
        "webhookSubscription": {"endpoint": {"callbackUrl": "https://e.com/v"}},
        "userErrors": [],
    }


def test_lost_response_applies_the_mutation_then_raises() -> None:
    from fake_shopify import LostResponse

    fake, client = make_fake()
    fake.faults.arm(LostResponse(), match=Match(action="webhookSubscriptionCreate"))
    with pytest.raises(httpx.ReadTimeout):
        client.post(
            "/admin/api/2026-04/graphql.json",
            json={
                "query": CREATE,
                "variables": {
                    "topic": "SHOP_UPDATE",
                    "webhookSubscription": {"uri": "https://e.com/lost"},
                },
            },
        )
    [webhook] = fake.webhooks()
    assert (webhook.topic, webhook.address, webhook.origin.api) == (
        "shop/update",
        "https://e.com/lost",
        "graphql",
    )
    retry = gql(
        client, CREATE, topic="SHOP_UPDATE", webhookSubscription={"uri": "https://e.com/lost"}
    )
    assert retry["data"]["webhookSubscriptionCreate"]["userErrors"] == [
        {
            "field": ["webhookSubscription", "callbackUrl"],
            "message": "Address for this topic has already been taken",
        }
    ]
