"""Signed webhook delivery: firing a topic on a shop POSTs the event to every subscriber.

What Shopify documents (reference section 7) and the fake does:

- one delivery per subscription of the topic on the shop (every app), as ``POST {address}`` with
  a JSON body (XML for ``format: xml``), only ``include_fields`` when the subscription names
  some, and the header set of 7.1: ``X-Shopify-Topic``, ``X-Shopify-Hmac-Sha256``,
  ``X-Shopify-Shop-Domain``, ``X-Shopify-API-Version``, ``X-Shopify-Webhook-Id``,
  ``X-Shopify-Triggered-At``, ``X-Shopify-Event-Id``, ``X-Shopify-Name`` (named subscriptions);
- the signature is ``base64(HMAC-SHA256(app client secret, raw body))`` (7.2);
- success is any 2xx; anything else, a redirect or a transport error is a failure (7.3);
- a failed delivery is retried on the fake's clock, to the address the subscription had when
  the event fired, with the original payload; the schedule is unverified [U] and configurable;
- after ``remove_after`` consecutive failed attempts (default 8 [C]) Shopify removes the
  subscription; whether "consecutive" counts attempts or events is unverified [U], see
  :class:`RetryPolicy`.

Deliveries leave through a pluggable ``sender`` (``httpx.Request -> httpx.Response``); the
default refuses every delivery like an unreachable host, so nothing is ever sent to a network.
:class:`Recorder` is a sender that captures requests and answers per address.
``pubsub://`` and EventBridge addresses are recorded as delivered without HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from xml.sax.saxutils import escape

import httpx

from fake_shopify.clock import Clock
from fake_shopify.state import ShopifyBackend, Webhook

__all__ = [
    "DEFAULT_RETRY_DELAYS",
    "Deliveries",
    "Delivery",
    "Event",
    "Recorder",
    "RetryPolicy",
    "Sender",
    "sign",
    "unreachable",
    "verify",
]

Sender = Callable[[httpx.Request], httpx.Response]

# "a total of 8 times over 4 hours using an exponential backoff schedule" (changelog
# 2024-09-10); the exact delays are not published [U]: doubling from one minute, capped at two
# hours, is 8 retries over about 4.1 hours.
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (60, 120, 240, 480, 960, 1920, 3840, 7200)

USER_AGENT = "Shopify-Captain-Hook"
_NAMESPACE = uuid.UUID("6f0c5d52-2b1f-4d53-9f5e-6b1c8b7e4a10")


def sign(secret: str, body: bytes) -> str:
    """``X-Shopify-Hmac-Sha256`` for ``body``: base64 of HMAC-SHA256 keyed by the app secret."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """Constant-time check of a delivery's signature, as an app verifies it."""
    return hmac.compare_digest(sign(secret, body), signature)


def unreachable(request: httpx.Request) -> httpx.Response:
    """The default sender: every address is unreachable (nothing leaves the process)."""
    raise httpx.ConnectError(
        f"fake_shopify delivers nowhere by default: no sender accepts {request.url}; "
        "pass sender=Recorder() (or your own) to FakeShopify or fake.deliveries",
        request=request,
    )


@dataclass(frozen=True)
class RetryPolicy:
    """How failed deliveries are retried and when Shopify gives up on a subscription.

    ``delays``: seconds from a failed attempt to the next one (one entry per retry).
    ``remove_after``: consecutive failures after which the subscription is removed (0: never).
    ``count``: ``"attempt"`` counts every failed attempt, ``"event"`` counts events whose
    deliveries failed for good (all retries spent) [U].
    """

    delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS
    remove_after: int = 8
    count: Literal["attempt", "event"] = "attempt"


