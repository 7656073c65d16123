"""Buggy, async: ``unregister`` fails hard when there is nothing to delete.

Where the bug comes from: platform-lifecycle.md section 4.1 (b) and 4.2 P8 — shopify-admin's
``getState`` is un-caught (a missing state surfaces as an unexpected failure), and the original
Shopify integration's ``unregister`` lets its list call throw (section 4.1 (a)); Zendesk and Stripe
show the fix (ResourceNotFound means "nothing to unregister"; skip with a warning). Here
``unregister`` reads the state without a ``try`` and treats a 404 on delete as an error, so
unregistering twice, or unregistering a bot whose register never completed, leaves the bot in
``unregistration_failed``.

Found by: ``tolerant_unregister`` (a second ``unregister`` raises ``ResourceNotFoundError``).
``register`` is the correct state-tracked one: it verifies stored ids upstream, re-creates missing
ones, adopts existing subscriptions on 422, and raises ``RuntimeError`` without the token.
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
    try:
        state = await client.get_state(type="integration", id=ctx.integration_id, name=STATE_NAME)
        stored = {str(k): int(v) for k, v in (state.payload.get("webhook_ids") or {}).items()}
    except ResourceNotFoundError:
        stored = {}
    ids: dict[str, int] = {}
    async with _shopify(ctx) as http:
        for topic in TOPICS:
            ids[topic] = await _ensure(
                http, topic=topic, address=webhook_url, stored=stored.get(topic)
            )
    if ids != stored:
        await client.set_state(
            type="integration", id=ctx.integration_id, name=STATE_NAME, payload={"webhook_ids": ids}
        )


async def unregister(
    *, ctx: Context, client: AsyncStateClient, logger: Logger, webhook_url: str
) -> None:
    # BUG: no state means nothing to delete, yet ResourceNotFoundError escapes here.
    state = await client.get_state(type="integration", id=ctx.integration_id, name=STATE_NAME)
    async with _shopify(ctx) as http:
        for webhook_id in (state.payload.get("webhook_ids") or {}).values():
            response = await _send(http, "DELETE", f"webhooks/{webhook_id}.json")
            if response.status_code != 200:  # BUG: a 404 (already gone) fails the unregister too
                raise _failure(response)
    await client.set_state(type="integration", id=ctx.integration_id, name=STATE_NAME, payload=None)
    logger.for_bot().info("Shopify webhooks deleted")


async def _ensure(http: httpx.AsyncClient, *, topic: str, address: str, stored: int | None) -> int:
    if stored is not None:
        response = await _send(http, "GET", f"webhooks/{stored}.json")
        if response.status_code == 200:
            hook = response.json()["webhook"]
            if hook["topic"] == topic and hook["address"] == address:
                return stored
        elif response.status_code != 404:
            raise _failure(response)
    body = {"webhook": {"topic": topic, "address": address, "format": "json"}}
    response = await _send(http, "POST", "webhooks.json", json=body)
    if response.status_code == 201:
        return int(response.json()["webhook"]["id"])
    if response.status_code == 422 and "already been taken" in response.text:
        for hook in await _list(http, {"topic": topic, "address": address}):
            if hook["topic"] == topic:
                return int(hook["id"])
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
