"""Correct, async: find-or-create by listing with the ``topic`` and ``address`` filters.

Style: pattern P2 of the integrations of https://github.com/botpress/botpress/tree/master/integrations (Linear's ``_findWebhookByUrl``; the
original Shopify integration's GET-by-address before POST, https://github.com/botpress/botpress/pull/12758) done right. No
platform state: Shopify itself is the record of what exists, so lost state cannot hurt.

- ``register`` lists ``webhooks.json?topic=T&address=URL`` for each topic, walking every page
  through the ``Link`` header, and creates the subscription only if none is found. A 422
  "already been taken" (another call of the same bot won the race) is confirmed by listing again.
- ``unregister`` lists ``webhooks.json?address=URL`` and deletes exactly those: other bots of the
  same app on the same shop use other addresses and are never touched. A 404 on delete means the
  subscription is already gone; it is logged at warning level, not raised.
- A 429 is retried after ``Retry-After`` (``asyncio.sleep``, virtual under the harness); any
  other failure raises the platform's ``RuntimeError`` with a message that names the request and
  Shopify's answer, never the access token.
- One ``httpx.AsyncClient`` per hook call, built from the current configuration: a rotated token
  is used at once and tenants share nothing.
"""

from __future__ import annotations

from harness.examples._shopify_rest import (
    TOPICS,
    create_webhook,
    delete_webhook,
    list_webhooks,
    shopify,
)
from harness.platform import Context, Logger

# Shopify's maximum. Kept here and passed on every listing (read at call time) so that a test can
# shrink it to make a tiny shop answer with several pages.
PAGE_SIZE = 250


async def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with shopify(ctx) as http:
        for topic in TOPICS:
            if await list_webhooks(
                http, {"topic": topic, "address": webhook_url}, page_size=PAGE_SIZE
            ):
                continue
            await create_webhook(http, topic=topic, address=webhook_url, page_size=PAGE_SIZE)
            logger.for_bot().info("Subscribed %s to Shopify %s", webhook_url, topic)


async def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with shopify(ctx) as http:
        for hook in await list_webhooks(http, {"address": webhook_url}, page_size=PAGE_SIZE):
            # A 404 means already gone (Shopify removed it, or a concurrent unregister did):
            # nothing left to clean; it is logged at warning level, since a 404 can also mean we
            # misread what exists.
            await delete_webhook(http, logger, hook["id"])
