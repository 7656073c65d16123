"""Buggy, async: a ``register`` that fails midway orphans what it had already created (A7).

Where the bug comes from: the integrations of https://github.com/botpress/botpress/tree/master/integrations, anti-pattern A7 — Workable seeds its
state with ``getOrSetState``, deletes the previously stored ids, creates the new webhooks in a loop
and calls ``setState`` only after the loop, so "a throw mid-loop loses the already-created IDs".
This port keeps that order. When a create fails (a 5xx, a timeout, a crash) after an earlier one
succeeded, the state still holds the seed (or the old, already deleted ids); ``unregister`` trusts
the state, deletes what it lists and leaves the half-created subscriptions behind for good.

Found by: ``clean`` (a register that fails midway, then unregister: subscriptions remain).
Everything else is reasonable: the failure itself is raised as ``RuntimeError`` (reported), a
create answered 422 adopts the existing subscription (so the next ``register`` converges), and
with no state at all (lost by the platform) ``unregister`` sweeps this bot's address.
"""

from __future__ import annotations

from harness.examples._shopify_rest import (
    STATE_NAME,
    TOPICS,
    create_webhook,
    delete_webhook,
    list_webhooks,
    shopify,
)
from harness.platform import AsyncClient, Context, Logger, ResourceNotFoundError


async def register(*, ctx: Context, client: AsyncClient, logger: Logger, webhook_url: str) -> None:
    seeded = await client.get_or_set_state(
        type="integration", id=ctx.integration_id, name=STATE_NAME, payload={"webhook_ids": []}
    )
    previous = [int(webhook_id) for webhook_id in seeded.payload.get("webhook_ids") or []]
    ids: list[int] = []
    async with shopify(ctx) as http:
        for webhook_id in previous:
            await delete_webhook(http, logger, webhook_id)
        for topic in TOPICS:
            ids.append(await create_webhook(http, topic=topic, address=webhook_url))
    # BUG: written only after the loop. Saving each id as soon as it exists (or in a ``finally``,
    # as Zendesk does) would let unregister find it after a failure midway.
    await client.set_state(
        type="integration", id=ctx.integration_id, name=STATE_NAME, payload={"webhook_ids": ids}
    )


async def unregister(
    *, ctx: Context, client: AsyncClient, logger: Logger, webhook_url: str
) -> None:
    stored = await _stored_ids(ctx, client)
    async with shopify(ctx) as http:
        if stored is None:
            # No state at all (never registered, or lost by the platform): sweep the address.
            hooks = await list_webhooks(http, {"address": webhook_url})
            stored = [int(hook["id"]) for hook in hooks]
        for webhook_id in stored:
            await delete_webhook(http, logger, webhook_id)
    await client.set_state(type="integration", id=ctx.integration_id, name=STATE_NAME, payload=None)


async def _stored_ids(ctx: Context, client: AsyncClient) -> list[int] | None:
    # This state is a list of ids (Workable's shape), and "no state" differs from "no ids": the
    # shared ``stored_ids`` reads the ``{topic: id}`` shape and cannot tell the two apart.
    try:
        state = await client.get_state(type="integration", id=ctx.integration_id, name=STATE_NAME)
    except ResourceNotFoundError:
        return None
    return [int(webhook_id) for webhook_id in state.payload.get("webhook_ids") or []]
