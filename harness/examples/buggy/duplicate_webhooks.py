"""Buggy, async: a new set of subscriptions on every ``register`` (bug class: duplicate webhooks).

Where the bug comes from: platform-lifecycle.md section 4.1 (c) and anti-pattern A5 —
``bigcommerce-sync`` "creates 3 webhooks on every call with no existence check". Shopify refuses
an exact duplicate (422 "address for this topic has already been taken"), so on Shopify the bug
takes this shape: the integration versions its callback URL (``?generation=N``, one generation
per registration, as integrations that mint a fresh secret per registration do, P4's GitHub 2023
variant) and never removes the previous generation. Every ``register`` adds one subscription per
topic; every Shopify event reaches the bot once per generation.

Found by: ``idempotent`` (a second ``register`` changes the world). Everything else is done right:
pagination, errors raised as ``RuntimeError`` without the token, ``unregister`` deletes every
generation of this bot's subscriptions and nothing else, per-call client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx

from harness.examples._protocols import Context, Logger
from harness.platform import RuntimeError

API_VERSION = "2025-10"
TOPICS = ("orders/create", "orders/cancelled", "customers/create")
MAX_ATTEMPTS = 5  # per request, for 429 (rate limited) only


async def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with _shopify(ctx) as http:
        generations = [_generation(hook, webhook_url) for hook in await _list_all(http)]
        generation = max((g for g in generations if g is not None), default=0) + 1
        address = f"{webhook_url}?generation={generation}"
        # BUG: the subscriptions of the previous generations are kept. Deleting them here (or
        # reusing the current generation when it is complete) would make register idempotent.
        for topic in TOPICS:
            body = {"webhook": {"topic": topic, "address": address, "format": "json"}}
            response = await _send(http, "POST", "webhooks.json", json=body)
            if response.status_code != 201:
                raise _failure(response)
    logger.for_bot().info("Shopify webhooks created (generation %s)", generation)


async def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with _shopify(ctx) as http:
        for hook in await _list_all(http):
            if _generation(hook, webhook_url) is None:
                continue  # another bot's subscription
            response = await _send(http, "DELETE", f"webhooks/{hook['id']}.json")
            if response.status_code == 404:
                logger.for_bot().warning("Shopify webhook %s was already deleted", hook["id"])
            elif response.status_code != 200:
                raise _failure(response)


def _generation(hook: Mapping[str, Any], webhook_url: str) -> int | None:
    """The generation of one of this bot's subscriptions; ``None`` for anyone else's."""
    prefix = f"{webhook_url}?generation="
    address = str(hook.get("address", ""))
    suffix = address.removeprefix(prefix)
    if suffix == address or not suffix.isdigit():
        return None
    return int(suffix)


async def _list_all(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    # The address filter is exact, and every generation has its own address: list them all.
    hooks: list[dict[str, Any]] = []
    response = await _send(http, "GET", "webhooks.json", params={"limit": 250})
    while True:
        if response.status_code != 200:
            raise _failure(response)
        hooks.extend(response.json()["webhooks"])
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
