"""Buggy, async: every error is swallowed, so a failed ``register`` looks successful (A1).

Where the bug comes from: the integrations of https://github.com/botpress/botpress/tree/master/integrations, anti-pattern A1 — the original
Shopify integration's ``catch (e) { ...; return null }`` (https://github.com/botpress/botpress/pull/12758), bigcommerce-sync's
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

import httpx

from harness.examples._shopify_rest import (
    TOPICS,
    delete_webhook,
    failure,
    list_webhooks,
    post_webhook,
    shopify,
)
from harness.platform import Context, Logger


async def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with shopify(ctx) as http:
        for topic in TOPICS:
            try:
                if not await list_webhooks(http, {"topic": topic, "address": webhook_url}):
                    await _create(http, topic=topic, address=webhook_url)
            except Exception as exc:
                # BUG: the failure is swallowed and only mentioned at debug level. Raising (or at
                # least logging at error level) is what tells the bot owner register failed.
                logger.debug("Could not subscribe to %s: %s", topic, exc)


async def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with shopify(ctx) as http:
        try:
            hooks = await list_webhooks(http, {"address": webhook_url})
        except Exception as exc:
            logger.debug("Could not list Shopify webhooks: %s", exc)  # BUG: swallowed as well
            return
        for hook in hooks:
            try:
                await delete_webhook(http, None, hook["id"])
            except Exception as exc:
                logger.debug("Could not delete Shopify webhook %s: %s", hook["id"], exc)  # BUG


async def _create(http: httpx.AsyncClient, *, topic: str, address: str) -> None:
    response = await post_webhook(http, topic=topic, address=address)
    if response.status_code != 201:
        raise failure(response)
