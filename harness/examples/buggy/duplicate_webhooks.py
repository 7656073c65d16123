"""Buggy, async: a new set of subscriptions on every ``register`` (bug class: duplicate webhooks).

Where the bug comes from: the original Botpress Shopify integration, https://github.com/botpress/botpress/pull/12758 and anti-pattern A5 —
``bigcommerce-sync`` "creates 3 webhooks on every call with no existence check". Shopify refuses
an exact duplicate (422 "address for this topic has already been taken"), so on Shopify the bug
takes this shape: the integration versions its callback URL (``?generation=N``, one generation
per registration, as integrations that mint a fresh secret per registration do, P4's GitHub 2023
variant) and never removes the previous generation. Every ``register`` adds one subscription per
topic; every Shopify event reaches the bot once per generation.

Found by: ``idempotent`` (a second ``register`` changes the world). Everything else is done right:
pagination, errors raised as ``RuntimeError`` without the token, ``unregister`` deletes every
generation of this bot's subscriptions and nothing else, per-call client.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
        # The address filter is exact, and every generation has its own address: list them all.
        hooks = await list_webhooks(http, {})
        generations = [_generation(hook, webhook_url) for hook in hooks]
        generation = max((g for g in generations if g is not None), default=0) + 1
        address = f"{webhook_url}?generation={generation}"
        # BUG: the subscriptions of the previous generations are kept. Deleting them here (or
        # reusing the current generation when it is complete) would make register idempotent.
        for topic in TOPICS:
            response = await post_webhook(http, topic=topic, address=address)
            if response.status_code != 201:
                raise failure(response)
    logger.for_bot().info("Shopify webhooks created (generation %s)", generation)


async def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with shopify(ctx) as http:
        for hook in await list_webhooks(http, {}):
            if _generation(hook, webhook_url) is None:
                continue  # another bot's subscription
            await delete_webhook(http, logger, hook["id"])


def _generation(hook: Mapping[str, Any], webhook_url: str) -> int | None:
    """The generation of one of this bot's subscriptions; ``None`` for anyone else's."""
    prefix = f"{webhook_url}?generation="
    address = str(hook.get("address", ""))
    suffix = address.removeprefix(prefix)
    if suffix == address or not suffix.isdigit():
        return None
    return int(suffix)
