"""Buggy, sync, on ``ShopifyAPI``: ``register`` creates without finding first.

Where the bug comes from: platform-lifecycle.md section 4.3 A3, and the ``ShopifyAPI`` README's
own example (``shopify.Webhook.create(...)`` on install). ``Webhook.create`` does not raise on a
422: the resource comes back with ``errors`` set, which this author never reads. To get around
"address for this topic has already been taken" in development, each register subscribes a
numbered address, so every register adds three more subscriptions.

Found by: ``idempotent``. ``unregister`` removes all the numbered addresses.
"""

from __future__ import annotations

import shopify

from harness.examples.stacks.shopifyapi_correct import FAILURES, TOPICS, activated, failed
from harness.platform import Context, Logger


def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    with activated(ctx):
        try:
            existing = [
                h for h in shopify.Webhook.find() if h.address.startswith(f"{webhook_url}?n=")
            ]
            number = len(existing) + 1
            for topic in TOPICS:
                # BUG: no find before create; a numbered address dodges the 422 and duplicates.
                shopify.Webhook.create(
                    {"topic": topic, "address": f"{webhook_url}?n={number}", "format": "json"}
                )
                number += 1
        except FAILURES as exc:
            raise failed("subscribing", exc) from None


def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    with activated(ctx):
        try:
            for hook in shopify.Webhook.find():
                if hook.address.startswith(f"{webhook_url}?n="):
                    hook.destroy()
        except FAILURES as exc:
            raise failed("unsubscribing", exc) from None
