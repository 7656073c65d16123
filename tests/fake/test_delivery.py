"""Signed event delivery: headers, signature, retries on the clock, removal after failures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_shopify.clock import ManualClock
from fake_shopify.delivery import (
    DEFAULT_RETRY_DELAYS,
    Deliveries,
    Recorder,
    RetryPolicy,
    sign,
    unreachable,
    verify,
)
from fake_shopify.state import ShopifyBackend

START = datetime(2026, 5, 7, 12, 0, 0, tzinfo=UTC)
BOT = "https://webhook.botpress.cloud/abc123"


def world(
    *, policy: RetryPolicy | None = None, sender: Recorder | None = None
) -> tuple[ShopifyBackend, Deliveries, Recorder, ManualClock]:
    clock = ManualClock(START)
    backend = ShopifyBackend(clock)
    backend.add_shop("acme")
    backend.add_app("bot", client_secret="shpss_" + "a" * 32)
    backend.install("acme", "bot")
    recorder = sender if sender is not None else Recorder()
    deliveries = Deliveries(lambda: backend, clock, sender=recorder, policy=policy)
    return backend, deliveries, recorder, clock


def test_delivery_carries_shopifys_headers_and_a_valid_signature() -> None:
    backend, deliveries, recorder, _ = world()
    webhook = backend.create_webhook(
        "acme", "bot", topic="orders/create", address=BOT, name="order-sync"
    )
    event = deliveries.fire("acme", "orders/create", {"id": 42, "note": "hi"})
    [request] = recorder.requests
    assert request.method == "POST"
    assert str(request.url) == BOT
    assert json.loads(request.content) == {"id": 42, "note": "hi"}
    headers = request.headers
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Shopify-Topic"] == "orders/create"
    assert headers["X-Shopify-Shop-Domain"] == "acme.myshopify.com"
    assert headers["X-Shopify-API-Version"] == webhook.api_version
    assert headers["X-Shopify-Event-Id"] == event.id
    assert headers["X-Shopify-Name"] == "order-sync"
    assert headers["X-Shopify-Triggered-At"] == "2026-05-07T12:00:00.000000Z"
    assert len(headers["X-Shopify-Webhook-Id"]) == 36
    expected = base64.b64encode(
        hmac.new(b"shpss_" + b"a" * 32, request.content, hashlib.sha256).digest()
    ).decode()
    assert headers["X-Shopify-Hmac-Sha256"] == expected
    assert verify("shpss_" + "a" * 32, request.content, expected)
    assert not verify("shpss_" + "b" * 32, request.content, expected)
    assert [d.ok for d in event.deliveries] == [True]


@settings(max_examples=50)
@given(secret=st.text(min_size=1, max_size=40), body=st.binary(max_size=200))
def test_sign_is_base64_hmac_sha256_of_the_raw_body(secret: str, body: bytes) -> None:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    assert base64.b64decode(sign(secret, body)) == digest
    assert verify(secret, body, sign(secret, body))


def test_every_subscriber_of_the_topic_gets_one_delivery_per_event() -> None:
    backend, deliveries, recorder, _ = world()
    backend.add_app("other")
    backend.install("acme", "other")
    backend.add_shop("elsewhere")
    backend.install("elsewhere", "bot")
    backend.create_webhook("acme", "bot", topic="orders/create", address=BOT)
    backend.create_webhook("acme", "other", topic="orders/create", address="https://o.example/h")
    backend.create_webhook("acme", "bot", topic="orders/paid", address=BOT)
    backend.create_webhook("elsewhere", "bot", topic="orders/create", address=BOT + "x")
    event = deliveries.fire("acme", "orders/create")
    assert sorted(str(r.url) for r in recorder.requests) == ["https://o.example/h", BOT]
    event_ids = {r.headers["X-Shopify-Event-Id"] for r in recorder.requests}
    assert event_ids == {event.id}
    webhook_ids = {r.headers["X-Shopify-Webhook-Id"] for r in recorder.requests}
    assert len(webhook_ids) == 2
    secrets = {backend.app("bot").client_secret, backend.app("other").client_secret}
    for request in recorder.requests:
        assert any(
            verify(s, request.content, request.headers["X-Shopify-Hmac-Sha256"]) for s in secrets
        )


def test_include_fields_and_xml_format() -> None:
    backend, deliveries, recorder, _ = world()
    backend.create_webhook("acme", "bot", topic="orders/create", address=BOT, fields=["id"])
    backend.create_webhook("acme", "bot", topic="orders/create", address=BOT + "/xml", format="xml")
    deliveries.fire("acme", "orders/create", {"id": 7, "note": "<b>"})
    by_url = {str(r.url): r for r in recorder.requests}
    assert json.loads(by_url[BOT].content) == {"id": 7}
    xml = by_url[BOT + "/xml"]
    assert xml.headers["Content-Type"] == "application/xml"
    assert xml.content == b"<order><id>7</id><note>&lt;b&gt;</note></order>"


def test_failed_delivery_is_retried_on_the_clock_to_the_original_address() -> None:
    backend, deliveries, recorder, clock = world()
    webhook = backend.create_webhook("acme", "bot", topic="orders/create", address=BOT)
    recorder.respond(BOT, 500)
    event = deliveries.fire("acme", "orders/create", {"id": 1})
    assert [d.status for d in event.deliveries] == [500]
    backend.update_webhook("acme", "bot", webhook.id, address="https://new.example/h")
    recorder.respond(BOT, 200)
    clock.advance(DEFAULT_RETRY_DELAYS[0] - 1)
    assert deliveries.run_due() == []
    clock.advance(1)
    [retry] = deliveries.run_due()
    assert (retry.attempt, retry.address, retry.status) == (2, BOT, 200)
    first, second = recorder.to(BOT)
    assert first.content == second.content
    assert first.headers["X-Shopify-Webhook-Id"] == second.headers["X-Shopify-Webhook-Id"]
    assert deliveries.pending() == []
    assert deliveries.consecutive_failures(webhook.id) == 0


def test_subscription_removed_after_consecutive_failures() -> None:
    backend, deliveries, recorder, _ = world()
    webhook = backend.create_webhook("acme", "bot", topic="orders/create", address=BOT)
    keeper = backend.create_webhook("acme", "bot", topic="orders/create", address=BOT + "/ok")
    recorder.respond(BOT, 503)
    recorder.respond(BOT + "/ok", 200)  # the latest rule wins
    deliveries.fire("acme", "orders/create")
    made = deliveries.run_until_idle()
    failing = [d for d in deliveries.attempts if d.webhook_id == webhook.id]
    assert [d.attempt for d in failing] == list(range(1, 9))
    assert all(not d.ok for d in failing)
    assert [w.id for w in backend.webhooks()] == [keeper.id]
    assert [w.id for w, _ in deliveries.removed] == [webhook.id]
    assert len(made) == 7
    elapsed = failing[-1].at - failing[0].at
    assert elapsed.total_seconds() == sum(DEFAULT_RETRY_DELAYS[:7])


def test_success_resets_the_count_and_event_counting_is_an_option() -> None:
    policy = RetryPolicy(delays=(10, 20), remove_after=2, count="event")
    backend, deliveries, recorder, _ = world(policy=policy)
    webhook = backend.create_webhook("acme", "bot", topic="shop/update", address=BOT)
    recorder.respond(BOT, 500)
    deliveries.fire("acme", "shop/update")
    deliveries.run_until_idle()
    assert deliveries.consecutive_failures(webhook.id) == 1  # one event failed for good
    assert backend.webhooks() != []
    recorder.respond(BOT, 204)
    deliveries.fire("acme", "shop/update")
    assert deliveries.consecutive_failures(webhook.id) == 0
    recorder.respond(BOT, 302)  # redirects are failures too
    for _ in range(2):
        deliveries.fire("acme", "shop/update")
        deliveries.run_until_idle()
    assert backend.webhooks() == []


def test_default_sender_reaches_nothing_and_deleted_subscriptions_are_not_retried() -> None:
    clock = ManualClock(START)
    backend = ShopifyBackend(clock)
    backend.add_shop("acme")
    backend.add_app("bot")
    backend.install("acme", "bot")
    webhook = backend.create_webhook("acme", "bot", topic="shop/update", address=BOT)
    deliveries = Deliveries(lambda: backend, clock)
    assert deliveries.sender is unreachable
    event = deliveries.fire("acme", "shop/update")
    [attempt] = event.deliveries
    assert attempt.error is not None
    assert attempt.error.startswith("ConnectError")
    backend.delete_webhook("acme", "bot", webhook.id)
    assert deliveries.run_until_idle() == []


def test_cloud_addresses_are_delivered_without_http() -> None:
    backend, deliveries, recorder, _ = world()
    backend.create_webhook("acme", "bot", topic="shop/update", address="pubsub://proj:topic")
    event = deliveries.fire("acme", "shop/update")
    assert recorder.requests == []
    assert [(d.request, d.ok) for d in event.deliveries] == [(None, True)]


def test_recorder_answers_with_functions() -> None:
    recorder = Recorder()
    recorder.respond("https://a.example/", lambda r: httpx.Response(418, request=r))
    request = httpx.Request("POST", "https://a.example/x")
    assert recorder(request).status_code == 418
    assert recorder.to("https://a.example/") == [request]


@pytest.mark.parametrize("status", [200, 201, 299])
def test_any_2xx_is_success(status: int) -> None:
    backend, deliveries, recorder, _ = world()
    backend.create_webhook("acme", "bot", topic="shop/update", address=BOT)
    recorder.respond(BOT, status)
    assert [d.ok for d in deliveries.fire("acme", "shop/update").deliveries] == [True]
    assert deliveries.pending() == []


def test_only_restricts_an_event_to_the_accepted_subscriptions() -> None:
    backend, deliveries, recorder, _ = world()
    backend.create_webhook("acme", "bot", topic="shop/update", address=BOT)
    backend.create_webhook("acme", "bot", topic="shop/update", address="https://x.example/h")
    event = deliveries.fire("acme", "shop/update", only=lambda w: w.address == BOT)
    assert [str(r.url) for r in recorder.requests] == [BOT]
    assert [d.address for d in event.deliveries] == [BOT]
