"""Correct, async: delete-and-recreate with no retry at all; every failure raises.

Style: the plainest correct integration. ``register`` lists ``webhooks.json?address=URL``
(every page), deletes what it finds, creates one subscription per topic; ``unregister`` lists
and deletes. Any answer other than success (a 429 included) raises the platform's
``RuntimeError`` without the token, so a failure is always reported and the next ``register``
rebuilds the world.

Why it is bundled: it is the shape of the correct integration that exposed issue 12's false
alarm. Without a timing model, eight hook calls at one virtual instant fill Shopify's REST
bucket (40 requests); the fake's own 429 then failed a "fault-free" register and the harness
reported ``convergent``. With platform calls spaced as the platform spaces them, and a 429 of
the fake's own limits counted as a fault, it must stay quiet on every seed.
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

NO_RETRY: frozenset[int] = frozenset()


async def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with shopify(ctx) as http:
        for hook in await list_webhooks(http, {"address": webhook_url}, retry_on=NO_RETRY):
            await delete_webhook(http, None, hook["id"], retry_on=NO_RETRY)
        for topic in TOPICS:
            await create_webhook(http, topic=topic, address=webhook_url, retry_on=NO_RETRY)
    logger.for_bot().info("Shopify webhooks re-created for %s", ", ".join(TOPICS))


async def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with shopify(ctx) as http:
        for hook in await list_webhooks(http, {"address": webhook_url}, retry_on=NO_RETRY):
            await delete_webhook(http, logger, hook["id"], retry_on=NO_RETRY)
