"""Buggy, async: one process-wide HTTP client whose token header is set per call (tenant leak).

Where the bug comes from: the original Botpress Shopify integration, https://github.com/botpress/botpress/pull/12758 — the documented Shopify example
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

import httpx

from harness.examples._shopify_rest import (
    API_VERSION,
    TOPICS,
    create_webhook,
    delete_webhook,
    list_webhooks,
)
from harness.platform import Context, Logger, RuntimeError

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
    for hook in await list_webhooks(http, {"address": webhook_url}, url=f"{base}/webhooks.json"):
        url = f"{base}/webhooks/{hook['id']}.json"
        await delete_webhook(http, logger, hook["id"], url=url)


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
    # Absolute URLs: the shared client has no base URL, since bots on other shops use it too.
    url = f"{base}/webhooks.json"
    if await list_webhooks(http, {"topic": topic, "address": address}, url=url):
        return
    await create_webhook(http, topic=topic, address=address, url=url)
