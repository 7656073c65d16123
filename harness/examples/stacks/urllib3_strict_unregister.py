"""Buggy, sync, on ``urllib3``: ``unregister`` fails when there is nothing to delete.

Where the bug comes from: platform-lifecycle.md section 4.2 P8 (an un-caught "not found" in
``unregister``; Zendesk and Stripe show the fix: nothing to unregister is success). Here the
author asserts that unregister finds this bot's subscriptions, so unregistering twice, or after
Shopify removed them, leaves the bot in ``unregistration_failed``.

Found by: ``tolerant_unregister``. ``register`` is the correct ``urllib3_correct`` one.
"""

from __future__ import annotations

import urllib3

from harness.examples.stacks import _sync_rest as rest
from harness.examples.stacks.urllib3_correct import register, sender
from harness.platform import Context, Logger, RuntimeError

__all__ = ["register", "unregister"]


def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    shop, token = rest.shop_and_token(ctx)
    with urllib3.PoolManager(retries=False, timeout=10.0) as pool:
        send = sender(pool, token)
        hooks = rest.list_mine(send, shop, webhook_url)
        if not hooks:
            # BUG: nothing to delete is the goal of unregister, not an error.
            raise RuntimeError(f"No Shopify webhooks found for {webhook_url}")
        for hook in hooks:
            url = rest.base_url(shop) + f"webhooks/{hook['id']}.json"
            reply = rest.send_retrying(send, "DELETE", url)
            if reply.status != 200:
                raise rest.failure("DELETE", url, reply)
