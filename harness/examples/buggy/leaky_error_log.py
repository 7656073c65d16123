"""Buggy, async: the whole HTTP error, request headers included, goes to the bot's log (A2).

Where the bug comes from: the integrations of https://github.com/botpress/botpress/tree/master/integrations, anti-pattern A2, and the issues on tokens
and secrets in logs — ``JSON.stringify(axiosError)`` in the original Shopify integration and the
documented example (https://github.com/botpress/botpress/pull/12758), ``shopify-products-sync``'s client, Mintlify, Cal.com and
Salesforce before PR #15307: an error object serialised for the log carries its request's
configuration, whose headers hold ``X-Shopify-Access-Token``. This Python version builds the same
kind of "helpful" dump from an ``httpx.HTTPError``: method, URL, status, body — and
``dict(request.headers)``. (httpx masks ``Authorization`` in ``repr(headers)``; it has no reason
to know that Shopify's token header is a secret, and ``dict()`` masks nothing anyway.)

Found by: ``no_secret_leak`` (any failed request puts the access token into an error-level log
record). Everything else is correct: the failure is logged at error level and raised as
``RuntimeError`` (so it is reported), find-or-create by ``topic`` and ``address``, per-call client.
"""

from __future__ import annotations

import asyncio
import builtins
import json
from collections.abc import Mapping
from typing import Any

import httpx

from harness.examples._shopify_rest import MAX_ATTEMPTS, TOPICS, retry_after, shopify
from harness.platform import Context, Logger, RuntimeError


async def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with shopify(ctx) as http:
        try:
            for topic in TOPICS:
                if not await _list(http, {"topic": topic, "address": webhook_url}):
                    body = {"webhook": {"topic": topic, "address": webhook_url, "format": "json"}}
                    response = await _request(http, "POST", "webhooks.json", json=body)
                    response.raise_for_status()
        except httpx.HTTPError as exc:
            # BUG: the dump includes the request headers, hence the access token.
            logger.for_bot().error("Shopify webhook registration failed: %s", _dump(exc))
            raise RuntimeError("Shopify webhook registration failed, see the logs") from None


async def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with shopify(ctx) as http:
        try:
            for hook in await _list(http, {"address": webhook_url}):
                response = await _request(http, "DELETE", f"webhooks/{hook['id']}.json")
                if response.status_code != 404:
                    response.raise_for_status()
        except httpx.HTTPError as exc:
            logger.for_bot().error("Shopify webhook deletion failed: %s", _dump(exc))  # BUG
            raise RuntimeError("Shopify webhook deletion failed, see the logs") from None


def _dump(exc: httpx.HTTPError) -> str:
    """Everything about a failed request, as JSON (the Python twin of ``AxiosError.toJSON``)."""
    details: dict[str, Any] = {"name": type(exc).__name__, "message": str(exc)}
    try:
        request = exc.request
    except builtins.RuntimeError:  # httpx: no request attached (the name is the platform's here)
        request = None
    if request is not None:
        details["config"] = {
            "method": request.method,
            "url": str(request.url),
            "headers": dict(request.headers),
        }
    if isinstance(exc, httpx.HTTPStatusError):
        details["status"] = exc.response.status_code
        details["data"] = exc.response.text[:500]
    return json.dumps(details)


# The listing and the request helper are this module's own, not ``_shopify_rest``'s: they let
# httpx's errors escape (``raise_for_status``, transport errors unwrapped) so that ``_dump`` can
# serialise them, which is the bug.
async def _list(http: httpx.AsyncClient, filters: Mapping[str, str]) -> list[dict[str, Any]]:
    hooks: list[dict[str, Any]] = []
    response = await _request(http, "GET", "webhooks.json", params={**filters, "limit": 250})
    while True:
        response.raise_for_status()
        hooks.extend(h for h in response.json()["webhooks"] if h["address"] == filters["address"])
        next_url = response.links.get("next", {}).get("url")
        if not next_url:
            return hooks
        response = await _request(http, "GET", next_url)


async def _request(http: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        response = await http.request(method, url, **kwargs)
        if response.status_code != 429 or attempt == MAX_ATTEMPTS:
            return response
        # Shopify's leaky bucket is full: wait as long as it says, then try again.
        await asyncio.sleep(retry_after(response))
    raise AssertionError("unreachable")  # pragma: no cover
