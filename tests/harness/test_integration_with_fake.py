"""The runtime with the fake Shopify: one clock, Retry-After sleeps for free, crashes mid-hook."""

from __future__ import annotations

import asyncio
import time
import types
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fake_shopify import FakeShopify
from fake_shopify.faults import HttpError, Match, Next, Raise
from harness.runtime import AsyncPlatformClient, Context, LogSink, PlatformClient, StateStore
from harness.runtime.vtime import VirtualTime, real_monotonic
from harness.targets.python import HookCrash, Integration, call_hook, load_integration

API = "2025-10"


@pytest.fixture
def vt() -> Iterator[VirtualTime]:
    clock = VirtualTime().start()
    try:
        yield clock
    finally:
        clock.stop()


@pytest.fixture
def fake(vt: VirtualTime) -> Iterator[FakeShopify]:
    shopify = FakeShopify(clock=vt)
    shopify.add_shop("acme")
    shopify.add_app("botpress")
    with shopify.intercept():
        yield shopify


def context(fake: FakeShopify) -> Context:
    token = fake.install("acme", "botpress").access_token
    return Context(
        bot_id="bot1",
        integration_id="int1",
        webhook_id="wh1",
        configuration={"shopName": "acme", "access_token": token},
    )


def body(webhook_url: str) -> dict[str, Any]:
    return {"webhook": {"topic": "orders/create", "address": webhook_url, "format": "json"}}


async def register_async(ctx: Context, client: AsyncPlatformClient, webhook_url: str) -> None:
    base = f"https://{ctx.configuration['shopName']}.myshopify.com/admin/api/{API}"
    headers = {"X-Shopify-Access-Token": ctx.configuration["access_token"]}
    async with httpx.AsyncClient(base_url=base, headers=headers) as http:  # a client per call
        while True:
            response = await http.post("/webhooks.json", json=body(webhook_url))
            if response.status_code == 429:
                await asyncio.sleep(float(response.headers["Retry-After"]))
                continue
            response.raise_for_status()
            break
    await client.set_state(
        "integration", ctx.integration_id, "webhooks", {"ids": [response.json()["webhook"]["id"]]}
    )


def register_sync(ctx: Context, client: PlatformClient, webhook_url: str) -> None:
    base = f"https://{ctx.configuration['shopName']}.myshopify.com/admin/api/{API}"
    headers = {"X-Shopify-Access-Token": ctx.configuration["access_token"]}
    with httpx.Client(base_url=base, headers=headers) as http:
        for _ in range(10):
            response = http.post("/webhooks.json", json=body(webhook_url))
            if response.status_code != 429:
                break
            time.sleep(float(response.headers["Retry-After"]))
    response.raise_for_status()
    client.set_state(
        "integration", ctx.integration_id, "webhooks", {"ids": [response.json()["webhook"]["id"]]}
    )


def integration(register: Any) -> Integration:
    return load_integration(types.SimpleNamespace(register=register, unregister=lambda: None))


@pytest.mark.parametrize("register", [register_async, register_sync])
def test_retry_after_costs_virtual_time_only(
    vt: VirtualTime, fake: FakeShopify, register: Any
) -> None:
    ctx = context(fake)
    fake.faults.arm(HttpError(429), match=Match(action="create_webhook"), schedule=Next(2))
    store = StateStore(clock=vt)
    wall = real_monotonic()
    outcome = call_hook(
        integration(register), "register", ctx=ctx, store=store, sink=LogSink(), vtime=vt
    )
    assert outcome.ok, outcome.exc_text
    assert real_monotonic() - wall < 2.0
    # Two 429s with Shopify's Retry-After of 2 s each: 4 virtual seconds.
    assert outcome.virtual_seconds == pytest.approx(4)
    # The fake's clock and the process clock are one.
    assert fake.clock.now() == vt.now()
    assert len(fake.faults.fired) == 2
    (webhook,) = fake.webhooks()
    assert store.states("bot1")[("integration", "int1", "webhooks")].payload == {
        "ids": [webhook.id]
    }
    assert webhook.created_at == vt.now()


def test_crash_before_a_request_is_uncatchable(vt: VirtualTime, fake: FakeShopify) -> None:
    ctx = context(fake)

    async def register(ctx: Context, client: AsyncPlatformClient, webhook_url: str) -> None:
        try:  # noqa: SIM105 - the pattern under test
            await register_async(ctx, client, webhook_url)
        except Exception:  # swallow-all, as the platform's documented example does
            pass

    fake.faults.arm(
        Raise(lambda request: HookCrash(f"crash before {request.method} {request.url.path}")),
        match=Match(action="create_webhook"),
    )
    store = StateStore(clock=vt)
    outcome = call_hook(
        integration(register), "register", ctx=ctx, store=store, sink=LogSink(), vtime=vt
    )
    assert outcome.crashed
    assert outcome.status == "registration_failed"
    assert "crash before POST" in str(outcome.exception)
    assert fake.webhooks() == []
    assert store.states("bot1") == {}


def test_a_request_to_another_host_fails_loudly(vt: VirtualTime, fake: FakeShopify) -> None:
    def register() -> None:
        httpx.get("https://api.example.com/ping")

    outcome = call_hook(
        integration(register),
        "register",
        ctx=context(fake),
        store=StateStore(clock=vt),
        sink=LogSink(),
        vtime=vt,
    )
    assert outcome.status == "registration_failed"
    assert outcome.exc_text is not None
    assert "api.example.com" in outcome.exc_text
