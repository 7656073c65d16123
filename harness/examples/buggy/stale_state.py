"""Buggy, async: a stored id is trusted forever; a webhook Shopify deleted is never re-created (A4).

Where the bug comes from: platform-lifecycle.md section 4.3, anti-pattern A4 — Attio seeds its
state with ``getOrSetState`` and creates the webhook only when ``attioWebhookId`` is empty, never
checking that the stored id still exists upstream. Shopify removes subscriptions on its own (after
repeated delivery failures, shopify-admin-api.md section 9), so the stored id goes stale, every
later ``register`` "succeeds" without a request, and the bot silently stops receiving events.

Found by: ``convergent`` (after Shopify removes a subscription, a fault-free ``register`` does not
restore the world). Everything else is the correct state-tracked integration: a create answered
422 adopts the existing subscription, ``unregister`` deletes the stored ids (404 tolerated), sweeps
this bot's address for what the state missed and deletes the state, errors raise ``RuntimeError``.
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
    state = await client.get_or_set_state(
        type="integration", id=ctx.integration_id, name=STATE_NAME, payload={"webhook_ids": {}}
    )
    stored = dict(state.payload.get("webhook_ids") or {})
    ids: dict[str, int] = {}
    async with _shopify(ctx) as http:
        for topic in TOPICS:
            if stored.get(topic) is not None:
                # BUG: the stored id is trusted; a GET webhooks/{id}.json (404: re-create) would
                # notice that Shopify deleted it.
                ids[topic] = int(stored[topic])
                continue
            ids[topic] = await _create(http, topic=topic, address=webhook_url)
    if ids != stored:
        await client.set_state(
            type="integration", id=ctx.integration_id, name=STATE_NAME, payload={"webhook_ids": ids}
        )


async def unregister(
    *, ctx: Context, client: AsyncStateClient, logger: Logger, webhook_url: str
) -> None:
    try:
        state = await client.get_state(type="integration", id=ctx.integration_id, name=STATE_NAME)
        stored = dict(state.payload.get("webhook_ids") or {})
    except ResourceNotFoundError:
        stored = {}
    async with _shopify(ctx) as http:
        for webhook_id in stored.values():
            await _delete(http, logger, int(webhook_id))
        for hook in await _list(http, {"address": webhook_url}):
            await _delete(http, logger, int(hook["id"]))
    await client.set_state(type="integration", id=ctx.integration_id, name=STATE_NAME, payload=None)


async def _create(http: httpx.AsyncClient, *, topic: str, address: str) -> int:
    body = {"webhook": {"topic": topic, "address": address, "format": "json"}}
    response = await _send(http, "POST", "webhooks.json", json=body)
    if response.status_code == 201:
        return int(response.json()["webhook"]["id"])
    if response.status_code == 422 and "already been taken" in response.text:
        for hook in await _list(http, {"topic": topic, "address": address}):
            if hook["topic"] == topic:
                return int(hook["id"])
    raise _failure(response)


async def _delete(http: httpx.AsyncClient, logger: Logger, webhook_id: int) -> None:
    response = await _send(http, "DELETE", f"webhooks/{webhook_id}.json")
    if response.status_code == 404:
        logger.for_bot().warning("Shopify webhook %s was already deleted", webhook_id)
    elif response.status_code != 200:
        raise _failure(response)


async def _list(http: httpx.AsyncClient, filters: Mapping[str, str]) -> list[dict[str, Any]]:
    hooks: list[dict[str, Any]] = []
    response = await _send(http, "GET", "webhooks.json", params={**filters, "limit": 250})
    while True:
        if response.status_code != 200:
            raise _failure(response)
        hooks.extend(h for h in response.json()["webhooks"] if h["address"] == filters["address"])
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
