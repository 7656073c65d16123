"""Buggy, sync, on ``requests``: ``register`` creates every topic without looking first.

Where the bug comes from: platform-lifecycle.md section 4.3 A3 (create on every register, the
original Shopify integration's path when its listing failed). Shopify refuses an identical
``(topic, address)`` with 422 "already been taken", so the author "handles" that by creating each
subscription with a fresh cache-busting query on the address: every register adds three more.

Found by: ``idempotent`` (two registers leave six subscriptions). Everything else is the correct
``requests_correct``: per-call session, retries, no token in messages, tolerant unregister.
"""

from __future__ import annotations

import requests

from harness.examples.stacks import _sync_rest as rest
from harness.examples.stacks.requests_correct import sender
from harness.platform import Context, Logger


def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    shop, token = rest.shop_and_token(ctx)
    with requests.Session() as session:
        send = sender(session, token)
        existing = len(_mine(send, shop, webhook_url))
        for number, topic in enumerate(rest.TOPICS, start=existing + 1):
            # BUG: no lookup; a unique address per create dodges the 422 and duplicates instead.
            reply = rest.create(send, shop, topic, f"{webhook_url}?n={number}")
            if reply.status != 201:
                raise rest.failure("POST", rest.base_url(shop) + "webhooks.json", reply)


def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    shop, token = rest.shop_and_token(ctx)
    with requests.Session() as session:
        send = sender(session, token)
        for hook in _mine(send, shop, webhook_url):
            url = rest.base_url(shop) + f"webhooks/{hook['id']}.json"
            reply = rest.send_retrying(send, "DELETE", url)
            if reply.status not in (200, 404):
                raise rest.failure("DELETE", url, reply)


def _mine(send: rest.Send, shop: str, webhook_url: str) -> list[dict[str, object]]:
    url = rest.base_url(shop) + "webhooks.json?limit=250"
    reply = rest.send_retrying(send, "GET", url)
    if reply.status != 200:
        raise rest.failure("GET", url, reply)
    hooks: list[dict[str, object]] = reply.json()["webhooks"]
    return [h for h in hooks if str(h["address"]).startswith(f"{webhook_url}?n=")]
