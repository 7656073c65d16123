"""Buggy, async: the second ``register`` overwrites the stored ids with ``None`` (A3).

Where the bug comes from: platform-lifecycle.md section 4.1 (a), anti-pattern A3 — the original
Shopify integration at commit ``227e616eed`` stored ``setState({payload: {webhookIds: webhooks}})``
where ``webhooks`` is the ``Promise.all`` of ``createWebhook``, which returns ``undefined`` when the
webhook already existed. This port keeps that shape: ``asyncio.gather`` over the topics, each
returning the id it created or ``None`` when it found one. The first ``register`` stores real ids;
the second stores ``[None, None, None]``; ``unregister`` deletes the stored ids, so after two
registers it deletes nothing and the subscriptions are orphaned.

Found by: ``idempotent`` (the second ``register`` changes the platform state) and ``clean``
(register, register, unregister leaves every subscription behind). Errors are raised as
``RuntimeError`` without the token, 429 is retried, ``unregister`` tolerates 404 and, with no
state at all, deletes what is listed at this bot's address.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import httpx

from harness.examples._protocols import AsyncStateClient, Context, Logger
from harness.platform import ResourceNotFoundError, RuntimeError

API_VERSION = "2025-10"
TOPICS = ("orders/create", "orders/cancelled", "customers/create")
MAX_ATTEMPTS = 5  # per request, for 429 (rate limited) only
STATE_NAME = "configuration"


async def register(
    *, ctx: Context, client: AsyncStateClient, logger: Logger, webhook_url: str
) -> None:
    async with _shopify(ctx) as http:
        webhook_ids = await asyncio.gather(
            *(_create_webhook(http, logger, topic=topic, address=webhook_url) for topic in TOPICS)
        )
    # BUG: ``None`` means "it already existed", not "there is none"; the stored ids are lost.
    await client.set_state(
        type="integration",
        id=ctx.integration_id,
        name=STATE_NAME,
        payload={"webhookIds": list(webhook_ids)},
    )


async def unregister(
    *, ctx: Context, client: AsyncStateClient, logger: Logger, webhook_url: str
) -> None:
    try:
        state = await client.get_state(type="integration", id=ctx.integration_id, name=STATE_NAME)
        webhook_ids = list(state.payload.get("webhookIds", []))
    except ResourceNotFoundError:
        webhook_ids = None
    async with _shopify(ctx) as http:
        if webhook_ids is None:
            # No state at all (a register that never finished, or lost state): list the address.
            response = await _send(http, "GET", "webhooks.json", params={"address": webhook_url})
            if response.status_code != 200:
                raise _failure(response)
            webhook_ids = [hook["id"] for hook in response.json()["webhooks"]]
        for webhook_id in webhook_ids:
            if webhook_id is None:
                continue
            response = await _send(http, "DELETE", f"webhooks/{webhook_id}.json")
            if response.status_code == 404:
                logger.for_bot().warning("Shopify webhook %s was already deleted", webhook_id)
            elif response.status_code != 200:
                raise _failure(response)
    await client.set_state(type="integration", id=ctx.integration_id, name=STATE_NAME, payload=None)


async def _create_webhook(
    http: httpx.AsyncClient, logger: Logger, *, topic: str, address: str
) -> int | None:
    response = await _send(
        http, "GET", "webhooks.json", params={"topic": topic, "address": address}
    )
    if response.status_code != 200:
        raise _failure(response)
    existing = response.json()["webhooks"]
    if existing:
        logger.for_bot().info(
            "Shopify %s webhook was found with id %s. Webhook was not created",
            topic,
            existing[0]["id"],
        )
        return None
    body = {"webhook": {"topic": topic, "address": address, "format": "json"}}
    response = await _send(http, "POST", "webhooks.json", json=body)
    if response.status_code != 201:
        raise _failure(response)
    return int(response.json()["webhook"]["id"])


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
                f"Could not reach Shopify for {method} {url}: {type(exc).__name__}"
            ) from exc
        if response.status_code != 429 or attempt == MAX_ATTEMPTS:
            return response
        # Shopify's leaky bucket is full: wait as long as it says, then try again.
        await asyncio.sleep(_retry_after(response))
    raise AssertionError("unreachable")  # pragma: no cover


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "2.0")))
    except ValueError:
        return 2.0


def _failure(response: httpx.Response) -> RuntimeError:
    request = response.request
    return RuntimeError(
        f"Shopify answered {response.status_code} to {request.method} {request.url.path}: "
        f"{response.text[:300]}"
    )
