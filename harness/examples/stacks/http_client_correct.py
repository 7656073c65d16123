"""Correct, sync, on the standard library's ``http.client``: find-or-create with retries.

One keep-alive ``HTTPSConnection`` per hook call; after a transport failure (``OSError``,
``http.client.HTTPException``) the connection is closed and the next attempt reconnects.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from harness.examples.stacks import _sync_rest as rest
from harness.platform import Context, Logger


def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    shop, token = rest.shop_and_token(ctx)
    conn = http.client.HTTPSConnection(f"{shop}.myshopify.com", timeout=10)
    try:
        rest.register(sender(conn, token), shop, webhook_url, logger)
    finally:
        conn.close()


def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    shop, token = rest.shop_and_token(ctx)
    conn = http.client.HTTPSConnection(f"{shop}.myshopify.com", timeout=10)
    try:
        rest.unregister(sender(conn, token), shop, webhook_url, logger)
    finally:
        conn.close()


def sender(conn: http.client.HTTPSConnection, token: str) -> rest.Send:
    def send(method: str, url: str, body: Mapping[str, Any] | None) -> rest.Reply:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"X-Shopify-Access-Token": token, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, target, body=data, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            conn.close()  # the next request reconnects
            raise rest.TransportFailure(type(exc).__name__) from None
        return rest.Reply(
            response.status, text, {name.lower(): value for name, value in response.getheaders()}
        )

    return send
