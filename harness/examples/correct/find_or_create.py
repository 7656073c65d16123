"""Correct, async: find-or-create by listing with the ``topic`` and ``address`` filters.

Style: pattern P2 of platform-lifecycle.md section 4.2 (Linear's ``_findWebhookByUrl``; the
original Shopify integration's GET-by-address before POST, section 4.1 (a)) done right. No
platform state: Shopify itself is the record of what exists, so lost state cannot hurt.

- ``register`` lists ``webhooks.json?topic=T&address=URL`` for each topic, walking every page
  through the ``Link`` header, and creates the subscription only if none is found. A 422
  "already been taken" (another call of the same bot won the race) is confirmed by listing again.
- ``unregister`` lists ``webhooks.json?address=URL`` and deletes exactly those: other bots of the
  same app on the same shop use other addresses and are never touched. A 404 on delete means the
  subscription is already gone; it is logged at warning level, not raised.
- A 429 is retried after ``Retry-After`` (``asyncio.sleep``, virtual under the harness); any
  other failure raises the platform's ``RuntimeError`` with a message that names the request and
  Shopify's answer, never the access token.
- One ``httpx.AsyncClient`` per hook call, built from the current configuration: a rotated token
  is used at once and tenants share nothing.
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
MAX_ATTEMPTS = 5  # per request, for 429 only
PAGE_SIZE = 250  # Shopify's maximum


async def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with _shopify(ctx) as http:
        for topic in TOPICS:
            if await _find(http, topic=topic, address=webhook_url):
                continue
            await _create(http, topic=topic, address=webhook_url)
            logger.for_bot().info("Subscribed %s to Shopify %s", webhook_url, topic)


async def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with _shopify(ctx) as http:
        for hook in await _list(http, {"address": webhook_url}):
            response = await _send(http, "DELETE", f"webhooks/{hook['id']}.json")
            if response.status_code == 404:
                # Already gone (Shopify removed it, or a concurrent unregister did): nothing left
                # to clean, but say so, since a 404 can also mean we misread what exists.
                logger.for_bot().warning("Shopify webhook %s was already deleted", hook["id"])
            elif response.status_code != 200:
                raise _failure(response)


def _shopify(ctx: Context) -> httpx.AsyncClient:
    shop, token = _credentials(ctx.configuration)
    return httpx.AsyncClient(
        base_url=f"https://{shop}.myshopify.com/admin/api/{API_VERSION}/",
        headers={"X-Shopify-Access-Token": token},
        timeout=10.0,
    )


def _credentials(configuration: Mapping[str, Any]) -> tuple[str, str]:
    shop = configuration.get("shopName")
    token = configuration.get("access_token")
    missing = [name for name, value in (("shopName", shop), ("access_token", token)) if not value]
    if missing:
        raise RuntimeError(f"Missing Shopify configuration: {', '.join(missing)}")
    return str(shop), str(token)


async def _find(http: httpx.AsyncClient, *, topic: str, address: str) -> bool:
    hooks = await _list(http, {"topic": topic, "address": address})
    return any(hook["topic"] == topic and hook["address"] == address for hook in hooks)


async def _create(http: httpx.AsyncClient, *, topic: str, address: str) -> None:
    body = {"webhook": {"topic": topic, "address": address, "format": "json"}}
    response = await _send(http, "POST", "webhooks.json", json=body)
    if response.status_code == 201:
        return
    if _already_taken(response) and await _find(http, topic=topic, address=address):
        return
    raise _failure(response)


async def _list(http: httpx.AsyncClient, filters: dict[str, str]) -> list[dict[str, Any]]:
    """Every webhook matching ``filters``, across all pages (cursor pagination)."""
    hooks: list[dict[str, Any]] = []
    response = await _send(http, "GET", "webhooks.json", params={**filters, "limit": PAGE_SIZE})
    while True:
        if response.status_code != 200:
            raise _failure(response)
        # Shopify's filters are exact; checking again keeps another bot's subscriptions safe even
        # from a filter that misbehaves.
        hooks.extend(
            hook
            for hook in response.json()["webhooks"]
            if all(hook.get(key) == value for key, value in filters.items())
        )
        next_url = response.links.get("next", {}).get("url")
        if not next_url:
            return hooks
        # The next link carries page_info and limit; Shopify rejects other filters beside it.
        response = await _send(http, "GET", next_url)


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
            # The message names the request, not its headers: the token stays out of reports.
            raise RuntimeError(
                f"Could not reach Shopify for {method} {_path(url)}: {type(exc).__name__}"
            ) from exc
        if response.status_code != 429 or attempt == MAX_ATTEMPTS:
            return response
        await asyncio.sleep(_retry_after(response))
    raise AssertionError("unreachable")  # pragma: no cover


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "2.0")))
    except ValueError:
        return 2.0


def _already_taken(response: httpx.Response) -> bool:
    return response.status_code == 422 and "already been taken" in response.text


def _failure(response: httpx.Response) -> RuntimeError:
    request = response.request
    return RuntimeError(
        f"Shopify answered {response.status_code} to {request.method} {request.url.path}: "
        f"{response.text[:300]}"
    )


def _path(url: str) -> str:
    return httpx.URL(url).path
