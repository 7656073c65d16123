"""Correct, sync, on ``requests``: find-or-create with retries (:mod:`._sync_rest`).

One ``requests.Session`` per hook call (keep-alive within the call, nothing shared between bots).
Transport failures (``requests.RequestException``) are retried, then raised as the platform's
``RuntimeError`` naming the request, never the token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from harness.examples.stacks import _sync_rest as rest
from harness.platform import Context, Logger


def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    shop, token = rest.shop_and_token(ctx)
    with requests.Session() as session:
        rest.register(sender(session, token), shop, webhook_url, logger)


def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    shop, token = rest.shop_and_token(ctx)
    with requests.Session() as session:
        rest.unregister(sender(session, token), shop, webhook_url, logger)


def sender(session: requests.Session, token: str) -> rest.Send:
    def send(method: str, url: str, body: Mapping[str, Any] | None) -> rest.Reply:
        try:
            response = session.request(
                method, url, json=body, headers={"X-Shopify-Access-Token": token}, timeout=10
            )
        except requests.RequestException as exc:
            raise rest.TransportFailure(type(exc).__name__) from None
        return rest.Reply(
            response.status_code,
            response.text,
            {name.lower(): value for name, value in response.headers.items()},
        )

    return send
