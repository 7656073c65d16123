"""Buggy, async: every error is swallowed, so a failed ``register`` looks successful (A1).

Where the bug comes from: platform-lifecycle.md section 4.3, anti-pattern A1 — the original
Shopify integration's ``catch (e) { ...; return null }`` (section 4.1 (a)), bigcommerce-sync's
catch-all around ``register``, the old Stripe ``warn ...; return``, and the "silent catch since if
it's the first time, there's nothing to unregister" of Calendly and Zendesk (A7). Here each topic is
handled in ``try: ... except Exception:`` and the failure is only mentioned at debug level, which
nobody reads: the bot shows "registered" while Shopify has no subscription.

Found by: ``reported`` (a fault reaches the integration, the world is wrong, and nothing at warning
level or above says so). Everything else is the correct find-or-create integration: listing with
``topic`` and ``address``, per-call client, no token in messages, ``unregister`` limited to this
bot's address and quiet when there is nothing to delete.
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
        for topic in TOPICS:
            try:
                if not await _list(http, {"topic": topic, "address": webhook_url}):
                    await _create(http, topic=topic, address=webhook_url)
            except Exception as exc:
                # BUG: the failure is swallowed and only mentioned at debug level. Raising (or at
                # least logging at error level) is what tells the bot owner register failed.
                logger.debug("Could not subscribe to %s: %s", topic, exc)


async def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with _shopify(ctx) as http:
        try:
            hooks = await _list(http, {"address": webhook_url})
        except Exception as exc:
            logger.debug("Could not list Shopify webhooks: %s", exc)  # BUG: swallowed as well
            return
        for hook in hooks:
            try:
                response = await _send(http, "DELETE", f"webhooks/{hook['id']}.json")
                if response.status_code not in (200, 404):
                    raise _failure(response)
            except Exception as exc:
                logger.debug("Could not delete Shopify webhook %s: %s", hook["id"], exc)  # BUG


async def _create(http: httpx.AsyncClient, *, topic: str, address: str) -> None:
    body = {"webhook": {"topic": topic, "address": address, "format": "json"}}
    response = await _send(http, "POST", "webhooks.json", json=body)
    if response.status_code != 201:
        raise _failure(response)


async def _list(http: httpx.AsyncClient, filters: dict[str, str]) -> list[dict[str, Any]]:
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
