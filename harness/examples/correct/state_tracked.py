"""Correct, async: subscription ids tracked in platform state, verified upstream on every register.

Style: pattern P5 of platform-lifecycle.md section 4.2 (Zendesk stores its subscription and trigger
ids; shopify-admin stores ``webhookSubscriptionIds``), without the stale-state trap of A4 (Attio
trusts a stored id and never re-creates) or the orphans of A7 (Workable loses the ids it created
before a failure).

- ``register`` reads ``{"webhook_ids": {topic: id}}`` from the ``integration`` state (a missing
  state is an empty one), checks every stored id with ``GET webhooks/{id}.json``, re-creates the
  ones Shopify no longer has, and writes the state only when it changed. A create answered 422
  "already been taken" (state lost, or a crash after the create) adopts the existing subscription
  found by listing with ``topic`` and ``address``.
- ``unregister`` deletes the stored ids (404 is "already gone", logged at warning level), then
  sweeps ``webhooks.json?address=URL`` for subscriptions the state does not know about (a crash
  between a create and the state write, or lost state), and deletes the state. With nothing to
  delete it returns quietly.
- A 429 (Shopify's leaky bucket) is retried after ``Retry-After``; every other failure raises the
  platform's ``RuntimeError`` naming the request and Shopify's answer (never the token);
  platform-state errors escape as they are, which the runtime reports.
- One ``httpx.AsyncClient`` per hook call from the current configuration (token rotation, tenants).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx

from harness.examples._protocols import AsyncStateClient, Context, Logger
from harness.platform import ResourceNotFoundError, RuntimeError

API_VERSION = "2025-10"
TOPICS = ("orders/create", "orders/cancelled", "customers/create")
MAX_ATTEMPTS = 5  # per request, for 429 (rate limited) only
STATE_NAME = "shopify_webhooks"


async def register(
    *, ctx: Context, client: AsyncStateClient, logger: Logger, webhook_url: str
) -> None:
    stored = await _stored_ids(ctx, client)
    ids: dict[str, int] = {}
    async with _shopify(ctx) as http:
        for topic in TOPICS:
            ids[topic] = await _ensure(
                http, logger, topic=topic, address=webhook_url, stored=stored.get(topic)
            )
    if ids != stored:
        await client.set_state(
            type="integration", id=ctx.integration_id, name=STATE_NAME, payload={"webhook_ids": ids}
        )


async def unregister(
    *, ctx: Context, client: AsyncStateClient, logger: Logger, webhook_url: str
) -> None:
    stored = await _stored_ids(ctx, client)
    async with _shopify(ctx) as http:
        for webhook_id in stored.values():
            await _delete(http, logger, webhook_id)
        # The state is a cache of what we created, not the truth: sweep what it missed.
        for hook in await _list(http, {"address": webhook_url}):
            await _delete(http, logger, int(hook["id"]))
    # Deleting a state that does not exist is not an error, and an unreadable one must go too.
    await client.set_state(type="integration", id=ctx.integration_id, name=STATE_NAME, payload=None)


async def _stored_ids(ctx: Context, client: AsyncStateClient) -> dict[str, int]:
    try:
        state = await client.get_state(type="integration", id=ctx.integration_id, name=STATE_NAME)
    except ResourceNotFoundError:
        return {}
    stored = state.payload.get("webhook_ids")
    if not isinstance(stored, Mapping):
        return {}  # an unreadable state is treated as lost: Shopify is checked anyway
    return {str(topic): int(value) for topic, value in stored.items() if value is not None}


async def _ensure(
    http: httpx.AsyncClient, logger: Logger, *, topic: str, address: str, stored: int | None
) -> int:
    if stored is not None:
        response = await _send(http, "GET", f"webhooks/{stored}.json")
        if response.status_code == 200:
            hook = response.json()["webhook"]
            if hook["topic"] == topic and hook["address"] == address:
                return stored
        elif response.status_code != 404:
            raise _failure(response)
        logger.for_bot().info("Shopify webhook %s for %s is gone; re-creating it", stored, topic)
    body = {"webhook": {"topic": topic, "address": address, "format": "json"}}
    response = await _send(http, "POST", "webhooks.json", json=body)
    if response.status_code == 201:
        return int(response.json()["webhook"]["id"])
    if response.status_code == 422 and "already been taken" in response.text:
        for hook in await _list(http, {"topic": topic, "address": address}):
            if hook["topic"] == topic and hook["address"] == address:
                return int(hook["id"])
    raise _failure(response)


async def _delete(http: httpx.AsyncClient, logger: Logger, webhook_id: int) -> None:
    response = await _send(http, "DELETE", f"webhooks/{webhook_id}.json")
    if response.status_code == 404:
        logger.for_bot().warning("Shopify webhook %s was already deleted", webhook_id)
    elif response.status_code != 200:
        raise _failure(response)


async def _list(http: httpx.AsyncClient, filters: dict[str, str]) -> list[dict[str, Any]]:
    hooks: list[dict[str, Any]] = []
    response = await _send(http, "GET", "webhooks.json", params={**filters, "limit": 250})
    while True:
        if response.status_code != 200:
            raise _failure(response)
        # Shopify's filters are exact; checking again keeps another bot's subscriptions safe even
        # from a filter that misbehaves.
        hooks.extend(
            hook
            for hook in response.json()["webhooks"]
            if all(hook.get(key) == value for key, value in filters.items())
        )
        next_url = response.links.get("next", {}).get("url")
        if not next_url:
            return hooks
        response = await _send(http, "GET", next_url)


def _shopify(ctx: Context) -> httpx.AsyncClient:
    shop = ctx.configuration.get("shopName")
    token = ctx.configuration.get("access_token")
    if not shop or not token:
        raise RuntimeError("Missing Shopify configuration: shopName and access_token are required")
    return httpx.AsyncClient(
        base_url=f"https://{shop}.myshopify.com/admin/api/{API_VERSION}/",
        headers={"X-Shopify-Access-Token": str(token)},
        timeout=10.0,
    )


async def _send(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    params: Mapping[str, str | int] | None = None,
    json: object = None,
) -> httpx.Response:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            response = await http.request(method, url, params=params, json=json)
        except httpx.TransportError as exc:
            raise RuntimeError(
                f"Could not reach Shopify for {method} {url.split('?')[0]}: {type(exc).__name__}"
            ) from exc
        if response.status_code != 429 or attempt == MAX_ATTEMPTS:
            return response
        # Shopify's leaky bucket is full: wait as long as it says, then try again.
        await asyncio.sleep(_retry_after(response))
    raise AssertionError("unreachable")  # pragma: no cover


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "2.0")))
    except ValueError:
        return 2.0


def _failure(response: httpx.Response) -> RuntimeError:
    request = response.request
    return RuntimeError(
        f"Shopify answered {response.status_code} to {request.method} {request.url.path}: "
        f"{response.text[:300]}"
    )
