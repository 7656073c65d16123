"""Buggy, async: ``unregister`` fails hard when there is nothing to delete.

Where the bug comes from: the original Botpress Shopify integration, https://github.com/botpress/botpress/pull/12758 and pattern P8 of the Botpress integrations — shopify-admin's
``getState`` is un-caught (a missing state surfaces as an unexpected failure), and the original
Shopify integration's ``unregister`` lets its list call throw (https://github.com/botpress/botpress/pull/12758); Zendesk and Stripe
show the fix (ResourceNotFound means "nothing to unregister"; skip with a warning). Here
``unregister`` reads the state without a ``try`` and treats a 404 on delete as an error, so
unregistering twice, or unregistering a bot whose register never completed, leaves the bot in
``unregistration_failed``.

Found by: ``tolerant_unregister`` (a second ``unregister`` raises ``ResourceNotFoundError``).
``register`` is the correct state-tracked one: it verifies stored ids upstream, re-creates missing
ones, adopts existing subscriptions on 422, and raises ``RuntimeError`` without the token.
"""

from __future__ import annotations

import httpx

from harness.examples._shopify_rest import (
    STATE_NAME,
    TOPICS,
    create_webhook,
    failure,
    send,
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
                http, topic=topic, address=webhook_url, stored=stored.get(topic)
            )
    if ids != stored:
        await client.set_state(
            type="integration", id=ctx.integration_id, name=STATE_NAME, payload={"webhook_ids": ids}
        )


async def unregister(
    *, ctx: Context, client: AsyncClient, logger: Logger, webhook_url: str
) -> None:
    # BUG: no state means nothing to delete, yet ResourceNotFoundError escapes here.
    state = await client.get_state(type="integration", id=ctx.integration_id, name=STATE_NAME)
    async with shopify(ctx) as http:
        for webhook_id in (state.payload.get("webhook_ids") or {}).values():
            response = await send(http, "DELETE", f"webhooks/{webhook_id}.json")
            if response.status_code != 200:  # BUG: a 404 (already gone) fails the unregister too
                raise failure(response)
    await client.set_state(type="integration", id=ctx.integration_id, name=STATE_NAME, payload=None)
    logger.for_bot().info("Shopify webhooks deleted")


async def _ensure(http: httpx.AsyncClient, *, topic: str, address: str, stored: int | None) -> int:
    if stored is not None and await webhook_exists(http, stored, topic=topic, address=address):
        return stored
    return await create_webhook(http, topic=topic, address=address)
