"""Buggy, sync, GraphQL: a fresh "version" query string in the callback URL on every register.

The bug (docs/examples.md, "create a duplicate webhook on every register", in its GraphQL
form; the integrations of https://github.com/botpress/botpress/tree/master/integrations, A5 "N registers -> N x webhooks", and A6, where
GitHub's integration registered with a fresh ``secret-${Math.random()}`` each time): the
integration versions its callback URL (``{webhook_url}?v={n}``) so it can tell deliveries of old
and new registrations apart, bumps ``n`` on every ``register`` and never removes the older
subscriptions. Shopify's duplicate check is on topic + address + format, so every register adds
one more subscription per topic: after two registers each event reaches the bot twice. It also
ignores ``userErrors``, and ``unregister`` deletes only the subscriptions of the latest
registration.

A check must report ``exactly_once``, ``idempotent``, ``clean`` and ``convergent``.
"""

from __future__ import annotations

from typing import Any

import httpx

from harness.platform import ResourceNotFoundError

API_VERSION = "2026-04"
TOPICS = ("ORDERS_CREATE", "ORDERS_PAID")
STATE = {"type": "integration", "name": "shopifyWebhooks"}

CREATE = """mutation Subscribe($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri}) {
    webhookSubscription { id }
    userErrors { message }
  }
}"""
DELETE = """mutation Unsubscribe($id: ID!) {
  webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId }
}"""


def register(*, ctx: Any, client: Any, webhook_url: str) -> None:
    try:
        previous = client.get_state(id=ctx.integration_id, **STATE).payload
    except ResourceNotFoundError:
        previous = {}
    version = int(previous.get("version", 0)) + 1
    ids = []
    with _client(ctx) as http:
        for topic in TOPICS:
            body = _post(http, CREATE, topic=topic, uri=f"{webhook_url}?v={version}")
            created = body["data"]["webhookSubscriptionCreate"]["webhookSubscription"]
            if created:  # userErrors are not looked at
                ids.append(created["id"])
    client.set_state(id=ctx.integration_id, payload={"version": version, "ids": ids}, **STATE)


def unregister(*, ctx: Any, client: Any) -> None:
    try:
        ids = client.get_state(id=ctx.integration_id, **STATE).payload.get("ids", [])
    except ResourceNotFoundError:
        return
    with _client(ctx) as http:
        for gid in ids:
            _post(http, DELETE, id=gid)
    client.set_state(id=ctx.integration_id, payload=None, **STATE)


def _client(ctx: Any) -> httpx.Client:
    config = ctx.configuration
    return httpx.Client(
        base_url=f"https://{config['shopName']}.myshopify.com/admin/api/{API_VERSION}/",
        headers={"X-Shopify-Access-Token": config["access_token"]},
    )


def _post(http: httpx.Client, query: str, **variables: object) -> Any:
    response = http.post("graphql.json", json={"query": query, "variables": variables})
    response.raise_for_status()
    return response.json()
