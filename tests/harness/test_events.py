"""Delivery capture, event probes and the failing-delivery drift (harness side of issue 6)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fake_shopify import FakeShopify, ManualClock, RetryPolicy
from fake_shopify.delivery import verify
from harness.runtime.events import DeliveryCapture, fail_until_removed, probe_events, under

START = datetime(2026, 5, 7, 12, 0, tzinfo=UTC)
URL1 = "https://webhook.botpress.cloud/bot1"
URL2 = "https://webhook.botpress.cloud/bot2"


def fake_with(policy: RetryPolicy | None = None) -> tuple[FakeShopify, DeliveryCapture]:
    capture = DeliveryCapture()
    fake = FakeShopify(clock=ManualClock(START), delivery_sender=capture, retry_policy=policy)
    fake.add_shop("acme")
    fake.add_app("bot")
    fake.install("acme", "bot")
    return fake, capture


def test_under_matches_the_url_its_paths_and_queries_only() -> None:
    assert under(URL1, URL1)
    assert under(URL1 + "/orders", URL1)
    assert under(URL1 + "?v=2", URL1)
    assert not under(URL1 + "0", URL1)
    assert not under(URL2, URL1)


def test_probe_counts_deliveries_per_bot_and_topic() -> None:
    fake, capture = fake_with()
    fake.add_webhook("acme", "bot", topic="orders/create", address=URL1)
    fake.add_webhook("acme", "bot", topic="orders/create", address=URL1 + "?v=2")
    fake.add_webhook("acme", "bot", topic="orders/paid", address=URL1)
    fake.add_webhook("acme", "bot", topic="orders/create", address=URL2)
    fake.add_webhook("acme", "bot", topic="orders/create", address="https://bystander.example/h")
    topics = {
        "bot1": ["orders/create", "orders/paid", "products/update"],
        "bot2": ["orders/create"],
    }
    events = probe_events(
        fake,
        capture,
        {"bot1": ("acme", URL1), "bot2": ("acme", URL2)},
        lambda bot: topics[bot],
    )
    assert events["bot1"].counts == (
        ("orders/create", 2),
        ("orders/paid", 1),
        ("products/update", 0),
    )
    assert events["bot2"].count("orders/create") == 1
    # One event per shop and topic, shared by both bots: 3 events, 4 deliveries; a bystander
    # subscriber on the shop is not delivered to by the probe.
    assert len(fake.deliveries.events) == 3
    assert len(capture.requests) == 4
    assert capture.delivered_to("https://bystander.example/h") == []
    secret = fake.backend.app("bot").client_secret
    assert all(
        verify(secret, r.content, r.headers["X-Shopify-Hmac-Sha256"]) for r in capture.requests
    )


def test_fail_until_removed_removes_only_the_victim_without_moving_the_clock() -> None:
    fake, capture = fake_with()
    victim = fake.add_webhook("acme", "bot", topic="orders/create", address=URL1)
    other = fake.add_webhook("acme", "bot", topic="orders/create", address=URL2)
    events = fail_until_removed(fake, capture, victim)
    assert events == 8
    assert [w.id for w in fake.webhooks()] == [other.id]
    assert fake.clock.now() == START
    assert capture.failing == set()
    assert len(capture.delivered_to(URL2)) == 8
    assert all(d.ok for d in fake.deliveries.attempts if d.webhook_id == other.id)


def test_fail_until_removed_with_event_counting_runs_retries_on_the_clock() -> None:
    fake, capture = fake_with(RetryPolicy(delays=(60, 120), remove_after=2, count="event"))
    victim = fake.add_webhook("acme", "bot", topic="shop/update", address=URL1)
    assert fail_until_removed(fake, capture, victim) == 2
    assert fake.webhooks() == []
    assert (fake.clock.now() - START).total_seconds() == 2 * (60 + 120)


def test_fail_until_removed_refuses_a_fake_that_never_removes() -> None:
    fake, capture = fake_with(RetryPolicy(remove_after=0))
    victim = fake.add_webhook("acme", "bot", topic="shop/update", address=URL1)
    with pytest.raises(ValueError, match="never removes"):
        fail_until_removed(fake, capture, victim)


def test_exactly_once_findings_after_register_and_unregister() -> None:
    from harness.runtime.events import BotEvents, exactly_once_findings

    twice = BotEvents(
        shop="acme", counts=(("orders/create", 2), ("orders/paid", 1), ("shop/update", 3))
    )
    assert exactly_once_findings(
        "register",
        twice,
        subscribed=["orders/create", "orders/paid", "shop/update"],
        expected=[],
        webhook_url=URL1,
    ) == [
        f"after register, Shopify events do not reach {URL1} exactly once (shop acme): "
        "one orders/create event arrived 2 times, one shop/update event arrived 3 times"
    ]
    missing = BotEvents(shop="acme", counts=(("orders/create", 0), ("products/update", 0)))
    assert exactly_once_findings(
        "register", missing, subscribed=[], expected=["orders/create"], webhook_url=URL1
    ) == [
        f"after register, Shopify events do not reach {URL1} exactly once (shop acme): "
        "one orders/create event arrived 0 times"
    ]
    assert (
        exactly_once_findings(
            "unregister", missing, subscribed=[], expected=["orders/create"], webhook_url=URL1
        )
        == []
    )
    leftover = BotEvents(shop="acme", counts=(("orders/create", 1), ("orders/paid", 2)))
    assert exactly_once_findings(
        "unregister", leftover, subscribed=[], expected=[], webhook_url=URL1
    ) == [
        f"after unregister, Shopify events still reach {URL1} (shop acme): "
        "one orders/create event once, one orders/paid event 2 times"
    ]


def test_delivered_to_one_event_is_what_a_scan_of_every_capture_finds() -> None:
    """The capture indexes deliveries by event id; the answer is the scan's, failures included."""
    fake, capture = fake_with()
    fake.add_webhook("acme", "bot", topic="orders/create", address=URL1)
    fake.add_webhook("acme", "bot", topic="orders/create", address=URL1 + "/sub")
    fake.add_webhook("acme", "bot", topic="orders/create", address=URL2)
    capture.failing.add(URL2)  # answered 503, still captured
    events = [fake.fire("acme", "orders/create").id for _ in range(3)]
    assert len(capture.requests) == 9
    for event_id in [*events, "no-such-event"]:
        for url in (URL1, URL2, "https://webhook.botpress.cloud/bot"):
            scanned = [
                r
                for r in capture.requests
                if under(str(r.url), url) and r.headers.get("X-Shopify-Event-Id") == event_id
            ]
            assert capture.delivered_to(url, event_id=event_id) == scanned
    assert len(capture.delivered_to(URL1, event_id=events[1])) == 2
    assert len(capture.delivered_to(URL2)) == 3
