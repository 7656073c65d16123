"""Correct, sync, GraphQL: reconcile the bot's subscriptions through the GraphQL Admin API.

Style: what Shopify's own libraries do (``webhookSubscriptions`` lookup, then create or leave
alone; https://shopify.dev/docs/api/admin-graphql/latest/queries/webhookSubscriptions), done with every edge handled. No platform state:
Shopify is the record of what exists.

- ``register`` lists every subscription at the bot's ``webhook_url`` (``uri`` filter, all pages),
  keeps one per wanted topic, deletes duplicates and topics no longer wanted, and creates what is
  missing. ``userErrors`` are failures, except "already been taken" (a concurrent register won
  the race), which is confirmed by listing again.
- ``unregister`` deletes every subscription at the ``webhook_url``; "does not exist" (already
  gone) is logged at warning level, not raised.
- ``THROTTLED`` is retried after the time the cost needs to restore (``time.sleep``, virtual
  under the harness); HTTP 429/5xx are retried after ``Retry-After``. Anything else raises the
  platform's ``RuntimeError`` naming the operation and Shopify's answer, never the token.
- One ``httpx.Client`` per hook call, from the current configuration.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx

from harness.platform import RuntimeError

API_VERSION = "2026-04"
TOPICS = ("ORDERS_CREATE", "ORDERS_PAID")
MAX_ATTEMPTS = 4

LIST = """query BotSubscriptions($uri: String!, $after: String) {
  webhookSubscriptions(first: 250, after: $after, uri: $uri) {
    nodes { id topic uri }
    pageInfo { hasNextPage endCursor }
  }
}"""
CREATE = """mutation BotSubscribe($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id }
    userErrors { field message }
  }
}"""
DELETE = """mutation BotUnsubscribe($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}"""


def register(*, ctx: Any, logger: Any, webhook_url: str) -> None:
    with _client(ctx.configuration) as http:
        existing = _mine(http, webhook_url)
        kept: set[str] = set()
        for sub in existing:
            if sub["topic"] in TOPICS and sub["topic"] not in kept:
                kept.add(sub["topic"])
                continue
            # A duplicate or a topic we no longer want: one event must arrive exactly once.
            _delete(http, sub["id"], logger)
        for topic in TOPICS:
            if topic in kept:
                continue
            _create(http, topic, webhook_url)
            logger.for_bot().info("Subscribed %s to Shopify %s", webhook_url, topic)


def unregister(*, ctx: Any, logger: Any, webhook_url: str) -> None:
    with _client(ctx.configuration) as http:
        for sub in _mine(http, webhook_url):
            _delete(http, sub["id"], logger)


def _client(configuration: Mapping[str, Any]) -> httpx.Client:
    shop = configuration.get("shopName")
    token = configuration.get("access_token")
    if not shop or not token:
        raise RuntimeError("Missing Shopify configuration: shopName and access_token are needed")
    return httpx.Client(
        base_url=f"https://{shop}.myshopify.com/admin/api/{API_VERSION}/",
        headers={"X-Shopify-Access-Token": str(token)},
        timeout=10.0,
    )


def _mine(http: httpx.Client, webhook_url: str) -> list[dict[str, Any]]:
    """Every subscription at exactly ``webhook_url``, across all pages."""
    found: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        data = _graphql(http, "BotSubscriptions", LIST, {"uri": webhook_url, "after": after})
        page = data["webhookSubscriptions"]
        # The uri filter is exact on Shopify; checking again keeps other bots' rows safe.
        found.extend(n for n in page["nodes"] if n["uri"] == webhook_url)
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def _create(http: httpx.Client, topic: str, webhook_url: str) -> None:
    data = _graphql(http, "BotSubscribe", CREATE, {"topic": topic, "uri": webhook_url})
    errors = data["webhookSubscriptionCreate"]["userErrors"]
    if not errors:
        return
    taken = any("already been taken" in e["message"] for e in errors)
    if taken and any(s["topic"] == topic for s in _mine(http, webhook_url)):
        return
    raise RuntimeError(f"Shopify refused to subscribe {topic}: {_messages(errors)}")


def _delete(http: httpx.Client, gid: str, logger: Any) -> None:
    data = _graphql(http, "BotUnsubscribe", DELETE, {"id": gid})
    errors = data["webhookSubscriptionDelete"]["userErrors"]
    if not errors:
        return
    if all("does not exist" in e["message"] for e in errors):
        logger.for_bot().warning("Shopify webhook subscription %s was already deleted", gid)
        return
    raise RuntimeError(f"Shopify refused to delete {gid}: {_messages(errors)}")


def _graphql(
    http: httpx.Client, operation: str, query: str, variables: Mapping[str, object]
) -> dict[str, Any]:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            response = http.post("graphql.json", json={"query": query, "variables": variables})
        except httpx.TransportError as exc:
            raise RuntimeError(
                f"Could not reach Shopify for {operation}: {type(exc).__name__}"
            ) from exc
        last = attempt == MAX_ATTEMPTS
        if response.status_code == 429 or response.status_code >= 500:
            if last:
                break
            time.sleep(_retry_after(response))
            continue
        if response.status_code != 200:
            break
        body = response.json()
        errors = body.get("errors")
        if errors and errors[0].get("extensions", {}).get("code") == "THROTTLED" and not last:
            time.sleep(_restore_seconds(body))
            continue
        if errors:
            raise RuntimeError(f"Shopify GraphQL {operation} failed: {_messages(errors)}")
        data: dict[str, Any] = body["data"]
        return data
    raise RuntimeError(
        f"Shopify answered {response.status_code} to GraphQL {operation}: {response.text[:300]}"
    )


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1.0")))
    except ValueError:
        return 1.0


def _restore_seconds(body: Mapping[str, Any]) -> float:
    cost = body.get("extensions", {}).get("cost", {})
    status = cost.get("throttleStatus", {})
    missing = float(cost.get("requestedQueryCost", 0)) - float(status.get("currentlyAvailable", 0))
    rate = float(status.get("restoreRate", 50)) or 50.0
    return max(missing / rate, 0.0) + 0.1


def _messages(errors: list[dict[str, Any]]) -> str:
    return "; ".join(str(e.get("message")) for e in errors)
