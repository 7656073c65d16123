"""Buggy, async: a ``register`` that fails midway orphans what it had already created (A7).

Where the bug comes from: platform-lifecycle.md section 4.3, anti-pattern A7 — Workable seeds its
state with ``getOrSetState``, deletes the previously stored ids, creates the new webhooks in a loop
and calls ``setState`` only after the loop, so "a throw mid-loop loses the already-created IDs".
This port keeps that order. When a create fails (a 5xx, a timeout, a crash) after an earlier one
succeeded, the state still holds the seed (or the old, already deleted ids); ``unregister`` trusts
the state, deletes what it lists and leaves the half-created subscriptions behind for good.

Found by: ``clean`` (a register that fails midway, then unregister: subscriptions remain).
Everything else is reasonable: the failure itself is raised as ``RuntimeError`` (reported), a
create answered 422 adopts the existing subscription (so the next ``register`` converges), and
with no state at all (lost by the platform) ``unregister`` sweeps this bot's address.
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
    seeded = await client.get_or_set_state(
        type="integration", id=ctx.integration_id, name=STATE_NAME, payload={"webhook_ids": []}
    )
    previous = [int(webhook_id) for webhook_id in seeded.payload.get("webhook_ids") or []]
    ids: list[int] = []
    async with _shopify(ctx) as http:
        for webhook_id in previous:
            await _delete(http, logger, webhook_id)
        for topic in TOPICS:
            ids.append(await _create(http, topic=topic, address=webhook_url))
    # BUG: written only after the loop. Saving each id as soon as it exists (or in a ``finally``,
    # as Zendesk does) would let unregister find it after a failure midway.
    await client.set_state(
        type="integration", id=ctx.integration_id, name=STATE_NAME, payload={"webhook_ids": ids}
    )


async def unregister(
    *, ctx: Context, client: AsyncStateClient, logger: Logger, webhook_url: str
) -> None:
    stored = await _stored_ids(ctx, client)
    async with _shopify(ctx) as http:
        if stored is None:
            # No state at all (never registered, or lost by the platform): sweep the address.
            stored = [int(hook["id"]) for hook in await _list(http, {"address": webhook_url})]
        for webhook_id in stored:
            await _delete(http, logger, webhook_id)
    await client.set_state(type="integration", id=ctx.integration_id, name=STATE_NAME, payload=None)


async def _stored_ids(ctx: Context, client: AsyncStateClient) -> list[int] | None:
    try:
        state = await client.get_state(type="integration", id=ctx.integration_id, name=STATE_NAME)
    except ResourceNotFoundError:
        return None
    return [int(webhook_id) for webhook_id in state.payload.get("webhook_ids") or []]


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
