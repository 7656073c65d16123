"""Shopify events in the simulation: capture deliveries, probe them, and the failing-delivery drift.

The fake delivers signed events through a sender (``fake_shopify.delivery``); the harness gives
it a :class:`DeliveryCapture`, so every delivery to a bot's ``webhook_url`` is recorded and
answered 200 unless a drift makes that address fail.

``exactly_once`` needs to know what one event does: after each step the
simulator *probes* every bot (:func:`probe_events`): it fires each topic of interest once on the
bot's current shop and counts the deliveries that reach the bot's ``webhook_url``. The counts go
into the step record; the property judges them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import httpx

from fake_shopify import FakeShopify, Recorder, Webhook

__all__ = [
    "BotEvents",
    "DeliveryCapture",
    "fail_until_removed",
    "probe_events",
    "under",
]


def under(address: str, webhook_url: str) -> bool:
    """Whether a subscription address belongs to ``webhook_url`` (the URL itself, a sub-path
    or the URL with a query), as the simulator attributes subscriptions to bots."""
    return address == webhook_url or address.startswith((webhook_url + "/", webhook_url + "?"))


class DeliveryCapture(Recorder):
    """The fake's delivery sender in a simulation: records every delivery, answers 200.

    ``failing`` holds address prefixes whose deliveries are answered 503 (a bot endpoint that is
    down), for the ``delivery_failures`` drift.
    """

    def __init__(self) -> None:
        super().__init__(status=200)
        self.failing: set[str] = set()
        # Event id -> (URL, request) of its deliveries: the probe asks about one event at a
        # time, and a scan of every capture so far would grow with the run.
        self._by_event: dict[str | None, list[tuple[str, httpx.Request]]] = {}
        self._answers: dict[int, httpx.Response] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        event_id = request.headers.get("X-Shopify-Event-Id")
        self._by_event.setdefault(event_id, []).append((url, request))
        if any(url.startswith(prefix) for prefix in self.failing):
            self.requests.append(request)
            return self._answer(503)
        if self._rules:
            return super().__call__(request)
        self.requests.append(request)
        return self._answer(self.status)

    def _answer(self, status: int) -> httpx.Response:
        # The fake reads only the status of a delivery's answer: one response per status,
        # built once, instead of a new one per delivery (the probe makes several per step).
        response = self._answers.get(status)
        if response is None:
            response = self._answers[status] = httpx.Response(status)
        return response

    def delivered_to(self, webhook_url: str, *, event_id: str | None = None) -> list[httpx.Request]:
        """Requests that reached ``webhook_url`` (optionally: of one event)."""
        if event_id is not None:
            return [r for url, r in self._by_event.get(event_id, ()) if under(url, webhook_url)]
        return [r for r in self.requests if under(str(r.url), webhook_url)]


@dataclass(frozen=True)
class BotEvents:
    """What one event per topic did for one bot: ``counts`` of deliveries to its webhook_url."""

    shop: str
    counts: tuple[tuple[str, int], ...] = ()  # (topic, deliveries), sorted by topic

    def count(self, topic: str) -> int:
        return dict(self.counts).get(topic, 0)

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(topic for topic, _ in self.counts)


def probe_events(
    fake: FakeShopify,
    capture: DeliveryCapture,
    bots: Mapping[str, tuple[str, str]],
    topics: Callable[[str], Iterable[str]],
) -> dict[str, BotEvents]:
    """Fire each topic of interest once per bot and count the deliveries reaching the bot.

    ``bots`` maps a bot name to ``(shop handle, webhook_url)``; ``topics(bot)`` names the topics
    to probe for it (what it subscribes to, what it ever subscribed to). A topic is fired once
    per shop even when several bots share the shop. Deliveries are real (signed, with Shopify's
    headers, through ``capture``) but made only to the probed bots' addresses.
    """
    fired: dict[tuple[str, str], str] = {}  # (shop, topic) -> event id
    wanted: dict[str, list[str]] = {}
    urls: dict[str, list[str]] = {}
    for shop, webhook_url in bots.values():
        urls.setdefault(shop, []).append(webhook_url)

    def observed(webhook: Webhook) -> bool:
        # Only the probed bots' deliveries are counted; crowds of other subscribers on the
        # shop need not be signed and sent for that.
        return any(under(webhook.address, url) for url in urls[webhook.shop])

    for bot, (shop, _) in bots.items():
        wanted[bot] = sorted(set(topics(bot)))
        for topic in wanted[bot]:
            if (shop, topic) not in fired:
                fired[(shop, topic)] = fake.deliveries.fire(shop, topic, only=observed).id
    out: dict[str, BotEvents] = {}
    for bot, (shop, webhook_url) in bots.items():
        counts = tuple(
            (
                topic,
                len(capture.delivered_to(webhook_url, event_id=fired[(shop, topic)])),
            )
            for topic in wanted[bot]
        )
        out[bot] = BotEvents(shop=shop, counts=counts)
    return out


def fail_until_removed(fake: FakeShopify, capture: DeliveryCapture, webhook: Webhook) -> int:
    """Shopify removes ``webhook`` after repeated failed deliveries (the ``delivery_failures``
    drift): its endpoint fails while events of its topic fire, until Shopify gives up.

    Each event fails once and schedules retries; the failures count toward the fake's
    ``RetryPolicy.remove_after`` without moving the clock. Returns how many events it took.
    Other subscriptions of the topic receive those events normally.
    """
    policy = fake.deliveries.policy
    if policy.remove_after <= 0:
        raise ValueError("the fake never removes subscriptions (RetryPolicy.remove_after <= 0)")
    capture.failing.add(webhook.address)
    events = 0
    try:
        while fake.backend.webhook(webhook.id) is not None:
            if events >= policy.remove_after * (len(policy.delays) + 1):
                raise RuntimeError(f"Shopify never removed subscription {webhook.id}")
            fake.fire(webhook.shop, webhook.topic)
            events += 1
            if policy.count == "event":
                # Only events whose retries are all spent count: run them (moves the clock).
                fake.deliveries.run_until_idle()
    finally:
        capture.failing.discard(webhook.address)
    return events


def exactly_once_findings(
    operation: str,
    events: BotEvents,
    *,
    subscribed: Iterable[str],
    expected: Iterable[str],
    webhook_url: str,
) -> list[str]:
    """What breaks ``exactly_once`` in one probe, as messages (empty: the property holds).

    After a successful fault-free ``register`` every topic the bot subscribes to (``subscribed``:
    its subscriptions now; ``expected``: what one fault-free register reaches from the initial
    world) must reach ``webhook_url`` exactly once per event; after a successful ``unregister``
    no event may reach it at all.
    """
    if operation == "unregister":
        wrong = [(topic, count) for topic, count in events.counts if count]
        if not wrong:
            return []
        return [
            f"after unregister, Shopify events still reach {webhook_url} (shop {events.shop}): "
            + ", ".join(f"one {topic} event {_times(count)}" for topic, count in wrong)
        ]
    wanted = set(subscribed) | set(expected)
    wrong = [(topic, count) for topic, count in events.counts if topic in wanted and count != 1]
    if not wrong:
        return []
    # One message per bot and step: one bug, one report, with every topic it affects.
    return [
        f"after register, Shopify events do not reach {webhook_url} exactly once "
        f"(shop {events.shop}): "
        + ", ".join(f"one {topic} event arrived {_times(count)}" for topic, count in wrong)
    ]


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"
