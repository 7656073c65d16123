"""Small integrations, each with one bug that violates one property (test fixtures).

Every hook talks to the fake Shopify over httpx as a real integration would. ``KIND`` in the
namespace below names the property each one breaks.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import SimpleNamespace
from typing import Any

import httpx

TOPIC = "orders/create"


def _base(ctx: Any) -> str:
    return f"https://{ctx.configuration['shopName']}.myshopify.com/admin/api/2026-01"


def _headers(ctx: Any) -> dict[str, str]:
    return {"X-Shopify-Access-Token": str(ctx.configuration["access_token"])}


def _find(client: httpx.Client, webhook_url: str) -> list[dict[str, Any]]:
    response = client.get("/webhooks.json", params={"address": webhook_url, "limit": 250})
    response.raise_for_status()
    hooks: list[dict[str, Any]] = response.json()["webhooks"]
    return hooks


def _ensure(ctx: Any, webhook_url: str) -> list[int]:
    with httpx.Client(base_url=_base(ctx), headers=_headers(ctx)) as client:
        hooks = _find(client, webhook_url)
        if not hooks:
            created = client.post(
                "/webhooks.json", json={"webhook": {"topic": TOPIC, "address": webhook_url}}
            )
            created.raise_for_status()
            hooks = [created.json()["webhook"]]
        return [int(h["id"]) for h in hooks]


def _remove_all(ctx: Any, webhook_url: str) -> None:
    with httpx.Client(base_url=_base(ctx), headers=_headers(ctx)) as client:
        for hook in _find(client, webhook_url):
            client.delete(f"/webhooks/{hook['id']}.json").raise_for_status()


def _state(ctx: Any, client: Any) -> dict[str, Any] | None:
    try:
        payload: dict[str, Any] = client.get_state(
            type="integration", id=ctx.integration_id, name="webhooks"
        ).payload
    except Exception:
        return None
    return payload


# idempotent: every register bumps a counter in the platform state, so the world changes.
def _counting_register(ctx: Any, client: Any, webhook_url: str) -> None:
    _ensure(ctx, webhook_url)
    calls = (_state(ctx, client) or {}).get("calls", 0)
    client.set_state(
        type="integration", id=ctx.integration_id, name="webhooks", payload={"calls": calls + 1}
    )


def _clean_unregister(ctx: Any, client: Any, webhook_url: str) -> None:
    _remove_all(ctx, webhook_url)
    client.set_state(type="integration", id=ctx.integration_id, name="webhooks", payload=None)


idempotent = SimpleNamespace(register=_counting_register, unregister=_clean_unregister)


# convergent: trusts the stored ids and never checks Shopify again.
def _trusting_register(ctx: Any, client: Any, webhook_url: str) -> None:
    if _state(ctx, client):
        return
    ids = _ensure(ctx, webhook_url)
    client.set_state(
        type="integration", id=ctx.integration_id, name="webhooks", payload={"ids": ids}
    )


convergent = SimpleNamespace(register=_trusting_register, unregister=_clean_unregister)


# clean: unregister deletes nothing.
def _plain_register(ctx: Any, webhook_url: str) -> None:
    _ensure(ctx, webhook_url)


def _noop_unregister() -> None:
    return None


clean = SimpleNamespace(register=_plain_register, unregister=_noop_unregister)


# reported: every error swallowed.
def _swallowing_register(ctx: Any, webhook_url: str) -> None:
    with contextlib.suppress(Exception):
        _ensure(ctx, webhook_url)


def _plain_unregister(ctx: Any, webhook_url: str) -> None:
    _remove_all(ctx, webhook_url)


reported = SimpleNamespace(register=_swallowing_register, unregister=_plain_unregister)


# tolerant_unregister: unregister needs a state and lets the platform's 404 escape.
def _strict_unregister(ctx: Any, client: Any, webhook_url: str) -> None:
    client.get_state(type="integration", id=ctx.integration_id, name="webhooks")
    _remove_all(ctx, webhook_url)


tolerant_unregister = SimpleNamespace(register=_plain_register, unregister=_strict_unregister)


# no_secret_leak: logs the token.
def _chatty_register(ctx: Any, logger: Any, webhook_url: str) -> None:
    logger.info("registering with token %s", ctx.configuration["access_token"])
    _ensure(ctx, webhook_url)


no_secret_leak = SimpleNamespace(register=_chatty_register, unregister=_plain_unregister)


# tenant_isolation: one shared client, reconfigured on every call, with an await in between.
_shared = SimpleNamespace(headers={}, base="")


async def _shared_register(ctx: Any, webhook_url: str) -> None:
    _shared.base = _base(ctx)
    _shared.headers = _headers(ctx)
    await asyncio.sleep(0.01)
    async with httpx.AsyncClient(base_url=_shared.base, headers=_shared.headers) as client:
        response = await client.get("/webhooks.json", params={"address": webhook_url})
        if not response.json().get("webhooks"):
            await client.post(
                "/webhooks.json", json={"webhook": {"topic": TOPIC, "address": webhook_url}}
            )


async def _shared_unregister(ctx: Any, webhook_url: str) -> None:
    async with httpx.AsyncClient(base_url=_base(ctx), headers=_headers(ctx)) as client:
        response = await client.get("/webhooks.json", params={"address": webhook_url})
        for hook in response.json().get("webhooks", []):
            await client.delete(f"/webhooks/{hook['id']}.json")


tenant_isolation = SimpleNamespace(register=_shared_register, unregister=_shared_unregister)


# exactly_once: two code paths subscribe the same topic, at the URL and at the URL with a
# trailing slash; each is idempotent and unregister removes both, yet every event arrives twice.
def _double_register(ctx: Any, webhook_url: str) -> None:
    _ensure(ctx, webhook_url)
    _ensure(ctx, webhook_url + "/")


def _double_unregister(ctx: Any, webhook_url: str) -> None:
    _remove_all(ctx, webhook_url)
    _remove_all(ctx, webhook_url + "/")


exactly_once = SimpleNamespace(register=_double_register, unregister=_double_unregister)

# A correct integration: find-or-create, delete by address.
correct = SimpleNamespace(register=_plain_register, unregister=_plain_unregister)


# exactly_once: the same topic subscribed at the webhook URL with and without a trailing slash,
# so every event reaches the bot twice (both addresses are its endpoint).
def _double_register(ctx: Any, webhook_url: str) -> None:
    with httpx.Client(base_url=_base(ctx), headers=_headers(ctx)) as client:
        for address in (webhook_url, webhook_url + "/"):
            if not _find(client, address):
                client.post(
                    "/webhooks.json", json={"webhook": {"topic": TOPIC, "address": address}}
                ).raise_for_status()


def _double_unregister(ctx: Any, webhook_url: str) -> None:
    with httpx.Client(base_url=_base(ctx), headers=_headers(ctx)) as client:
        for address in (webhook_url, webhook_url + "/"):
            for hook in _find(client, address):
                client.delete(f"/webhooks/{hook['id']}.json").raise_for_status()


exactly_once = SimpleNamespace(register=_double_register, unregister=_double_unregister)
