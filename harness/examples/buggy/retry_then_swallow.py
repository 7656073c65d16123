"""Buggy, async: every request is retried patiently, then a persistent failure is dropped silently.

Where the bug comes from: a swallowed failure, in the shape it takes once someone has added
retries: the original Botpress Shopify integration's ``catch (e) { ...; return null }``
(https://github.com/botpress/botpress/pull/12758) wrapped around a retry loop, so the ``return null`` is only reached when the error is not transient. Each request is
tried six times with exponential backoff (0.5 s doubling, virtual under the harness); every
answer of 400 or more and every transport error is retried, and when the sixth attempt fails
too the topic is skipped with no log line and no exception. The bot shows "registered" while
Shopify has no subscription.

Found by: ``reported``, but only by a persistent fault: a fault that fires once, or a few
times, is outlasted by the retries and the world comes out right, so exploration that draws
only early transient faults (``Nth(1-4)``, ``Next(1-3)``) never sees it. ``Always``,
``Next(k)`` beyond six, a revoked token or a removed scope do. Everything else is the correct
find-or-create integration: listing with ``topic`` and ``address``, a per-call client, no
token in messages, ``unregister`` limited to this bot's address (404 on delete is success).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from harness.examples._shopify_rest import TOPICS, shopify
from harness.platform import Context, Logger

ATTEMPTS = 6


async def _request(http: httpx.AsyncClient, method: str, url: str, **kw: Any) -> httpx.Response:
    """Six attempts; the last answer (or transport error) comes back to the caller."""
    for attempt in range(ATTEMPTS):
        try:
            response = await http.request(method, url, **kw)
        except httpx.TransportError:
            if attempt == ATTEMPTS - 1:
                raise
        else:
            if response.status_code < 400 or attempt == ATTEMPTS - 1:
                return response
        await asyncio.sleep(0.5 * 2.0**attempt)
    raise AssertionError("unreachable")  # pragma: no cover


async def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with shopify(ctx) as http:
        for topic in TOPICS:
            try:
                listed = await _request(
                    http, "GET", "webhooks.json", params={"topic": topic, "address": webhook_url}
                )
                listed.raise_for_status()
                if listed.json().get("webhooks"):
                    continue
                body = {"webhook": {"topic": topic, "address": webhook_url, "format": "json"}}
                created = await _request(http, "POST", "webhooks.json", json=body)
                if created.status_code == 422 and "taken" in created.text:
                    continue  # a concurrent register of this bot created it first
                created.raise_for_status()
            except (httpx.HTTPError, ValueError):
                # BUG: after six attempts the failure is dropped without a word. Raising a
                # RuntimeError (or at least logging at error level) is what tells the bot owner.
                continue


async def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with shopify(ctx) as http:
        try:
            listed = await _request(
                http, "GET", "webhooks.json", params={"address": webhook_url, "limit": 250}
            )
            listed.raise_for_status()
            hooks = listed.json().get("webhooks") or []
        except (httpx.HTTPError, ValueError):
            return  # BUG: swallowed as well
        for hook in hooks:
            try:
                deleted = await _request(http, "DELETE", f"webhooks/{hook['id']}.json")
                if deleted.status_code != 404:
                    deleted.raise_for_status()
            except httpx.HTTPError:
                continue  # BUG: swallowed as well
