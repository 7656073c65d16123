"""Correct, async: subscription ids tracked in platform state, verified upstream on every register.

Style: pattern P5 of the integrations of https://github.com/botpress/botpress/tree/master/integrations (Zendesk stores its subscription and trigger
ids; shopify-admin stores ``webhookSubscriptionIds``), without the stale-state trap of A4 (Attio
trusts a stored id and never re-creates) or the orphans of A7 (Workable loses the ids it created
before a failure).

- ``register`` reads ``{"webhook_ids": {topic: id}}`` from the ``integration`` state (a missing
  state is an empty one), checks every stored id with ``GET webhooks/{id}.json``, re-creates the
  ones Shopify no longer has, and writes the state only when it changed. A create answered 422
  "already been taken" (state lost, or a crash after the create) adopts the existing subscription
  found by listing with ``topic`` and ``address``.
- ``unregister`` deletes the stored ids (404 is "already gone", logged at warning level), then
  sweeps ``webhooks.json?address=URL`` for subscriptions the state does not know about (a crash
  between a create and the state write, or lost state), and deletes the state. With nothing to
  delete it returns quietly.
- A 429 (Shopify's leaky bucket) is retried after ``Retry-After``; every other failure raises the
  platform's ``RuntimeError`` naming the request and Shopify's answer (never the token);
  platform-state errors escape as they are, which the runtime reports.
- One ``httpx.AsyncClient`` per hook call from the current configuration (token rotation, tenants).
"""

from __future__ import annotations

import httpx

from harness.examples._shopify_rest import (
    STATE_NAME,
    TOPICS,
    create_webhook,
    delete_webhook,
    list_webhooks,
    shopify,
    stored_ids,
    webhook_exists,
)
from harness.platform import AsyncClient, Context, Logger


async def register(*, ctx: Context, client: AsyncClient, logger: Logger, webhook_url: str) -> None:
    stored = await stored_ids(ctx, client)
    ids: dict[str, int] = {}
    async with shopify(ctx) as http:
        for topic in TOPICS:
            ids[topic] = await _ensure(
                http, logger, topic=topic, address=webhook_url, stored=stored.get(topic)
            )
    if ids != stored:
        await client.set_state(
            type="integration", id=ctx.integration_id, name=STATE_NAME, payload={"webhook_ids": ids}
        )


async def unregister(
    *, ctx: Context, client: AsyncClient, logger: Logger, webhook_url: str
) -> None:
    stored = await stored_ids(ctx, client)
    async with shopify(ctx) as http:
        for webhook_id in stored.values():
            await delete_webhook(http, logger, webhook_id)
        # The state is a cache of what we created, not the truth: sweep what it missed.
        for hook in await list_webhooks(http, {"address": webhook_url}):
            await delete_webhook(http, logger, int(hook["id"]))
    # Deleting a state that does not exist is not an error, and an unreadable one must go too.
    await client.set_state(type="integration", id=ctx.integration_id, name=STATE_NAME, payload=None)


async def _ensure(
    http: httpx.AsyncClient, logger: Logger, *, topic: str, address: str, stored: int | None
) -> int:
    if stored is not None:
        # The stored id is only a hint: Shopify removes subscriptions on its own (A4).
        if await webhook_exists(http, stored, topic=topic, address=address):
            return stored
        logger.for_bot().info("Shopify webhook %s for %s is gone; re-creating it", stored, topic)
    return await create_webhook(http, topic=topic, address=address)
