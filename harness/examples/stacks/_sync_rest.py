"""Find-or-create over Shopify's REST Admin API for any sync HTTP stack.

A stack module supplies ``send(method, url, body) -> Reply`` (``url`` absolute, ``body`` a JSON
object or ``None``) and raises :class:`TransportFailure` when no answer came (refused, reset,
timed out). What is shared here is the careful lifecycle of ``correct/sync_backoff.py``:

- ``register`` lists this bot's subscriptions (``webhooks.json?address=URL``, every page of the
  ``Link`` header) and creates the missing topics; a 422 "already been taken" (a retried create
  whose first answer was lost) is confirmed by listing.
- ``unregister`` deletes exactly what that listing returns; a 404 means already gone.
- A 429 waits ``Retry-After``, a 5xx or a transport failure waits an exponential pause
  (``time.sleep``: virtual under the harness), up to ``MAX_ATTEMPTS``; what cannot be recovered
  raises the platform's ``RuntimeError`` naming the request, never the token.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from harness.platform import Context, Logger, RuntimeError

API_VERSION = "2025-10"
TOPICS = ("orders/create", "orders/cancelled", "customers/create")
MAX_ATTEMPTS = 5
BASE_PAUSE = 0.5
RETRYABLE = frozenset({429, 500, 502, 503, 504})
_NEXT = re.compile(r'<([^>]+)>;\s*rel="?next"?')


class TransportFailure(Exception):
    """No answer came: the connection was refused, reset or timed out."""


@dataclass(frozen=True)
class Reply:
    status: int
    text: str
    headers: Mapping[str, str]  # lower-case names

    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def next_url(self) -> str | None:
        found = _NEXT.search(self.headers.get("link", ""))
        return found.group(1) if found else None


Send = Callable[[str, str, "Mapping[str, Any] | None"], Reply]


def shop_and_token(ctx: Context) -> tuple[str, str]:
    shop = ctx.configuration.get("shopName")
    token = ctx.configuration.get("access_token")
    if not shop or not token:
        raise RuntimeError("Missing Shopify configuration: shopName and access_token are required")
    return str(shop), str(token)


def base_url(shop: str) -> str:
    return f"https://{shop}.myshopify.com/admin/api/{API_VERSION}/"


def send_retrying(
    send: Send,
    method: str,
    url: str,
    body: Mapping[str, Any] | None = None,
    *,
    attempts: int = MAX_ATTEMPTS,
) -> Reply:
    for attempt in range(1, attempts + 1):
        pause = BASE_PAUSE * 2.0 ** (attempt - 1)
        try:
            reply = send(method, url, body)
        except TransportFailure as exc:
            if attempt == attempts:
                raise RuntimeError(
                    f"Could not reach Shopify for {method} {url.split('?')[0]} after "
                    f"{attempts} attempt(s): {exc}"
                ) from None
        else:
            if reply.status not in RETRYABLE or attempt == attempts:
                return reply
            if reply.status == 429:
                with contextlib.suppress(ValueError):
                    pause = max(0.0, float(reply.headers.get("retry-after", pause)))
        time.sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover


def failure(method: str, url: str, reply: Reply) -> RuntimeError:
    return RuntimeError(
        f"Shopify answered {reply.status} to {method} {url.split('?')[0]}: {reply.text[:300]}"
    )


def list_mine(
    send: Send, shop: str, webhook_url: str, *, attempts: int = MAX_ATTEMPTS
) -> list[dict[str, Any]]:
    url: str | None = (
        base_url(shop) + "webhooks.json?" + urlencode({"address": webhook_url, "limit": 250})
    )
    hooks: list[dict[str, Any]] = []
    while url is not None:
        reply = send_retrying(send, "GET", url, attempts=attempts)
        if reply.status != 200:
            raise failure("GET", url, reply)
        hooks.extend(h for h in reply.json()["webhooks"] if h["address"] == webhook_url)
        url = reply.next_url
    return hooks


def create(
    send: Send, shop: str, topic: str, webhook_url: str, *, attempts: int = MAX_ATTEMPTS
) -> Reply:
    body = {"webhook": {"topic": topic, "address": webhook_url, "format": "json"}}
    return send_retrying(send, "POST", base_url(shop) + "webhooks.json", body, attempts=attempts)


def register(send: Send, shop: str, webhook_url: str, logger: Logger) -> None:
    subscribed = {hook["topic"] for hook in list_mine(send, shop, webhook_url)}
    for topic in TOPICS:
        if topic in subscribed:
            continue
        reply = create(send, shop, topic, webhook_url)
        if reply.status == 201:
            logger.for_bot().info("Subscribed %s to Shopify %s", webhook_url, topic)
            continue
        taken = reply.status == 422 and "already been taken" in reply.text
        if taken and any(h["topic"] == topic for h in list_mine(send, shop, webhook_url)):
            continue
        raise failure("POST", base_url(shop) + "webhooks.json", reply)


def unregister(send: Send, shop: str, webhook_url: str, logger: Logger) -> None:
    for hook in list_mine(send, shop, webhook_url):
        url = base_url(shop) + f"webhooks/{hook['id']}.json"
        reply = send_retrying(send, "DELETE", url)
        if reply.status == 404:
            logger.for_bot().warning("Shopify webhook %s was already deleted", hook["id"])
        elif reply.status != 200:
            raise failure("DELETE", url, reply)
