"""Buggy, async, on ``aiohttp``: ``register`` creates without looking and ignores the 422.

Where the bug comes from: platform-lifecycle.md section 4.3 A3 (create on every register). The
author treats Shopify's 422 "already been taken" as "fine", so with a stable address nothing
duplicates; but to "make sure events arrive after a redeploy" every register subscribes a fresh
address carrying a new generation number, and the old ones are never removed.

Found by: ``idempotent`` (two registers leave six subscriptions). ``unregister`` is the correct
one from ``aiohttp_correct`` except that it also removes the timestamped addresses.
"""

from __future__ import annotations

from harness.examples.stacks.aiohttp_correct import TOPICS, call, failure, session
from harness.platform import Context, Logger


async def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    http, base = session(ctx)
    async with http:
        status, listed, text = await call(
            http, "GET", base + "webhooks.json", params={"limit": "250"}
        )
        if status != 200:
            raise failure("GET", base + "webhooks.json", status, text)
        stamp = 1 + sum(
            str(h["address"]).startswith(f"{webhook_url}?t=") for h in listed["webhooks"]
        )
        for topic in TOPICS:
            # BUG: no lookup, and a new address per register: the old subscriptions stay.
            body = {
                "webhook": {"topic": topic, "address": f"{webhook_url}?t={stamp}", "format": "json"}
            }
            status, _, text = await call(http, "POST", base + "webhooks.json", body=body)
            if status not in (201, 422):
                raise failure("POST", base + "webhooks.json", status, text)


async def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    http, base = session(ctx)
    async with http:
        status, body, text = await call(
            http, "GET", base + "webhooks.json", params={"limit": "250"}
        )
        if status != 200:
            raise failure("GET", base + "webhooks.json", status, text)
        for hook in body["webhooks"]:
            if not str(hook["address"]).startswith(f"{webhook_url}?t="):
                continue
            url = base + f"webhooks/{hook['id']}.json"
            status, _, text = await call(http, "DELETE", url)
            if status not in (200, 404):
                raise failure("DELETE", url, status, text)
