"""Correct, async, on ``aiohttp``: find-or-create by ``topic`` and ``address``.

One ``aiohttp.ClientSession`` per hook call. A 429 waits ``Retry-After`` (``asyncio.sleep``,
virtual under the harness); any other failure, or ``aiohttp.ClientError``, raises the platform's
``RuntimeError`` naming the request, never the token. ``unregister`` deletes exactly this bot's
subscriptions; a 404 means already gone.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from harness.platform import Context, Logger, RuntimeError

API_VERSION = "2025-10"
TOPICS = ("orders/create", "orders/cancelled", "customers/create")
MAX_ATTEMPTS = 5


def session(ctx: Context) -> tuple[aiohttp.ClientSession, str]:
    shop = ctx.configuration.get("shopName")
    token = ctx.configuration.get("access_token")
    if not shop or not token:
        raise RuntimeError("Missing Shopify configuration: shopName and access_token are required")
    http = aiohttp.ClientSession(
        headers={"X-Shopify-Access-Token": str(token)},
        timeout=aiohttp.ClientTimeout(total=10),
    )
    return http, f"https://{shop}.myshopify.com/admin/api/{API_VERSION}/"


async def call(
    http: aiohttp.ClientSession, method: str, url: str, *, body: Any = None, params: Any = None
) -> tuple[int, Any, str]:
    """(status, parsed JSON or None, text); 429 retried after ``Retry-After``."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            async with http.request(method, url, json=body, params=params) as response:
                text = await response.text()
                status = response.status
                retry_after = response.headers.get("Retry-After")
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise RuntimeError(
                f"Could not reach Shopify for {method} {url}: {type(exc).__name__}"
            ) from None
        if status == 429 and attempt < MAX_ATTEMPTS:
            await asyncio.sleep(float(retry_after or 2.0))
            continue
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return status, parsed, text
    raise AssertionError("unreachable")  # pragma: no cover


def failure(method: str, url: str, status: int, text: str) -> RuntimeError:
    return RuntimeError(f"Shopify answered {status} to {method} {url}: {text[:300]}")


async def list_mine(http: aiohttp.ClientSession, base: str, **filters: str) -> list[dict[str, Any]]:
    url = base + "webhooks.json"
    status, body, text = await call(http, "GET", url, params={**filters, "limit": "250"})
    if status != 200:
        raise failure("GET", url, status, text)
    return [h for h in body["webhooks"] if h["address"] == filters["address"]]


async def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    http, base = session(ctx)
    async with http:
        for topic in TOPICS:
            if await list_mine(http, base, topic=topic, address=webhook_url):
                continue
            body = {"webhook": {"topic": topic, "address": webhook_url, "format": "json"}}
            status, _, text = await call(http, "POST", base + "webhooks.json", body=body)
            if status == 201:
                logger.for_bot().info("Subscribed %s to Shopify %s", webhook_url, topic)
                continue
            taken = status == 422 and "already been taken" in text
            if taken and await list_mine(http, base, topic=topic, address=webhook_url):
                continue
            raise failure("POST", base + "webhooks.json", status, text)


async def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    http, base = session(ctx)
    async with http:
        for hook in await list_mine(http, base, address=webhook_url):
            url = base + f"webhooks/{hook['id']}.json"
            status, _, text = await call(http, "DELETE", url)
            if status == 404:
                logger.for_bot().warning("Shopify webhook %s was already deleted", hook["id"])
            elif status != 200:
                raise failure("DELETE", url, status, text)
