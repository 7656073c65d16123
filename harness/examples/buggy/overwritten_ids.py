"""Buggy, async: the second ``register`` overwrites the stored ids with ``None`` (A3).

Where the bug comes from: the original Botpress Shopify integration, https://github.com/botpress/botpress/pull/12758, anti-pattern A3 — the original
Shopify integration at commit ``227e616eed`` stored ``setState({payload: {webhookIds: webhooks}})``
where ``webhooks`` is the ``Promise.all`` of ``createWebhook``, which returns ``undefined`` when the
webhook already existed. This port keeps that shape: ``asyncio.gather`` over the topics, each
returning the id it created or ``None`` when it found one. The first ``register`` stores real ids;
the second stores ``[None, None, None]``; ``unregister`` deletes the stored ids, so after two
registers it deletes nothing and the subscriptions are orphaned.

Found by: ``idempotent`` (the second ``register`` changes the platform state) and ``clean``
(register, register, unregister leaves every subscription behind). Errors are raised as
``RuntimeError`` without the token, 429 is retried, ``unregister`` tolerates 404 and, with no
state at all, deletes what is listed at this bot's address.
"""

from __future__ import annotations

import asyncio

import httpx

from harness.examples._shopify_rest import (
    TOPICS,
    delete_webhook,
    failure,
    post_webhook,
    send,
    shopify,
)
from harness.platform import AsyncClient, Context, Logger, ResourceNotFoundError

STATE_NAME = "configuration"  # the original integration's state name


async def register(*, ctx: Context, client: AsyncClient, logger: Logger, webhook_url: str) -> None:
    async with shopify(ctx) as http:
        webhook_ids = await asyncio.gather(
            *(_create_webhook(http, logger, topic=topic, address=webhook_url) for topic in TOPICS)
        )
    # BUG: ``None`` means "it already existed", not "there is none"; the stored ids are lost.
    await client.set_state(
        type="integration",
        id=ctx.integration_id,
        name=STATE_NAME,
        payload={"webhookIds": list(webhook_ids)},
    )


async def unregister(
    *, ctx: Context, client: AsyncClient, logger: Logger, webhook_url: str
) -> None:
    try:
        state = await client.get_state(type="integration", id=ctx.integration_id, name=STATE_NAME)
        webhook_ids = list(state.payload.get("webhookIds", []))
    except ResourceNotFoundError:
        webhook_ids = None
    async with shopify(ctx) as http:
        if webhook_ids is None:
            # No state at all (a register that never finished, or lost state): list the address.
            response = await send(http, "GET", "webhooks.json", params={"address": webhook_url})
            if response.status_code != 200:
                raise failure(response)
            webhook_ids = [hook["id"] for hook in response.json()["webhooks"]]
        for webhook_id in webhook_ids:
            if webhook_id is None:
                continue
            await delete_webhook(http, logger, webhook_id)
    await client.set_state(type="integration", id=ctx.integration_id, name=STATE_NAME, payload=None)


async def _create_webhook(
    http: httpx.AsyncClient, logger: Logger, *, topic: str, address: str
) -> int | None:
    # One unpaginated GET, as the original integration does.
    response = await send(http, "GET", "webhooks.json", params={"topic": topic, "address": address})
    if response.status_code != 200:
        raise failure(response)
    existing = response.json()["webhooks"]
    if existing:
        logger.for_bot().info(
            "Shopify %s webhook was found with id %s. Webhook was not created",
            topic,
            existing[0]["id"],
        )
        return None
    response = await post_webhook(http, topic=topic, address=address)
    if response.status_code != 201:
        raise failure(response)
    return int(response.json()["webhook"]["id"])
