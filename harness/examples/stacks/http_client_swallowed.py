"""Buggy, sync, on ``http.client``: every failure is swallowed, so a failed register looks fine.

Where the bug comes from: platform-lifecycle.md section 4.3 A1 (the original integration's
``catch (e) { ...; return null }``). Each topic is handled in ``try: ... except Exception:`` and
the failure only goes to a debug-level record nobody reads.

Found by: ``reported`` (a fault leaves the world wrong and nothing at warning level or above says
so). Everything else is ``http_client_correct``.
"""

from __future__ import annotations

import http.client

from harness.examples.stacks import _sync_rest as rest
from harness.examples.stacks.http_client_correct import sender, unregister
from harness.platform import Context, Logger

__all__ = ["register", "unregister"]


def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    shop, token = rest.shop_and_token(ctx)
    conn = http.client.HTTPSConnection(f"{shop}.myshopify.com", timeout=10)
    send = sender(conn, token)
    try:
        for topic in rest.TOPICS:
            try:
                # No retries either: the first failure is the last word.
                mine = rest.list_mine(send, shop, webhook_url, attempts=1)
                if not any(hook["topic"] == topic for hook in mine):
                    reply = rest.create(send, shop, topic, webhook_url, attempts=1)
                    if reply.status != 201:
                        raise rest.failure("POST", rest.base_url(shop) + "webhooks.json", reply)
            except Exception as exc:
                # BUG: swallowed, and only at debug level.
                logger.debug("Could not subscribe to %s: %s", topic, exc)
    finally:
        conn.close()
