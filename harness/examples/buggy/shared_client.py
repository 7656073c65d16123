"""Buggy, async: one process-wide HTTP client whose token header is set per call (tenant leak).

Where the bug comes from: platform-lifecycle.md section 4.1 (a) — the documented Shopify example
sets ``axios.defaults.baseURL`` and ``axios.defaults.headers['X-Shopify-Access-Token']`` at the top
of every hook, i.e. it mutates one process-wide client per call. One integration process serves
many bots, so when two bots' hooks overlap, the second call's token replaces the first one's while
the first call's requests are still to be sent. Here the module keeps one ``httpx.AsyncClient``
(created once, to save the cost of a client per call), stores the current bot's token in its
default headers, and subscribes the topics concurrently with ``asyncio.gather``; every request
reads the header when it is sent, by which time another bot may have replaced it.

Found by: ``tenant_isolation`` (with two bots on two shops registering concurrently, bot 1's
requests to its shop carry bot 2's token). Everything else is the correct find-or-create
integration: URLs built per call from the configuration, 422 confirmed by listing, errors raised
as ``RuntimeError`` without the token, ``unregister`` limited to this bot's address and tolerant.
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

# BUG: process-wide mutable client state. A client per call (or the token passed as a header of
# each request) keeps every bot's token with its own requests.
_shared: httpx.AsyncClient | None = None


async def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    http, base = _authenticated(ctx)
    await asyncio.gather(
        *(_ensure(http, base, topic=topic, address=webhook_url) for topic in TOPICS)
    )
    logger.for_bot().info("Shopify webhooks ready for %s", ", ".join(TOPICS))


async def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    http, base = _authenticated(ctx)
    for hook in await _list(http, f"{base}/webhooks.json", {"address": webhook_url}):
        response = await _send(http, "DELETE", f"{base}/webhooks/{hook['id']}.json")
        if response.status_code == 404:
            logger.for_bot().warning("Shopify webhook %s was already deleted", hook["id"])
        elif response.status_code != 200:
            raise _failure(response)


def _authenticated(ctx: Context) -> tuple[httpx.AsyncClient, str]:
    global _shared
    shop = ctx.configuration.get("shopName")
    token = ctx.configuration.get("access_token")
    if not shop or not token:
        raise RuntimeError("Missing Shopify configuration: shopName and access_token are required")
    if _shared is None:
        _shared = httpx.AsyncClient(timeout=10.0)
    _shared.headers["X-Shopify-Access-Token"] = str(token)  # BUG: visible to every bot's calls
    return _shared, f"https://{shop}.myshopify.com/admin/api/{API_VERSION}"


async def _ensure(http: httpx.AsyncClient, base: str, *, topic: str, address: str) -> None:
    url = f"{base}/webhooks.json"
    if await _list(http, url, {"topic": topic, "address": address}):
        return
    body = {"webhook": {"topic": topic, "address": address, "format": "json"}}
    response = await _send(http, "POST", url, json=body)
    if response.status_code == 201:
        return
    taken = response.status_code == 422 and "already been taken" in response.text
    if taken and await _list(http, url, {"topic": topic, "address": address}):
        return
    raise _failure(response)


async def _list(
    http: httpx.AsyncClient, url: str, filters: Mapping[str, str]
) -> list[dict[str, Any]]:
    hooks: list[dict[str, Any]] = []
    response = await _send(http, "GET", url, params={**filters, "limit": 250})
    while True:
        if response.status_code != 200:
            raise _failure(response)
        hooks.extend(h for h in response.json()["webhooks"] if h["address"] == filters["address"])
        next_url = response.links.get("next", {}).get("url")
        if not next_url:
            return hooks
        response = await _send(http, "GET", next_url)


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
                f"Could not reach Shopify for {method} {httpx.URL(url).path}: {type(exc).__name__}"
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
