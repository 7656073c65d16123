"""Correct, sync: plain hooks over a sync ``httpx.Client``, retrying with ``time.sleep`` backoff.

Style: the retry policy Shopify's own clients use (the integrations of https://github.com/botpress/botpress/tree/master/integrations P2 for the
find-or-create shape; https://shopify.dev/docs/api/admin-rest/usage/rate-limits: the Ruby and JS clients retry 429 honouring
``Retry-After`` and retry 5xx), written the way most Python code is: blocking calls and
``time.sleep``. Under the harness the sleeps advance the virtual clock instead of waiting.

- Every request is retried up to ``MAX_ATTEMPTS`` times: after ``Retry-After`` on a 429, after an
  exponential pause on a 5xx or a transport error (connection refused, timeout, reset). A retried
  create whose first response was lost answers 422 "already been taken", which is confirmed by
  listing; a retried delete answers 404, which means done.
- ``register`` lists this bot's subscriptions once (``webhooks.json?address=URL``, every page of
  the ``Link`` header) and creates the topics that are missing.
- ``unregister`` deletes exactly what that listing returns; nothing listed, nothing to do.
- What cannot be recovered raises the platform's ``RuntimeError``; nothing logs the token.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx

from harness.platform import Context, Logger, RuntimeError

API_VERSION = "2025-10"
TOPICS = ("orders/create", "orders/cancelled", "customers/create")
MAX_ATTEMPTS = 5
BASE_PAUSE = 0.5  # seconds; doubled on every attempt
RETRYABLE = frozenset({429, 500, 502, 503, 504})


def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    with _shopify(ctx) as http:
        subscribed = {hook["topic"] for hook in _list(http, {"address": webhook_url})}
        for topic in TOPICS:
            if topic in subscribed:
                continue
            body = {"webhook": {"topic": topic, "address": webhook_url, "format": "json"}}
            response = _send(http, "POST", "webhooks.json", json=body)
            if response.status_code == 201:
                logger.for_bot().info("Subscribed %s to Shopify %s", webhook_url, topic)
                continue
            if response.status_code == 422 and "already been taken" in response.text:
                existing = _list(http, {"topic": topic, "address": webhook_url})
                if any(hook["topic"] == topic for hook in existing):
                    continue
            raise _failure(response)


def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    with _shopify(ctx) as http:
        for hook in _list(http, {"address": webhook_url}):
            response = _send(http, "DELETE", f"webhooks/{hook['id']}.json")
            if response.status_code == 404:
                logger.for_bot().warning("Shopify webhook %s was already deleted", hook["id"])
            elif response.status_code != 200:
                raise _failure(response)


def _list(http: httpx.Client, filters: dict[str, str]) -> list[dict[str, Any]]:
    hooks: list[dict[str, Any]] = []
    response = _send(http, "GET", "webhooks.json", params={**filters, "limit": 250})
    while True:
        if response.status_code != 200:
            raise _failure(response)
        address = filters["address"]
        hooks.extend(hook for hook in response.json()["webhooks"] if hook["address"] == address)
        next_url = response.links.get("next", {}).get("url")
        if not next_url:
            return hooks
        response = _send(http, "GET", next_url)


def _shopify(ctx: Context) -> httpx.Client:
    shop = ctx.configuration.get("shopName")
    token = ctx.configuration.get("access_token")
    if not shop or not token:
        raise RuntimeError("Missing Shopify configuration: shopName and access_token are required")
    return httpx.Client(
        base_url=f"https://{shop}.myshopify.com/admin/api/{API_VERSION}/",
        headers={"X-Shopify-Access-Token": str(token)},
        timeout=10.0,
    )


def _send(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    params: Mapping[str, str | int] | None = None,
    json: object = None,
) -> httpx.Response:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        pause = BASE_PAUSE * 2.0 ** (attempt - 1)
        try:
            response = http.request(method, url, params=params, json=json)
        except httpx.TransportError as exc:
            if attempt == MAX_ATTEMPTS:
                raise RuntimeError(
                    f"Could not reach Shopify for {method} {url.split('?')[0]} after "
                    f"{MAX_ATTEMPTS} attempts: {type(exc).__name__}"
                ) from exc
        else:
            if response.status_code not in RETRYABLE or attempt == MAX_ATTEMPTS:
                return response
            if response.status_code == 429:
                pause = _retry_after(response, default=pause)
        time.sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover


def _retry_after(response: httpx.Response, *, default: float) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", default)))
    except ValueError:
        return default


def _failure(response: httpx.Response) -> RuntimeError:
    request = response.request
    return RuntimeError(
        f"Shopify answered {response.status_code} to {request.method} {request.url.path}: "
        f"{response.text[:300]}"
    )
