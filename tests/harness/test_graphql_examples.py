"""The GraphQL example integrations, driven by hand against the fake: what one event does.

A minimal platform (context, state client, logger) calls the hooks while the fake intercepts
every ``*.myshopify.com`` request; :func:`harness.runtime.events.probe_events` then fires each topic
and counts the signed deliveries reaching the bot's ``webhook_url``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from fake_shopify import FakeShopify, HttpError, LostResponse, Match, Next
from harness.examples import graphql_correct, graphql_double_path, graphql_nonce_urls
from harness.runtime import (
    AsyncPlatformClient,
    Context,
    LogSink,
    PlatformClient,
    PlatformLogger,
    StateStore,
)
from harness.runtime.events import DeliveryCapture, probe_events

APP = "botpress"
TOPICS = ("orders/create", "orders/paid")
URL = "https://webhook.botpress.cloud/wh0001"
OTHER_URL = "https://webhook.botpress.cloud/wh0002"


class Platform:
    """One shop, one app, two bots; calls hooks as the platform does."""

    def __init__(self) -> None:
        self.capture = DeliveryCapture()
        self.fake = FakeShopify(delivery_sender=self.capture)
        self.fake.add_shop("acme")
        self.fake.add_app(APP)
        self.token = self.fake.install("acme", APP).access_token
        self.store = StateStore(clock=self.fake.clock)
        self.sink = LogSink(clock=self.fake.clock)

    def call(self, module: ModuleType, operation: str, *, url: str = URL) -> BaseException | None:
        hook: Callable[..., Any] = getattr(module, operation)
        is_async = inspect.iscoroutinefunction(hook)
        bot = url.rsplit("/", 1)[1]
        client_class = AsyncPlatformClient if is_async else PlatformClient
        available: dict[str, object] = {
            "ctx": Context(
                bot_id=bot,
                integration_id="intshopify",
                webhook_id=bot,
                configuration={"shopName": "acme", "access_token": self.token},
                operation=operation,
            ),
            "client": client_class(self.store, bot_id=bot, integration_id="intshopify"),
            "logger": PlatformLogger(self.sink, bot_id=bot),
            "webhook_url": url,
        }
        wanted = inspect.signature(hook).parameters
        with self.fake.intercept():
            try:
                result = hook(**{k: v for k, v in available.items() if k in wanted})
                if inspect.isawaitable(result):
                    asyncio.run(_await(result))
            except Exception as exc:
                return exc
        return None

    def deliveries(self, url: str = URL) -> dict[str, int]:
        events = probe_events(self.fake, self.capture, {"bot": ("acme", url)}, lambda _: TOPICS)
        return dict(events["bot"].counts)


async def _await(value: Any) -> Any:
    return await value


def test_correct_example_delivers_each_event_exactly_once_and_never_after_unregister() -> None:
    p = Platform()
    for _ in range(3):
        assert p.call(graphql_correct, "register") is None
    assert p.deliveries() == {"orders/create": 1, "orders/paid": 1}
    assert p.call(graphql_correct, "register", url=OTHER_URL) is None
    assert p.call(graphql_correct, "unregister") is None
    assert p.deliveries() == {"orders/create": 0, "orders/paid": 0}
    assert p.deliveries(OTHER_URL) == {"orders/create": 1, "orders/paid": 1}
    assert p.call(graphql_correct, "unregister") is None  # nothing left: still fine


def test_correct_example_reconciles_duplicates_and_lost_responses() -> None:
    p = Platform()
    p.fake.add_webhook("acme", APP, topic="orders/create", address=URL)
    p.fake.add_webhook("acme", APP, topic="orders/create", address=URL, format="xml")
    p.fake.faults.arm(LostResponse(), match=Match(action="BotSubscribe"), schedule=Next(1))
    failed = p.call(graphql_correct, "register")
    assert failed is not None
    assert "Could not reach Shopify for BotSubscribe" in str(failed)
    assert p.token not in str(failed)
    assert p.call(graphql_correct, "register") is None
    assert p.deliveries() == {"orders/create": 1, "orders/paid": 1}


def test_correct_example_waits_out_throttling_and_reports_refusals() -> None:
    p = Platform()
    p.fake.faults.arm(
        HttpError(503, retry_after=0.0), match=Match(action="BotSubscriptions"), schedule=Next(1)
    )
    assert p.call(graphql_correct, "register") is None  # retried after Retry-After
    assert p.deliveries() == {"orders/create": 1, "orders/paid": 1}
    p.fake.faults.arm(HttpError(401), match=Match(action="graphql"), schedule=Next(1))
    refused = p.call(graphql_correct, "unregister")
    assert refused is not None
    assert "Shopify answered 401 to GraphQL BotSubscriptions" in str(refused)


def test_nonce_urls_example_doubles_deliveries_and_leaks_after_unregister() -> None:
    p = Platform()
    assert p.call(graphql_nonce_urls, "register") is None
    assert p.deliveries() == {"orders/create": 1, "orders/paid": 1}
    assert p.call(graphql_nonce_urls, "register") is None
    assert p.deliveries() == {"orders/create": 2, "orders/paid": 2}
    assert p.call(graphql_nonce_urls, "unregister") is None
    assert p.deliveries() == {"orders/create": 1, "orders/paid": 1}


def test_double_path_example_is_idempotent_but_delivers_orders_twice() -> None:
    p = Platform()
    assert p.call(graphql_double_path, "register") is None
    world = sorted((w.topic, w.address) for w in p.fake.webhooks())
    assert p.call(graphql_double_path, "register") is None
    assert sorted((w.topic, w.address) for w in p.fake.webhooks()) == world
    assert p.deliveries()["orders/create"] == 2
    assert p.call(graphql_double_path, "unregister") is None
    assert p.fake.webhooks() == []
    assert p.deliveries() == {"orders/create": 0, "orders/paid": 0}


@pytest.mark.parametrize("module", [graphql_correct, graphql_nonce_urls, graphql_double_path])
def test_examples_send_only_graphql_requests(module: ModuleType) -> None:
    p = Platform()
    p.call(module, "register")
    actions = {e.action for e in p.fake.journal}
    assert actions == {"graphql"}