@dataclass
class Delivery:
    """One attempt to deliver one event to one subscription."""

    event_id: str
    webhook_id: int
    shop: str
    app: str
    topic: str
    address: str
    attempt: int  # 1 for the first, 2 for the first retry ...
    at: datetime
    request: httpx.Request | None  # None for pubsub / EventBridge addresses
    status: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether Shopify counts it as delivered (a 2xx, or a cloud address)."""
        if self.request is None:
            return True
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Event:
    """One fired event: a topic on a shop with its payload, and the deliveries it caused."""

    id: str
    shop: str
    topic: str
    payload: dict[str, Any]
    triggered_at: datetime
    deliveries: list[Delivery] = field(default_factory=list)


@dataclass
class _Pending:
    event: Event
    webhook_id: int
    app: str
    address: str
    body: bytes
    headers: dict[str, str]
    attempt: int
    due: datetime


class Recorder:
    """A sender that captures every delivery and answers per address prefix (default 200).

    ``recorder.respond("https://bot.example/", 500)`` makes deliveries to that prefix fail;
    ``recorder.requests`` holds every request received, ``recorder.to(prefix)`` those to one.
    """

    def __init__(self, *, status: int = 200) -> None:
        self.status = status
        self.requests: list[httpx.Request] = []
        self._rules: list[tuple[str, int | Callable[[httpx.Request], httpx.Response]]] = []

    def respond(self, prefix: str, answer: int | Callable[[httpx.Request], httpx.Response]) -> None:
        """Answer deliveries whose URL starts with ``prefix`` with a status (or a function)."""
        self._rules.insert(0, (prefix, answer))

    def to(self, prefix: str) -> list[httpx.Request]:
        """The captured requests whose URL starts with ``prefix``."""
        return [r for r in self.requests if str(r.url).startswith(prefix)]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for prefix, answer in self._rules:
            if str(request.url).startswith(prefix):
                if callable(answer):
                    return answer(request)
                return httpx.Response(answer, request=request)
        return httpx.Response(self.status, request=request)


class Deliveries:
    """Event delivery of one fake: fire events, retry on the clock, remove failing subscriptions.

    ``backend`` is a function returning the current state layer (the fake rebuilds it on reset).
    """

    def __init__(
        self,
        backend: Callable[[], ShopifyBackend],
        clock: Clock,
        *,
        sender: Sender | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self._backend = backend
        self.clock = clock
        self.sender: Sender = sender if sender is not None else unreachable
        self.policy = policy if policy is not None else RetryPolicy()
        self.events: list[Event] = []
        self.attempts: list[Delivery] = []
        self.removed: list[tuple[Webhook, datetime]] = []
        self._pending: list[_Pending] = []
        self._failures: dict[int, int] = {}
        self._ids = 0

    # -- ids ---------------------------------------------------------------------------------
    def _uuid(self, kind: str) -> str:
        # Deterministic per fake (no randomness), unique, and shaped like Shopify's UUIDs.
        self._ids += 1
        return str(uuid.uuid5(_NAMESPACE, f"{kind}:{self._ids}"))

    # -- firing ------------------------------------------------------------------------------
    def fire(
        self,
        shop: str,
        topic: str,
        payload: Mapping[str, Any] | None = None,
        *,
        only: Callable[[Webhook], bool] | None = None,
    ) -> Event:
        """Fire ``topic`` (REST spelling) on ``shop``: deliver to every subscription now.

        Due retries of earlier events run first, so the order of attempts follows the clock.
        ``only`` restricts the deliveries to the subscriptions it accepts: for observers that
        need what an event does at some addresses (the harness's probe in crowded shops).
        """
        self.run_due()
        backend = self._backend()
        the_shop = backend.shop(shop)
        now = self.clock.now()
        body_payload = dict(payload) if payload is not None else self._sample(topic, the_shop.id)
        event = Event(
            id=self._uuid("event"),
            shop=the_shop.handle,
            topic=topic,
            payload=body_payload,
            triggered_at=now,
        )
        self.events.append(event)
        triggered_at = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        for webhook in backend.topic_subscribers(the_shop.handle, topic):
            if only is not None and not only(webhook):
                continue
            app = backend.app(webhook.app)
            body, content_type = _render(body_payload, webhook)
            headers = {
                "Content-Type": content_type,
                "User-Agent": USER_AGENT,
                "X-Shopify-Topic": topic,
                "X-Shopify-Hmac-Sha256": sign(app.client_secret, body),
                "X-Shopify-Shop-Domain": the_shop.domain,
                "X-Shopify-API-Version": webhook.api_version,
                "X-Shopify-Webhook-Id": self._uuid("webhook"),
                "X-Shopify-Triggered-At": triggered_at,
                "X-Shopify-Event-Id": event.id,
                "X-Shopify-Test": "false",
            }
            if webhook.name:
                headers["X-Shopify-Name"] = webhook.name
            self._attempt(
                _Pending(event, webhook.id, webhook.app, webhook.address, body, headers, 1, now)
            )
        return event

    @staticmethod
    def _sample(topic: str, shop_id: int) -> dict[str, Any]:
        resource = topic.split("/", 1)[0].split(".", 1)[0]
        kind = "".join(part.capitalize() for part in resource.rstrip("s").split("_")) or "Shop"
        return {"id": shop_id, "admin_graphql_api_id": f"gid://shopify/{kind}/{shop_id}"}

    # -- retries -----------------------------------------------------------------------------
    def pending(self) -> list[tuple[int, str, datetime]]:
        """Scheduled retries: ``(webhook id, address, due time)`` in due order."""
        return [(p.webhook_id, p.address, p.due) for p in sorted(self._pending, key=_due)]

    def run_due(self) -> list[Delivery]:
        """Run every retry whose time has come on the clock; the attempts made, in order."""
        made: list[Delivery] = []
        now = self.clock.now()
        while True:
            due = [p for p in self._pending if p.due <= now]
            if not due:
                return made
            nxt = min(due, key=_due)
            self._pending.remove(nxt)
            if not self._alive(nxt):
                continue  # deleted meanwhile: Shopify has nothing left to retry for [I]
            made.append(self._attempt(nxt))

    def run_until_idle(self, *, max_seconds: float = 7 * 24 * 3600) -> list[Delivery]:
        """Advance the clock to each scheduled retry and run it, until none is left."""
        made: list[Delivery] = []
        deadline = self.clock.now() + timedelta(seconds=max_seconds)
        while self._pending:
            nxt = min(self._pending, key=_due)
            if nxt.due > deadline:
                break
            wait = (nxt.due - self.clock.now()).total_seconds()
            if wait > 0:
                self.clock.advance(wait)
            made.extend(self.run_due())
        return made

    def _alive(self, pending: _Pending) -> bool:
        # A lookup by id, not a scan of the shop's subscriptions (crowded shops).
        webhook = self._backend().webhook(pending.webhook_id)
        return webhook is not None and webhook.shop == pending.event.shop

    def _attempt(self, pending: _Pending) -> Delivery:
        backend = self._backend()
        alive = self._alive(pending)
        now = self.clock.now()
        request: httpx.Request | None = None
        if pending.address.startswith("https://"):
            request = httpx.Request(
                "POST", pending.address, headers=pending.headers, content=pending.body
            )
        delivery = Delivery(
            event_id=pending.event.id,
            webhook_id=pending.webhook_id,
            shop=pending.event.shop,
            app=pending.app,
            topic=pending.event.topic,
            address=pending.address,
            attempt=pending.attempt,
            at=now,
            request=request,
        )
        if request is not None:
            try:
                response = self.sender(request)
            except httpx.HTTPError as exc:
                delivery.error = f"{type(exc).__name__}: {exc}"
            else:
                delivery.status = response.status_code
        pending.event.deliveries.append(delivery)
        self.attempts.append(delivery)
        if delivery.ok:
            self._failures.pop(pending.webhook_id, None)
            return delivery
        retries_left = pending.attempt <= len(self.policy.delays)
        if self.policy.count == "attempt" or not retries_left:
            self._failures[pending.webhook_id] = self._failures.get(pending.webhook_id, 0) + 1
        if self._should_remove(pending.webhook_id) and alive:
            removed = backend.remove_webhook(pending.event.shop, pending.webhook_id)
            self.removed.append((removed, now))
            self._pending = [p for p in self._pending if p.webhook_id != pending.webhook_id]
            self._failures.pop(pending.webhook_id, None)
            return delivery
        if retries_left and alive:
            delay = self.policy.delays[pending.attempt - 1]
            self._pending.append(
                _Pending(
                    pending.event,
                    pending.webhook_id,
                    pending.app,
                    pending.address,  # the address when the event fired (changelog 2024-09)
                    pending.body,
                    pending.headers,
                    pending.attempt + 1,
                    now + timedelta(seconds=delay),
                )
            )
        return delivery

    def _should_remove(self, webhook_id: int) -> bool:
        limit = self.policy.remove_after
        return limit > 0 and self._failures.get(webhook_id, 0) >= limit

    def consecutive_failures(self, webhook_id: int) -> int:
        """Failures counted against a subscription since its last successful delivery."""
        return self._failures.get(webhook_id, 0)


def _due(pending: _Pending) -> tuple[datetime, int]:
    return (pending.due, pending.webhook_id)


def _render(payload: Mapping[str, Any], webhook: Webhook) -> tuple[bytes, str]:
    data = {k: v for k, v in payload.items() if k in webhook.fields} if webhook.fields else payload
    if webhook.format == "xml":
        root = webhook.topic.split("/", 1)[0].rstrip("s").replace("_", "-") or "object"
        return _xml(root, data).encode(), "application/xml"
    return json.dumps(data, separators=(",", ":")).encode(), "application/json"


def _xml(tag: str, value: Any) -> str:
    if isinstance(value, Mapping):
        inner = "".join(_xml(str(k).replace("_", "-"), v) for k, v in value.items())
        return f"<{tag}>{inner}</{tag}>"
    if isinstance(value, list):
        return f'<{tag} type="array">' + "".join(_xml("item", v) for v in value) + f"</{tag}>"
    if value is None:
        return f'<{tag} nil="true"/>'
    return f"<{tag}>{escape(str(value))}</{tag}>"
