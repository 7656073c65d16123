"""Correct, async: delete every subscription of this bot, then create the wanted ones afresh.

Style: pattern P4 of platform-lifecycle.md section 4.2 (Calendly: "simply checking if webhook
subscriptions exist may lead to a de-synchronization of the webhook signing key"; DocuSign's
``refreshWebhooks``; the fix proposed for Linear's URL-only matching, A6). Whatever drifted
(a removed subscription, a changed format or field list), the next ``register`` rebuilds it.
No platform state is kept.

- ``register`` lists ``webhooks.json?address=URL`` (every page), deletes those subscriptions
  (a 404 means already gone), then creates one per topic. A 422 "already been taken" (a concurrent
  ``register`` of the same bot re-created it first) is confirmed by listing, never assumed.
- ``unregister`` is the first half of ``register``: list by address and delete; nothing listed
  means nothing to do. A 404 there is logged at warning level.
- The world after two registers equals the world after one (ids differ, content does not), so it
  passes ``idempotent``; it does send mutating requests on every register, so it fails the
  stricter request-level option on purpose: that is the price of this style.
- A 429 or a 5xx is retried after ``Retry-After`` or a short pause (``asyncio.sleep``, virtual
  under the harness); other failures raise the platform's ``RuntimeError`` without the token.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx

from harness.examples._protocols import Context, Logger
from harness.platform import RuntimeError

API_VERSION = "2025-10"
TOPICS = ("orders/create", "orders/cancelled", "customers/create")
MAX_ATTEMPTS = 5
RETRYABLE = frozenset({429, 500, 502, 503, 504})


async def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with _shopify(ctx) as http:
        for hook in await _list(http, {"address": webhook_url}):
            response = await _send(http, "DELETE", f"webhooks/{hook['id']}.json")
            if response.status_code not in (200, 404):
                raise _failure(response)
        for topic in TOPICS:
            body = {"webhook": {"topic": topic, "address": webhook_url, "format": "json"}}
            response = await _send(http, "POST", "webhooks.json", json=body)
            if response.status_code == 201:
                continue
            if response.status_code == 422 and "already been taken" in response.text:
                existing = await _list(http, {"topic": topic, "address": webhook_url})
                if any(hook["topic"] == topic for hook in existing):
                    continue
            raise _failure(response)
    logger.for_bot().info("Shopify webhooks re-created for %s", ", ".join(TOPICS))


async def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with _shopify(ctx) as http:
        for hook in await _list(http, {"address": webhook_url}):
            response = await _send(http, "DELETE", f"webhooks/{hook['id']}.json")
            if response.status_code == 404:
                logger.for_bot().warning("Shopify webhook %s was already deleted", hook["id"])
            elif response.status_code != 200:
                raise _failure(response)


async def _list(http: httpx.AsyncClient, filters: dict[str, str]) -> list[dict[str, Any]]:
    hooks: list[dict[str, Any]] = []
    response = await _send(http, "GET", "webhooks.json", params={**filters, "limit": 250})
    while True:
        if response.status_code != 200:
            raise _failure(response)
        # The address filter is exact on Shopify's side; checking again costs nothing and keeps
        # a misbehaving filter from ever costing another bot its subscriptions.
        address = filters["address"]
        hooks.extend(hook for hook in response.json()["webhooks"] if hook["address"] == address)
        next_url = response.links.get("next", {}).get("url")
        if not next_url:
            return hooks
        response = await _send(http, "GET", next_url)


def _shopify(ctx: Context) -> httpx.AsyncClient:
    shop = ctx.configuration.get("shopName")
    token = ctx.configuration.get("access_token")
    if not shop or not token:
        raise RuntimeError("Missing Shopify configuration: shopName and access_token are required")
    return httpx.AsyncClient(
        base_url=f"https://{shop}.myshopify.com/admin/api/{API_VERSION}/",
        headers={"X-Shopify-Access-Token": str(token)},
        timeout=10.0,
    )


async def _send(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    params: Mapping[str, str | int] | None = None,
    json: object = None,
) -> httpx.Response:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            response = await http.request(method, url, params=params, json=json)
        except httpx.TransportError as exc:
            raise RuntimeError(
                f"Could not reach Shopify for {method} {url.split('?')[0]}: {type(exc).__name__}"
            ) from exc
        if response.status_code not in RETRYABLE or attempt == MAX_ATTEMPTS:
            return response
        await asyncio.sleep(_pause(response, attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def _pause(response: httpx.Response, attempt: int) -> float:
    if response.status_code == 429:
        try:
            return max(0.0, float(response.headers.get("Retry-After", "2.0")))
        except ValueError:
            return 2.0
    return 0.5 * 2.0 ** (attempt - 1)


def _failure(response: httpx.Response) -> RuntimeError:
    request = response.request
    return RuntimeError(
        f"Shopify answered {response.status_code} to {request.method} {request.url.path}: "
        f"{response.text[:300]}"
    )
