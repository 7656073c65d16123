"""The Shopify REST plumbing the async example integrations share.

Every async example subscribes its bot over the REST Admin API with the same careful requests:
a client per hook call built from the current configuration, 429 retried after ``Retry-After``,
listings that walk every page of the ``Link`` header, a create answered 422 "already been taken"
confirmed by listing, a delete answered 404 taken as "already gone", and failures raised as the
platform's ``RuntimeError`` naming the request and Shopify's answer but never the token. Keeping
that here leaves each example module with its lifecycle logic only, so the bug an example is
named for stands in its own module and nowhere else.

Not used where a helper differs on purpose: ``shared_client`` builds its process-wide client
itself (that is its bug), ``leaky_error_log`` lets httpx errors escape to dump them (its bug),
``shopify_docs_port`` is a line-by-line port, and ``sync_backoff`` is synchronous.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from typing import Any

import httpx

from harness.platform import AsyncClient, Context, Logger, ResourceNotFoundError, RuntimeError

API_VERSION = "2025-10"
TOPICS = ("orders/create", "orders/cancelled", "customers/create")
MAX_ATTEMPTS = 5  # per request
PAGE_SIZE = 250  # Shopify's maximum
STATE_NAME = "shopify_webhooks"
RATE_LIMITED = frozenset({429})
"""The default of :func:`send`'s ``retry_on``: only Shopify's leaky bucket is retried."""


def shopify(ctx: Context) -> httpx.AsyncClient:
    """A client for this hook call only, from the current configuration (rotation, tenants)."""
    shop = ctx.configuration.get("shopName")
    token = ctx.configuration.get("access_token")
    if not shop or not token:
        raise RuntimeError("Missing Shopify configuration: shopName and access_token are required")
    return httpx.AsyncClient(
        base_url=f"https://{shop}.myshopify.com/admin/api/{API_VERSION}/",
        headers={"X-Shopify-Access-Token": str(token)},
        timeout=10.0,
    )


async def send(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    params: Mapping[str, str | int] | None = None,
    json: object = None,
    retry_on: Collection[int] = RATE_LIMITED,
) -> httpx.Response:
    """Send one request, retrying the statuses in ``retry_on`` up to ``MAX_ATTEMPTS`` times.

    A 429 waits as long as ``Retry-After`` says; any other retried status (a 5xx, for examples
    that pass one) waits 0.5 s, doubled on every attempt. The last response is returned as it is;
    a transport error becomes ``RuntimeError``.
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            response = await http.request(method, url, params=params, json=json)
        except httpx.TransportError as exc:
            # The message names the request, not its headers: the token stays out of reports.
            raise RuntimeError(
                f"Could not reach Shopify for {method} {httpx.URL(url).path}: {type(exc).__name__}"
            ) from exc
        if response.status_code not in retry_on or attempt == MAX_ATTEMPTS:
            return response
        await asyncio.sleep(_pause(response, attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def retry_after(response: httpx.Response) -> float:
    """How long a 429 asks us to wait (Shopify's leaky bucket is full); 2 s when it does not say."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", "2.0")))
    except ValueError:
        return 2.0


def _pause(response: httpx.Response, attempt: int) -> float:
    if response.status_code == 429:
        return retry_after(response)
    return 0.5 * 2.0 ** (attempt - 1)


def failure(response: httpx.Response) -> RuntimeError:
    """The platform error for an answer we cannot recover from: request and answer, no headers."""
    request = response.request
    return RuntimeError(
        f"Shopify answered {response.status_code} to {request.method} {request.url.path}: "
        f"{response.text[:300]}"
    )


async def list_webhooks(
    http: httpx.AsyncClient,
    filters: Mapping[str, str],
    *,
    url: str = "webhooks.json",
    page_size: int = PAGE_SIZE,
    retry_on: Collection[int] = RATE_LIMITED,
) -> list[dict[str, Any]]:
    """Every webhook matching ``filters`` (e.g. ``topic`` and ``address``), across all pages."""
    hooks: list[dict[str, Any]] = []
    params: dict[str, str | int] = {**filters, "limit": page_size}
    response = await send(http, "GET", url, params=params, retry_on=retry_on)
    while True:
        if response.status_code != 200:
            raise failure(response)
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
        response = await send(http, "GET", next_url, retry_on=retry_on)


async def post_webhook(
    http: httpx.AsyncClient,
    *,
    topic: str,
    address: str,
    url: str = "webhooks.json",
    retry_on: Collection[int] = RATE_LIMITED,
) -> httpx.Response:
    """``POST webhooks.json`` for one subscription; the caller decides what the answer means."""
    body = {"webhook": {"topic": topic, "address": address, "format": "json"}}
    return await send(http, "POST", url, json=body, retry_on=retry_on)


async def create_webhook(
    http: httpx.AsyncClient,
    *,
    topic: str,
    address: str,
    url: str = "webhooks.json",
    page_size: int = PAGE_SIZE,
    retry_on: Collection[int] = RATE_LIMITED,
) -> int:
    """Create one subscription and return its id.

    A 422 "already been taken" (a concurrent call of the same bot created it first, or a response
    was lost after the create) adopts the existing subscription, confirmed by listing, never
    assumed.
    """
    response = await post_webhook(http, topic=topic, address=address, url=url, retry_on=retry_on)
    if response.status_code == 201:
        return int(response.json()["webhook"]["id"])
    if already_taken(response):
        filters = {"topic": topic, "address": address}
        hooks = await list_webhooks(http, filters, url=url, page_size=page_size, retry_on=retry_on)
        for hook in hooks:
            return int(hook["id"])
    raise failure(response)


def already_taken(response: httpx.Response) -> bool:
    return response.status_code == 422 and "already been taken" in response.text


async def webhook_exists(
    http: httpx.AsyncClient, webhook_id: int, *, topic: str, address: str
) -> bool:
    """Whether Shopify still has ``webhook_id`` as this topic and address (``GET`` by id)."""
    response = await send(http, "GET", f"webhooks/{webhook_id}.json")
    if response.status_code == 200:
        hook = response.json()["webhook"]
        return bool(hook["topic"] == topic and hook["address"] == address)
    if response.status_code != 404:
        raise failure(response)
    return False


async def delete_webhook(
    http: httpx.AsyncClient,
    logger: Logger | None,
    webhook_id: int | str,
    *,
    url: str | None = None,
    retry_on: Collection[int] = RATE_LIMITED,
) -> None:
    """Delete one subscription; a 404 means it is already gone, which is success.

    The 404 is logged at warning level through ``logger`` (it can also mean we misread what
    exists); ``None`` keeps it quiet, for callers that delete to rebuild.
    """
    target = url if url is not None else f"webhooks/{webhook_id}.json"
    response = await send(http, "DELETE", target, retry_on=retry_on)
    if response.status_code == 404:
        if logger is not None:
            logger.for_bot().warning("Shopify webhook %s was already deleted", webhook_id)
    elif response.status_code != 200:
        raise failure(response)


async def stored_ids(ctx: Context, client: AsyncClient) -> dict[str, int]:
    """``{topic: id}`` from the ``integration`` state; a missing state is an empty one."""
    try:
        state = await client.get_state(type="integration", id=ctx.integration_id, name=STATE_NAME)
    except ResourceNotFoundError:
        return {}
    stored = state.payload.get("webhook_ids")
    if not isinstance(stored, Mapping):
        return {}  # an unreadable state is treated as lost: Shopify is checked anyway
    return {str(topic): int(value) for topic, value in stored.items() if value is not None}
