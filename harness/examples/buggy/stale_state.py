"""Buggy, async: a stored id is trusted forever; a webhook Shopify deleted is never re-created (A4).

Where the bug comes from: the integrations of https://github.com/botpress/botpress/tree/master/integrations, anti-pattern A4 — Attio seeds its
state with ``getOrSetState`` and creates the webhook only when ``attioWebhookId`` is empty, never
checking that the stored id still exists upstream. Shopify removes subscriptions on its own (after
repeated delivery failures, https://shopify.dev/changelog/updates-to-webhook-retry-mechanism), so the stored id goes stale, every
later ``register`` "succeeds" without a request, and the bot silently stops receiving events.

Found by: ``convergent`` (after Shopify removes a subscription, a fault-free ``register`` does not
restore the world). Everything else is the correct state-tracked integration: a create answered
422 adopts the existing subscription, ``unregister`` deletes the stored ids (404 tolerated), sweeps
this bot's address for what the state missed and deletes the state, errors raise ``RuntimeError``.
"""

from __future__ import annotations

from harness.examples._shopify_rest import (
    STATE_NAME,
    TOPICS,
    create_webhook,
    delete_webhook,
    list_webhooks,
    shopify,
    stored_ids,
)
from harness.platform import AsyncClient, Context, Logger


async def register(*, ctx: Context, client: AsyncClient, logger: Logger, webhook_url: str) -> None:
    state = await client.get_or_set_state(
        type="integration", id=ctx.integration_id, name=STATE_NAME, payload={"webhook_ids": {}}
    )
    stored = dict(state.payload.get("webhook_ids") or {})
    ids: dict[str, int] = {}
    async with shopify(ctx) as http:
        for topic in TOPICS:
            if stored.get(topic) is not None:
                # BUG: the stored id is trusted; a GET webhooks/{id}.json (404: re-create) would
                # notice that Shopify deleted it.
                ids[topic] = int(stored[topic])
                continue
            ids[topic] = await create_webhook(http, topic=topic, address=webhook_url)
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
        for hook in await list_webhooks(http, {"address": webhook_url}):
            await delete_webhook(http, logger, int(hook["id"]))
    await client.set_state(type="integration", id=ctx.integration_id, name=STATE_NAME, payload=None)
