"""Correct, sync, on ``urllib3``: find-or-create with retries (:mod:`._sync_rest`).

One ``PoolManager`` per hook call; urllib3's own retries are off (``retries=False``) so that the
shared retry policy decides, and ``urllib3.exceptions.HTTPError`` is a transport failure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import urllib3

from harness.examples.stacks import _sync_rest as rest
from harness.platform import Context, Logger


def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    shop, token = rest.shop_and_token(ctx)
    with urllib3.PoolManager(retries=False, timeout=10.0) as pool:
        rest.register(sender(pool, token), shop, webhook_url, logger)


def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    shop, token = rest.shop_and_token(ctx)
    with urllib3.PoolManager(retries=False, timeout=10.0) as pool:
        rest.unregister(sender(pool, token), shop, webhook_url, logger)


def sender(pool: urllib3.PoolManager, token: str) -> rest.Send:
    def send(method: str, url: str, body: Mapping[str, Any] | None) -> rest.Reply:
        headers = {"X-Shopify-Access-Token": token}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            response = pool.request(method, url, body=data, headers=headers)
        except urllib3.exceptions.HTTPError as exc:
            raise rest.TransportFailure(type(exc).__name__) from None
        return rest.Reply(
            response.status,
            response.data.decode("utf-8", "replace"),
            {name.lower(): value for name, value in response.headers.items()},
        )

    return send
