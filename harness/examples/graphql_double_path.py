"""Buggy, async, GraphQL: two modules subscribe the same topic, one URL with a trailing slash.

The bug (the integrations of https://github.com/botpress/botpress/tree/master/integrations, A6: matching by URL string alone): the integration
has an order-sync module and a notifications module, and each makes
sure of its own ``ORDERS_CREATE`` subscription, idempotently (find by ``uri``, create if
missing). One builds the callback URL as ``webhook_url``, the other as ``webhook_url + "/"``.
Shopify sees two addresses, so both subscriptions exist and every order reaches the bot twice.
Every register leaves the same world, a retry converges, and ``unregister`` deletes everything
under the ``webhook_url``: only ``exactly_once`` notices.

A check must report ``exactly_once``, and nothing else.
"""

from __future__ import annotations

from typing import Any

import httpx

from harness.platform import RuntimeError

API_VERSION = "2026-04"

FIND = """query Find($uri: String!) {
  webhookSubscriptions(first: 250, uri: $uri, topics: [ORDERS_CREATE]) { nodes { id uri } }
}"""
LIST_ALL = """query Mine($after: String) {
  webhookSubscriptions(first: 250, after: $after) {
    nodes { id uri }
    pageInfo { hasNextPage endCursor }
  }
}"""
CREATE = """mutation Subscribe($uri: String!) {
  webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {uri: $uri}) {
    webhookSubscription { id }
    userErrors { message }
  }
}"""
DELETE = """mutation Unsubscribe($id: ID!) {
  webhookSubscriptionDelete(id: $id) { userErrors { message } }
}"""


async def register(*, ctx: Any, webhook_url: str) -> None:
    async with _client(ctx) as http:
        await _ensure(http, webhook_url)  # order sync
        await _ensure(http, webhook_url.rstrip("/") + "/")  # notifications: same topic


async def unregister(*, ctx: Any, webhook_url: str) -> None:
    async with _client(ctx) as http:
        after: str | None = None
        while True:
            data = await _graphql(http, LIST_ALL, after=after)
            page = data["webhookSubscriptions"]
            for node in page["nodes"]:
                uri = node["uri"]
                if uri == webhook_url or uri.startswith(webhook_url.rstrip("/") + "/"):
                    await _graphql(http, DELETE, id=node["id"])
            if not page["pageInfo"]["hasNextPage"]:
                return
            after = page["pageInfo"]["endCursor"]


async def _ensure(http: httpx.AsyncClient, uri: str) -> None:
    found = await _graphql(http, FIND, uri=uri)
    if any(n["uri"] == uri for n in found["webhookSubscriptions"]["nodes"]):
        return
    created = await _graphql(http, CREATE, uri=uri)
    errors = created["webhookSubscriptionCreate"]["userErrors"]
    if errors:
        raise RuntimeError(f"Shopify refused ORDERS_CREATE: {errors[0]['message']}")


def _client(ctx: Any) -> httpx.AsyncClient:
    config = ctx.configuration
    return httpx.AsyncClient(
        base_url=f"https://{config['shopName']}.myshopify.com/admin/api/{API_VERSION}/",
        headers={"X-Shopify-Access-Token": config["access_token"]},
    )


async def _graphql(http: httpx.AsyncClient, query: str, **variables: object) -> Any:
    try:
        response = await http.post("graphql.json", json={"query": query, "variables": variables})
    except httpx.TransportError as exc:
        raise RuntimeError(f"Could not reach Shopify: {type(exc).__name__}") from exc
    body = response.json() if response.status_code == 200 else None
    if body is None or body.get("errors"):
        raise RuntimeError(f"Shopify GraphQL failed with {response.status_code}")
    return body["data"]
