"""The state layer: shops, apps, installations (tokens) and webhook subscriptions.

Plain Python objects and Shopify's rules, nothing else: no requests, status codes or JSON (the
wire layers render). Every rule violation raises a domain error from :mod:`fake_shopify.errors`
carrying field names and Shopify's messages, so the REST and GraphQL wire layers can render the
same failure in their own shapes.

Visibility is app-scoped, as on Shopify: an app sees and changes only the subscriptions it
created on a shop; another app's id is :class:`~fake_shopify.errors.NotFoundError`
(shopify.dev REST Webhook, "Considerations"). REST ids and GraphQL global ids share one per-fake
int64 counter; timestamps are whole seconds in UTC (renderers convert to the shop's offset).

API for wire layers (all arguments plain values; ``shop`` is a handle or :class:`Shop`,
``app`` a name or :class:`App`)::

    backend.create_webhook(shop, app, topic=, address=, format="json", fields=(), ...,
                           origin=Origin(...)) -> Webhook           # ValidationError
    backend.update_webhook(shop, app, webhook_id, address=..., fields=..., ...) -> Webhook
    backend.delete_webhook(shop, app, webhook_id) -> Webhook         # NotFoundError
    backend.get_webhook(shop, app, webhook_id) -> Webhook            # NotFoundError
    backend.list_webhooks(shop, app, topic=None, address=None, since_id=None, ...) -> list
    backend.count_webhooks(shop, app, topic=None, address=None) -> int
    backend.authenticate(shop, token) -> Installation                # AuthenticationError
"""

from __future__ import annotations

import hashlib
import heapq
import ipaddress
import re
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from fake_shopify import topics as topic_table
from fake_shopify.clock import Clock
from fake_shopify.errors import (
    AuthenticationError,
    FakeUsageError,
    NotFoundError,
    ValidationError,
)
from fake_shopify.versions import latest_stable

__all__ = [
    "DEFAULT_SCOPES",
    "SEED",
    "UNSET",
    "App",
    "Installation",
    "Mutations",
    "Origin",
    "Shop",
    "ShopifyBackend",
    "Snapshot",
    "Webhook",
    "invalid_topic_message",
]

DEFAULT_SCOPES: Final[frozenset[str]] = frozenset(
    {"read_orders", "write_orders", "read_products", "write_products", "read_customers"}
)
"""Scopes a new app gets unless told otherwise: enough for the common order/product topics."""

ID_START: Final = 1_000_000_000_001
"""First id of a fresh fake: large, as real Shopify ids are (they need int64)."""

Plan = Literal["basic", "plus"]
TopicUpdatePolicy = Literal["ignore", "reject"]
WEBHOOK_GID = "gid://shopify/WebhookSubscription/"

_HANDLE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_AUTHORITY = re.compile(r"://([^/?#]*)")  # urlsplit's netloc: up to the first / ? or #
_PUBSUB = re.compile(r"^pubsub://[^:/\s]+:[^:/\s]+$")
_ARN = re.compile(r"^arn:aws:events:[a-z0-9-]+::event-source/aws\.partner/shopify\.com/\S+$")
_SHOPIFY_DOMAINS = (
    "shopify.com",
    "myshopify.com",
    "shopify.io",
    "myshopify.io",
    "shopifycloud.com",
    "shopifysvc.com",
    "shopifycdn.com",
    "shop.app",
)
MAX_ADDRESS_BYTES: Final = 65_535


class _Unset:
    """Marker for "not given" in updates (``None`` is a meaningful value for ``filter``)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


@dataclass(frozen=True, slots=True)
class Origin:
    """Who created a resource: an app's token in a request, or the test's own seeding."""

    app: str | None = None
    token: str | None = None
    request_id: str | None = None
    kind: Literal["request", "seed"] = "request"
    api: Literal["rest", "graphql", "seed"] = "rest"


SEED: Final = Origin(kind="seed", api="seed")


@dataclass(slots=True)
class Shop:
    """A shop: ``{handle}.myshopify.com``, its plan (rate limits) and UTC offset (timestamps)."""

    id: int
    handle: str
    name: str
    plan: Plan
    utc_offset: timezone
    created_at: datetime
    email: str

    @property
    def domain(self) -> str:
        return f"{self.handle}.myshopify.com"

    def local_time(self, moment: datetime) -> str:
        """``moment`` as Shopify's REST renders it: ISO 8601 in the shop's offset, seconds."""
        return moment.astimezone(self.utc_offset).isoformat(timespec="seconds")


@dataclass(slots=True)
class App:
    """An app: OAuth client id and secret, the scopes it requests, its webhook API version."""

    id: int
    name: str
    client_id: str
    client_secret: str
    scopes: frozenset[str]
    api_version: str  # serialises its webhook payloads; inherited by every subscription


@dataclass(slots=True)
class Installation:
    """An app installed on a shop, with its current access token and the scopes granted."""

    id: int
    shop: Shop
    app: App
    access_token: str
    scopes: frozenset[str]
    revoked_tokens: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Webhook:
    """A webhook subscription, as both APIs see it (REST fields; GraphQL maps names)."""

    id: int
    shop: str  # handle
    app: str  # app name
    topic: str  # REST spelling
    address: str
    format: str
    fields: tuple[str, ...]
    metafield_namespaces: tuple[str, ...]
    private_metafield_namespaces: tuple[str, ...]
    metafield_identifiers: tuple[str, ...]
    api_version: str
    filter: str | None
    name: str | None
    created_at: datetime
    updated_at: datetime
    origin: Origin

    @property
    def gid(self) -> str:
        return f"{WEBHOOK_GID}{self.id}"


@dataclass(frozen=True)
class Snapshot:
    """What one app can see on one shop, normalised for comparison.

    ``resources``: dicts with ids replaced by symbols (``"webhook#1"``) and timestamps by
    ``"time"`` (or ``"time#1"`` ... in time order, ``timestamps="ordinal"``), sorted by content. ``symbols`` (ignored by ``==``)
    maps every spelling of every real id (``123``, ``"123"``, the GraphQL gid) to its symbol.
    """

    resources: tuple[dict[str, Any], ...]
    symbols: dict[object, str] = field(compare=False, default_factory=dict)


def invalid_topic_message(topic: str, scopes: Iterable[str]) -> str:
    """Shopify's 422 message for a topic the app may not subscribe to (shopify.dev Webhook)."""
    allowed = ", ".join(topic_table.allowed_topics(scopes))
    return (
        f"Invalid topic specified: {topic}. Does it exist? Is there a missing access scope? "
        f"Topics allowed: {allowed}"
    )


def _parse_offset(offset: str) -> timezone:
    m = _OFFSET.match(offset)
    if m is None:
        raise FakeUsageError(f"utc_offset must look like '-05:00', got {offset!r}")
    sign = -1 if m.group(1) == "-" else 1
    return timezone(sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3))))


def _hex32(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()[:32]


def _address_errors(address: str) -> list[str]:
    """Rails attribute messages for an invalid subscription address, empty if valid.

    Messages follow the GraphQL userErrors Shopify sends (``Address protocol http:// is not
    supported`` ...); the REST bodies were never captured [I], see docs/decisions.md.
    """
    if not address:
        return ["can't be blank"]
    if len(address.encode()) > MAX_ADDRESS_BYTES:
        return ["is too big (maximum is 64 KB)"]
    if address.startswith("arn:"):
        return [] if _ARN.match(address) else ["is invalid"]
    scheme, sep, _ = address.partition("://")
    if not sep:
        return ["is invalid"]
    scheme = scheme.lower()
    if scheme == "pubsub":
        if _PUBSUB.match(address):
            return []
        return [
            "protocol pubsub:// is not supported",
            "is not a valid GCP pub/sub format. Format should be pubsub://project:topic",
        ]
    if scheme != "https":
        return [f"protocol {scheme}:// is not supported"]
    try:
        host = _hostname(address)
    except ValueError:
        return ["is invalid"]
    if not host or " " in address:
        return ["is invalid"]
    if _internal_host(host):
        return ["cannot be a Shopify or an internal domain"]
    return []


def _hostname(address: str) -> str | None:
    """``urlsplit(address).hostname``, memoised by the address's authority part."""
    if "\t" in address or "\r" in address or "\n" in address:
        return urlsplit(address).hostname  # urlsplit drops these anywhere in the URL
    match = _AUTHORITY.search(address)
    assert match is not None  # the caller saw "://"
    return _authority_hostname(match.group(1))


@lru_cache(maxsize=4096)
def _authority_hostname(netloc: str) -> str | None:
    return urlsplit(f"https://{netloc}").hostname


@lru_cache(maxsize=4096)
def _internal_host(host: str) -> bool:
    # Cached: crowds of subscriptions share a few hosts, and ``ipaddress`` parsing is slow.
    host = host.lower().rstrip(".")
    # shopify.dev (older HTTPS page): localhost, any URL ending in "internal", Shopify domains.
    if host == "localhost" or host.endswith(".localhost") or host.endswith("internal"):
        return True
    if any(host == d or host.endswith("." + d) for d in _SHOPIFY_DOMAINS):
        return True
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved


def _strings(name: str, value: object, errors: dict[str, list[str]]) -> tuple[str, ...]:
    if value == ():
        return ()
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    errors.setdefault(name, []).append("is invalid")
    return ()


def _by_id_key(webhook: Webhook) -> int:
    return webhook.id


def _by_created_key(webhook: Webhook) -> tuple[datetime, int]:
    return (webhook.created_at, webhook.id)


def _insert(ordered: list[Webhook], webhook: Webhook, key: Callable[[Webhook], Any]) -> None:
    # New ids are the largest and new creation times the latest: appending is the usual case.
    if not ordered or key(ordered[-1]) < key(webhook):
        ordered.append(webhook)
    else:
        insort(ordered, webhook, key=key)


def _insert_by_id(ordered: list[Webhook], webhook: Webhook) -> None:
    if not ordered or ordered[-1].id < webhook.id:  # a new subscription: the largest id
        ordered.append(webhook)
    else:
        insort(ordered, webhook, key=_by_id_key)


def _remove(ordered: list[Webhook], webhook: Webhook, key: Callable[[Webhook], Any]) -> None:
    index = bisect_left(ordered, key(webhook), key=key)
    if index < len(ordered) and ordered[index] is webhook:
        del ordered[index]


class _Bucket:
    """One app's subscriptions on one shop, with the indexes the hot paths need.

    Every structure is kept in step by :class:`ShopifyBackend`'s create, update and discard, so
    seeding, duplicate checks and paginated listings never scan the whole bucket:

    - ``by_id``: id -> subscription, in id order (ids only grow, so insertion order is id order);
    - ``ordered``: the subscriptions sorted by id (positions for cursors, ``since_id``);
    - ``by_created``: sorted by ``(created_at, id)`` (GraphQL's default sort key);
    - ``by_topic`` / ``by_address``: per value, sorted by id;
    - ``keys``: ``(topic, address, format)`` -> how many hold it (the uniqueness rule);
    - ``names``: lower-cased ``name`` -> how many hold it (unique per app and shop).

    Counts rather than id sets: a crowd of 25,000 seeded subscriptions would otherwise be
    25,000 more objects for the garbage collector to walk.
    """

    __slots__ = ("by_address", "by_created", "by_id", "by_topic", "keys", "names", "ordered")

    def __init__(self) -> None:
        self.by_id: dict[int, Webhook] = {}
        self.ordered: list[Webhook] = []
        self.by_created: list[Webhook] = []
        self.by_topic: dict[str, list[Webhook]] = {}
        self.by_address: dict[str, list[Webhook]] = {}
        self.keys: dict[tuple[str, str, str], int] = {}
        self.names: dict[str, int] = {}

    def add(self, webhook: Webhook) -> None:
        self.by_id[webhook.id] = webhook
        _insert_by_id(self.ordered, webhook)
        _insert(self.by_created, webhook, _by_created_key)
        _insert_by_id(self.by_topic.setdefault(webhook.topic, []), webhook)
        self._index_mutable(webhook)

    def _index_mutable(self, webhook: Webhook) -> None:
        _insert_by_id(self.by_address.setdefault(webhook.address, []), webhook)
        key = (webhook.topic, webhook.address, webhook.format)
        self.keys[key] = self.keys.get(key, 0) + 1
        if webhook.name is not None:
            name = webhook.name.lower()
            self.names[name] = self.names.get(name, 0) + 1

    def _unindex_mutable(self, webhook: Webhook) -> None:
        _drop(self.by_address, webhook.address, webhook)
        key = (webhook.topic, webhook.address, webhook.format)
        _decrement(self.keys, key)
        if webhook.name is not None:
            _decrement(self.names, webhook.name.lower())

    def change(self, webhook: Webhook, changes: dict[str, Any]) -> None:
        """Apply ``changes`` (attribute -> value) to ``webhook`` and re-index it."""
        self._unindex_mutable(webhook)
        for attr, value in changes.items():
            setattr(webhook, attr, value)
        self._index_mutable(webhook)

    def remove(self, webhook: Webhook) -> None:
        del self.by_id[webhook.id]
        _remove(self.ordered, webhook, _by_id_key)
        _remove(self.by_created, webhook, _by_created_key)
        _drop(self.by_topic, webhook.topic, webhook)
        self._unindex_mutable(webhook)

    def duplicate(self, topic: str, address: str, format: str, skip: int | None) -> bool:
        """Whether another subscription than ``skip`` has this topic, address and format."""
        key = (topic, address, format)
        holders = self.keys.get(key, 0)
        skipped = self.by_id.get(skip) if skip is not None else None
        if skipped is not None and (skipped.topic, skipped.address, skipped.format) == key:
            holders -= 1
        return holders > 0

    def name_taken(self, name: str, skip: int | None) -> bool:
        """Whether another subscription than ``skip`` has this name (case-insensitively)."""
        lowered = name.lower()
        holders = self.names.get(lowered, 0)
        skipped = self.by_id.get(skip) if skip is not None else None
        if skipped is not None and skipped.name is not None and skipped.name.lower() == lowered:
            holders -= 1
        return holders > 0


def _decrement(counts: dict[Any, int], key: object) -> None:
    left = counts.get(key, 0) - 1
    if left > 0:
        counts[key] = left
    else:
        counts.pop(key, None)


def _scan(
    seq: Sequence[Webhook],
    start: int,
    stop: int,
    step: int,
    ok: Callable[[Webhook], bool] | None,
    want: int,
) -> list[Webhook]:
    """Up to ``want`` matches of ``ok`` walking ``seq`` from ``start`` towards ``stop``."""
    if ok is None:
        if step == 1:
            return list(seq[start : min(stop, start + want)])
        low = max(stop + 1, start + 1 - want)
        return list(reversed(seq[low : start + 1])) if start >= low else []
    found: list[Webhook] = []
    for index in range(start, stop, step):
        w = seq[index]
        if ok(w):
            found.append(w)
            if len(found) >= want:
                break
    return found


def _exists(
    seq: Sequence[Webhook], start: int, stop: int, step: int, ok: Callable[[Webhook], bool] | None
) -> bool:
    """Whether any item of ``seq`` from ``start`` towards ``stop`` matches ``ok``."""
    if ok is None:
        return (stop - start) * step > 0
    return any(ok(seq[index]) for index in range(start, stop, step))


def _drop(index: dict[str, list[Webhook]], value: str, webhook: Webhook) -> None:
    ordered = index.get(value)
    if ordered is None:
        return
    _remove(ordered, webhook, _by_id_key)
    if not ordered:
        del index[value]


_EMPTY_BUCKET: Final = _Bucket()


class Mutations:
    """The state's mutation journal: the id of every subscription created, changed or removed,
    in order (one entry per mutation, repeats kept).

    ``mark()`` is a position; ``since(mark)`` the ids touched after it. An observer that keeps
    a view of the subscriptions (the harness's world snapshot) updates only what changed instead
    of rereading every subscription after every request.
    """

    __slots__ = ("_ids",)

    def __init__(self) -> None:
        self._ids: list[int] = []

    def record(self, webhook_id: int) -> None:
        self._ids.append(webhook_id)

    def mark(self) -> int:
        """A position: ``since(mark)`` returns the ids touched after it."""
        return len(self._ids)

    def since(self, mark: int) -> list[int]:
        """The ids touched after ``mark``, in order (an id touched twice appears twice)."""
        return self._ids[mark:]

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        return f"<Mutations {len(self._ids)}>"


class ShopifyBackend:
    """All state of one fake Shopify. Build a new one rather than clearing an old one.

    ``topic_update``: what a REST update that changes ``topic`` does; Shopify does not document
    ``topic`` as updatable [U]: ``"ignore"`` (default) keeps the old topic silently, ``"reject"``
    answers 422 ``{"errors": {"topic": ["cannot be changed"]}}``.
    """

    def __init__(self, clock: Clock, *, topic_update: TopicUpdatePolicy = "ignore") -> None:
        self.clock = clock
        self.topic_update: TopicUpdatePolicy = topic_update
        self._next_id = ID_START
        self._secrets = 0
        self.shops: dict[str, Shop] = {}
        self.apps: dict[str, App] = {}
        self.installations: dict[tuple[str, str], Installation] = {}
        self._tokens: dict[str, Installation] = {}
        self._revoked: dict[str, Installation] = {}
        # (shop handle, app name) -> that app's subscriptions on the shop, indexed (_Bucket).
        self._webhooks: dict[tuple[str, str], _Bucket] = {}
        # Every subscription; ids only grow, so dict order is id order.
        self._by_id: dict[int, Webhook] = {}
        # Every create, update and removal of a subscription, by id (see Mutations).
        self.mutations = Mutations()

    # -- ids, time, secrets ---------------------------------------------------------------

    def next_id(self) -> int:
        """The next id of the per-fake sequence shared by every resource kind."""
        value = self._next_id
        self._next_id += 1
        return value

    def now(self) -> datetime:
        """The clock's instant at whole seconds (Shopify's timestamps have second precision)."""
        return self.clock.now().replace(microsecond=0)

    def _secret(self, prefix: str) -> str:
        # Deterministic per fake, unguessable-looking: tokens must not occur by accident in logs.
        self._secrets += 1
        return prefix + _hex32(f"fake_shopify:{prefix}:{self._secrets}")

    # -- shops, apps, installations ------------------------------------------------------

    def add_shop(
        self,
        handle: str,
        *,
        plan: Plan = "basic",
        utc_offset: str = "-05:00",
        name: str | None = None,
        email: str | None = None,
    ) -> Shop:
        """Create the shop ``{handle}.myshopify.com``."""
        handle = handle.removesuffix(".myshopify.com")
        if not _HANDLE.match(handle):
            raise FakeUsageError(f"invalid shop handle {handle!r}: letters, digits, '-' and '_'")
        if handle in self.shops:
            raise FakeUsageError(f"shop {handle!r} already exists")
        if plan not in ("basic", "plus"):
            raise FakeUsageError(f"plan must be 'basic' or 'plus', got {plan!r}")
        shop = Shop(
            id=self.next_id(),
            handle=handle,
            name=name if name is not None else handle.replace("-", " ").title(),
            plan=plan,
            utc_offset=_parse_offset(utc_offset),
            created_at=self.now(),
            email=email if email is not None else f"owner@{handle}.example",
        )
        self.shops[handle] = shop
        return shop

    def shop(self, shop: str | Shop) -> Shop:
        """The shop with this handle (or ``handle.myshopify.com`` domain)."""
        if isinstance(shop, Shop):
            return shop
        found = self.shops.get(shop.removesuffix(".myshopify.com"))
        if found is None:
            known = ", ".join(sorted(self.shops)) or "none"
            raise FakeUsageError(f"unknown shop {shop!r} (known: {known}); add_shop() it first")
        return found

    def add_app(
        self,
        name: str,
        *,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        client_id: str | None = None,
        client_secret: str | None = None,
        api_version: str | None = None,
    ) -> App:
        """Register an app; ``api_version`` (webhook payload version) defaults to the latest."""
        if name in self.apps:
            raise FakeUsageError(f"app {name!r} already exists")
        app = App(
            id=self.next_id(),
            name=name,
            client_id=client_id if client_id is not None else _hex32(f"client:{name}"),
            client_secret=client_secret if client_secret is not None else self._secret("shpss_"),
            scopes=frozenset(scopes),
            api_version=api_version if api_version is not None else latest_stable(self.now()),
        )
        self.apps[name] = app
        return app

    def app(self, app: str | App) -> App:
        """The app with this name."""
        if isinstance(app, App):
            return app
        found = self.apps.get(app)
        if found is None:
            known = ", ".join(sorted(self.apps)) or "none"
            raise FakeUsageError(f"unknown app {app!r} (known: {known}); add_app() it first")
        return found

    def install(
        self,
        shop: str | Shop,
        app: str | App,
        *,
        token: str | None = None,
        scopes: Iterable[str] | None = None,
    ) -> Installation:
        """Install ``app`` on ``shop``: an access token granting ``scopes`` (default: the app's)."""
        the_shop, the_app = self.shop(shop), self.app(app)
        key = (the_shop.handle, the_app.name)
        if key in self.installations:
            raise FakeUsageError(f"{the_app.name!r} is already installed on {the_shop.handle!r}")
        token = token if token is not None else self._secret("shpat_")
        if token in self._tokens or token in self._revoked:
            raise FakeUsageError("that access token is already in use")
        inst = Installation(
            id=self.next_id(),
            shop=the_shop,
            app=the_app,
            access_token=token,
            scopes=frozenset(scopes) if scopes is not None else the_app.scopes,
        )
        self.installations[key] = inst
        self._tokens[token] = inst
        return inst

    def installation(self, shop: str | Shop, app: str | App) -> Installation:
        """The installation of ``app`` on ``shop``."""
        the_shop, the_app = self.shop(shop), self.app(app)
        found = self.installations.get((the_shop.handle, the_app.name))
        if found is None:
            raise FakeUsageError(f"{the_app.name!r} is not installed on {the_shop.handle!r}")
        return found

    def rotate_token(self, shop: str | Shop, app: str | App, *, token: str | None = None) -> str:
        """Issue a new access token; the old one is revoked (401 from then on)."""
        inst = self.installation(shop, app)
        new = token if token is not None else self._secret("shpat_")
        if new in self._tokens or new in self._revoked:
            raise FakeUsageError("that access token is already in use")
        old = inst.access_token
        self._tokens.pop(old, None)
        self._revoked[old] = inst
        inst.revoked_tokens.append(old)
        inst.access_token = new
        self._tokens[new] = inst
        return new

    def revoke_token(self, token: str) -> None:
        """Revoke ``token`` without issuing a new one (the app is effectively uninstalled)."""
        inst = self._tokens.pop(token, None)
        if inst is None:
            raise FakeUsageError("unknown or already revoked access token")
        self._revoked[token] = inst
        inst.revoked_tokens.append(token)

    def installation_for_token(self, token: str) -> Installation | None:
        """The installation an active token belongs to (``None`` if unknown or revoked)."""
        return self._tokens.get(token)

    def authenticate(self, shop: str | Shop, token: str | None) -> Installation:
        """The installation that ``token`` authenticates on ``shop``.

        A missing, unknown or revoked token, or one issued for another shop, is Shopify's 401.
        """
        inst = self._tokens.get(token) if token else None
        if inst is None:
            raise AuthenticationError()
        handle = shop.handle if isinstance(shop, Shop) else shop
        if inst.shop.handle != handle:
            raise AuthenticationError()
        return inst

    # -- webhooks ----------------------------------------------------------------------------

    def _bucket(self, shop: str | Shop, app: str | App) -> tuple[tuple[str, str], App]:
        the_shop, the_app = self.shop(shop), self.app(app)
        return (the_shop.handle, the_app.name), the_app

    def _scopes(self, key: tuple[str, str], app: App) -> frozenset[str]:
        inst = self.installations.get(key)
        return inst.scopes if inst is not None else app.scopes

    def create_webhook(
        self,
        shop: str | Shop,
        app: str | App,
        *,
        topic: str,
        address: str,
        format: str = "json",
        fields: Sequence[str] = (),
        metafield_namespaces: Sequence[str] = (),
        private_metafield_namespaces: Sequence[str] = (),
        metafield_identifiers: Sequence[str] = (),
        filter: str | None = None,
        name: str | None = None,
        origin: Origin = SEED,
        created_at: datetime | None = None,
    ) -> Webhook:
        """Create a subscription for ``app`` on ``shop``.

        Raises :class:`ValidationError` with REST field names (``topic``, ``address``,
        ``format``, ``fields`` ..., ``name``): blank or unknown topic (the allowed list depends
        on the granted scopes), blank or invalid address, duplicate topic + address + format.
        """
        key, the_app = self._bucket(shop, app)
        errors: dict[str, list[str]] = {}
        topic = topic.strip() if isinstance(topic, str) else ""
        address = address.strip() if isinstance(address, str) else ""
        scopes = self._scopes(key, the_app)
        if not topic:
            errors["topic"] = [invalid_topic_message("", scopes), "can't be blank"]
        elif not topic_table.is_allowed(topic, scopes):
            errors["topic"] = [invalid_topic_message(topic, scopes)]
        address_errors = _address_errors(address)
        if address_errors:
            errors["address"] = address_errors
        if format not in ("json", "xml"):
            errors["format"] = ["is not included in the list"]
        lists = {
            "fields": _strings("fields", fields, errors),
            "metafield_namespaces": _strings("metafield_namespaces", metafield_namespaces, errors),
            "private_metafield_namespaces": _strings(
                "private_metafield_namespaces", private_metafield_namespaces, errors
            ),
            "metafield_identifiers": _strings(
                "metafield_identifiers", metafield_identifiers, errors
            ),
        }
        existing = self._webhooks.get(key, _EMPTY_BUCKET)
        self._check_name(name, existing, None, errors)
        if not errors and existing.duplicate(topic, address, format, None):
            errors["address"] = ["for this topic has already been taken"]
        if errors:
            raise ValidationError(errors)
        now = self.now()
        created = created_at.replace(microsecond=0) if created_at is not None else now
        webhook = Webhook(
            id=self.next_id(),
            shop=key[0],
            app=key[1],
            topic=topic,
            address=address,
            format=format,
            fields=lists["fields"],
            metafield_namespaces=lists["metafield_namespaces"],
            private_metafield_namespaces=lists["private_metafield_namespaces"],
            metafield_identifiers=lists["metafield_identifiers"],
            api_version=the_app.api_version,
            filter=filter,
            name=name,
            created_at=created,
            updated_at=created,
            origin=origin,
        )
        bucket = self._webhooks.get(key)
        if bucket is None:
            bucket = self._webhooks[key] = _Bucket()
        bucket.add(webhook)
        self._by_id[webhook.id] = webhook
        self.mutations.record(webhook.id)
        return webhook

    @staticmethod
    def _check_name(
        name: str | None,
        existing: _Bucket,
        skip: int | None,
        errors: dict[str, list[str]],
    ) -> None:
        if name is None:
            return
        messages: list[str] = []
        if not name:
            messages.append("is too short (minimum is 1 character)")
        elif len(name) > 50:
            messages.append("is too long (maximum is 50 characters)")
        if not _NAME.match(name):
            messages.append(
                "name field can only contain alphanumeric characters, underscores, and hyphens"
            )
        if not messages and existing.name_taken(name, skip):
            messages.append("already exists, no duplicate allowed")
        if messages:
            errors["name"] = messages

    def get_webhook(self, shop: str | Shop, app: str | App, webhook_id: int) -> Webhook:
        """The app's subscription ``webhook_id``; another app's or an unknown id is 404."""
        key, _ = self._bucket(shop, app)
        found = self._webhooks.get(key, _EMPTY_BUCKET).by_id.get(webhook_id)
        if found is None:
            raise NotFoundError()
        return found

    def update_webhook(
        self,
        shop: str | Shop,
        app: str | App,
        webhook_id: int,
        *,
        topic: str | _Unset = UNSET,
        address: str | _Unset = UNSET,
        format: str | _Unset = UNSET,
        fields: Sequence[str] | _Unset = UNSET,
        metafield_namespaces: Sequence[str] | _Unset = UNSET,
        private_metafield_namespaces: Sequence[str] | _Unset = UNSET,
        metafield_identifiers: Sequence[str] | _Unset = UNSET,
        filter: str | _Unset | None = UNSET,
        name: str | _Unset | None = UNSET,
    ) -> Webhook:
        """Change the given attributes; a failed update leaves the subscription unchanged."""
        key, _ = self._bucket(shop, app)
        webhook = self.get_webhook(shop, app, webhook_id)
        errors: dict[str, list[str]] = {}
        changes: dict[str, Any] = {}
        if (
            not isinstance(topic, _Unset)
            and topic != webhook.topic
            and self.topic_update == "reject"
        ):
            errors["topic"] = ["cannot be changed"]
        if not isinstance(address, _Unset):
            address = address.strip() if isinstance(address, str) else ""
            address_errors = _address_errors(address)
            if address_errors:
                errors["address"] = address_errors
            changes["address"] = address
        if not isinstance(format, _Unset):
            if format not in ("json", "xml"):
                errors["format"] = ["is not included in the list"]
            changes["format"] = format
        for list_name, value in (
            ("fields", fields),
            ("metafield_namespaces", metafield_namespaces),
            ("private_metafield_namespaces", private_metafield_namespaces),
            ("metafield_identifiers", metafield_identifiers),
        ):
            if not isinstance(value, _Unset):
                changes[list_name] = _strings(list_name, value, errors)
        if not isinstance(filter, _Unset):
            changes["filter"] = filter
        existing = self._webhooks.get(key, _EMPTY_BUCKET)
        if not isinstance(name, _Unset):
            self._check_name(name, existing, webhook.id, errors)
            changes["name"] = name
        # Unique per app and shop on topic + address + format: GraphQL captures show the same
        # topic and address with another format is accepted (https://shopify.dev/docs/api/admin-graphql/latest/mutations/webhookSubscriptionCreate).
        if not errors and existing.duplicate(
            webhook.topic,
            changes.get("address", webhook.address),
            changes.get("format", webhook.format),
            webhook.id,
        ):
            errors["address"] = ["for this topic has already been taken"]
        if errors:
            raise ValidationError(errors)
        existing.change(webhook, changes)
        webhook.updated_at = self.now()
        self.mutations.record(webhook.id)
        return webhook

    def delete_webhook(self, shop: str | Shop, app: str | App, webhook_id: int) -> Webhook:
        """Delete the app's subscription ``webhook_id`` (404 if not the app's)."""
        webhook = self.get_webhook(shop, app, webhook_id)
        self._discard(webhook)
        return webhook

    def _discard(self, webhook: Webhook) -> None:
        self._webhooks[(webhook.shop, webhook.app)].remove(webhook)
        del self._by_id[webhook.id]
        self.mutations.record(webhook.id)

    def remove_webhook(self, shop: str | Shop, webhook_id: int) -> Webhook:
        """Shopify itself removes a subscription (drift, delivery failures): no app check."""
        the_shop = self.shop(shop)
        webhook = self._by_id.get(webhook_id)
        if webhook is None or webhook.shop != the_shop.handle:
            raise FakeUsageError(f"no webhook {webhook_id} on shop {the_shop.handle!r}")
        self._discard(webhook)
        return webhook

    def list_webhooks(
        self,
        shop: str | Shop,
        app: str | App,
        *,
        topic: str | None = None,
        address: str | None = None,
        since_id: int | None = None,
        created_at_min: datetime | None = None,
        created_at_max: datetime | None = None,
        updated_at_min: datetime | None = None,
        updated_at_max: datetime | None = None,
    ) -> list[Webhook]:
        """The app's subscriptions on ``shop`` matching every given filter, ascending by id.

        ``*_min`` and ``*_max`` are inclusive bounds (the REST docs swap the ``updated_at``
        descriptions; the conventional meaning is implemented [I]).
        """
        seq, ok = self._candidates(
            shop,
            app,
            topic=topic,
            address=address,
            created_at_min=created_at_min,
            created_at_max=created_at_max,
            updated_at_min=updated_at_min,
            updated_at_max=updated_at_max,
        )
        begin = 0 if since_id is None else bisect_right(seq, since_id, key=_by_id_key)
        if ok is None:
            return seq[begin:]
        return [w for w in seq[begin:] if ok(w)]

    def page_webhooks(
        self,
        shop: str | Shop,
        app: str | App,
        *,
        limit: int,
        after: int | None = None,
        before: int | None = None,
        topic: str | None = None,
        address: str | None = None,
        since_id: int | None = None,
        created_at_min: datetime | None = None,
        created_at_max: datetime | None = None,
        updated_at_min: datetime | None = None,
        updated_at_max: datetime | None = None,
    ) -> tuple[list[Webhook], bool, bool]:
        """One page of :meth:`list_webhooks`: ``(page, has_previous, has_next)``.

        Without an anchor, the first ``limit`` matches; ``after=id``: the first ``limit``
        matches with a larger id; ``before=id``: the last ``limit`` matches with a smaller id.
        Found through the indexes: the cost is the page's, not the whole listing's.
        """
        seq, ok = self._candidates(
            shop,
            app,
            topic=topic,
            address=address,
            created_at_min=created_at_min,
            created_at_max=created_at_max,
            updated_at_min=updated_at_min,
            updated_at_max=updated_at_max,
        )
        floor = 0 if since_id is None else bisect_right(seq, since_id, key=_by_id_key)
        if before is not None:
            stop = max(bisect_left(seq, before, key=_by_id_key), floor)
            found = _scan(seq, stop - 1, floor - 1, -1, ok, limit + 1)
            found.reverse()
            has_prev = len(found) > limit
            page = found[-limit:] if limit else []
            return page, has_prev, _exists(seq, stop, len(seq), 1, ok)
        begin = floor
        if after is not None:
            begin = max(bisect_right(seq, after, key=_by_id_key), floor)
        found = _scan(seq, begin, len(seq), 1, ok, limit + 1)
        has_prev = after is not None and _exists(seq, begin - 1, floor - 1, -1, ok)
        return found[:limit], has_prev, len(found) > limit

    def _candidates(
        self,
        shop: str | Shop,
        app: str | App,
        *,
        topic: str | None,
        address: str | None,
        created_at_min: datetime | None,
        created_at_max: datetime | None,
        updated_at_min: datetime | None,
        updated_at_max: datetime | None,
    ) -> tuple[list[Webhook], Callable[[Webhook], bool] | None]:
        """The narrowest id-ordered index holding every match, and a test for the rest."""
        key, _ = self._bucket(shop, app)
        bucket = self._webhooks.get(key, _EMPTY_BUCKET)
        if address is not None:
            seq, address = bucket.by_address.get(address, []), None
        elif topic is not None:
            seq, topic = bucket.by_topic.get(topic, []), None
        else:
            seq = bucket.ordered
        if (
            topic is None
            and created_at_min is None
            and created_at_max is None
            and updated_at_min is None
            and updated_at_max is None
        ):
            return seq, None

        def ok(w: Webhook) -> bool:
            return not (
                (topic is not None and w.topic != topic)
                or (created_at_min is not None and w.created_at < created_at_min)
                or (created_at_max is not None and w.created_at > created_at_max)
                or (updated_at_min is not None and w.updated_at < updated_at_min)
                or (updated_at_max is not None and w.updated_at > updated_at_max)
            )

        return seq, ok

    def count_webhooks(
        self,
        shop: str | Shop,
        app: str | App,
        *,
        topic: str | None = None,
        address: str | None = None,
    ) -> int:
        """How many of the app's subscriptions on ``shop`` match ``topic`` and ``address``."""
        seq, ok = self._candidates(
            shop,
            app,
            topic=topic,
            address=address,
            created_at_min=None,
            created_at_max=None,
            updated_at_min=None,
            updated_at_max=None,
        )
        if ok is None:
            return len(seq)
        return sum(1 for w in seq if ok(w))

    def ordered_webhooks(
        self, shop: str | Shop, app: str | App, *, by: Literal["id", "created_at"]
    ) -> tuple[list[Webhook], Callable[[Webhook], Any]]:
        """The app's subscriptions on ``shop`` sorted by id or by ``(created_at, id)``, with
        the sort key (for ``bisect``). The list is the index itself: read it, never change it.
        """
        key, _ = self._bucket(shop, app)
        bucket = self._webhooks.get(key, _EMPTY_BUCKET)
        if by == "id":
            return bucket.ordered, _by_id_key
        return bucket.by_created, _by_created_key

    def webhook(self, webhook_id: int) -> Webhook | None:
        """Subscription ``webhook_id`` of any shop and app, or ``None``. No scoping."""
        return self._by_id.get(webhook_id)

    def webhooks(
        self, shop: str | Shop | None = None, app: str | App | None = None
    ) -> list[Webhook]:
        """Every subscription (optionally of one shop and/or app), ascending by id. No scoping."""
        handle = self.shop(shop).handle if shop is not None else None
        name = self.app(app).name if app is not None else None
        if handle is not None and name is not None:
            return list(self._webhooks.get((handle, name), _EMPTY_BUCKET).ordered)
        # ``_by_id`` is in id order already (ids only grow): no sort on every call.
        if handle is None and name is None:
            return list(self._by_id.values())
        return [
            w
            for w in self._by_id.values()
            if (handle is None or w.shop == handle) and (name is None or w.app == name)
        ]

    def topic_subscribers(self, shop: str | Shop, topic: str) -> list[Webhook]:
        """Every app's subscriptions to ``topic`` on ``shop``, ascending by id (no scoping).

        Read from the per-app topic indexes: firing an event in a shop crowded with other
        shops' and other topics' subscriptions costs what the event reaches.
        """
        handle = self.shop(shop).handle
        groups = [
            bucket.by_topic[topic]
            for (bucket_shop, _), bucket in self._webhooks.items()
            if bucket_shop == handle and topic in bucket.by_topic
        ]
        if len(groups) == 1:
            return list(groups[0])
        return list(heapq.merge(*groups, key=_by_id_key))

    def uninstall(self, shop: str | Shop, app: str | App) -> None:
        """Uninstall ``app``: its token is revoked and its subscriptions on ``shop`` vanish."""
        inst = self.installation(shop, app)
        self.revoke_token(inst.access_token)
        bucket = self._webhooks.get((inst.shop.handle, inst.app.name), _EMPTY_BUCKET)
        for webhook in list(bucket.by_id.values()):
            self._discard(webhook)
        del self.installations[(inst.shop.handle, inst.app.name)]

    # -- inspection ----------------------------------------------------------------------------

    def snapshot(
        self,
        shop: str | Shop,
        app: str | App,
        *,
        timestamps: Literal["erase", "ordinal"] = "erase",
    ) -> Snapshot:
        """What ``app`` can see on ``shop``, with ids and timestamps as stable symbols.

        ``timestamps="erase"`` (default) writes every timestamp as ``"time"``, so a no-op update
        (which bumps ``updated_at``) or a re-creation leaves the snapshot equal: comparing worlds
        is about content. ``"ordinal"`` numbers distinct instants ``time#1``, ``time#2`` ... in
        time order, for comparisons that care when things changed.
        """
        key, _ = self._bucket(shop, app)
        webhooks = list(self._webhooks.get(key, _EMPTY_BUCKET).by_id.values())
        times = sorted({t for w in webhooks for t in (w.created_at, w.updated_at)})
        if timestamps == "erase":
            time_symbol = dict.fromkeys(times, "time")
        else:
            time_symbol = {t: f"time#{i}" for i, t in enumerate(times, 1)}
        content = sorted(
            (
                (
                    (
                        w.topic,
                        w.address,
                        w.format,
                        w.fields,
                        w.metafield_namespaces,
                        w.private_metafield_namespaces,
                        w.metafield_identifiers,
                        w.api_version,
                        w.filter or "",
                        w.name or "",
                        time_symbol[w.created_at],
                        time_symbol[w.updated_at],
                        w.id,
                    ),
                    w,
                )
                for w in webhooks
            ),
            key=lambda pair: pair[0],
        )
        resources: list[dict[str, Any]] = []
        symbols: dict[object, str] = {}
        for index, (_, w) in enumerate(content, 1):
            symbol = f"webhook#{index}"
            for spelling in (w.id, str(w.id), w.gid):
                symbols[spelling] = symbol
            resources.append(
                {
                    "kind": "webhook",
                    "id": symbol,
                    "topic": w.topic,
                    "address": w.address,
                    "format": w.format,
                    "fields": list(w.fields),
                    "metafield_namespaces": list(w.metafield_namespaces),
                    "private_metafield_namespaces": list(w.private_metafield_namespaces),
                    "metafield_identifiers": list(w.metafield_identifiers),
                    "api_version": w.api_version,
                    "filter": w.filter,
                    "name": w.name,
                    "created_at": time_symbol[w.created_at],
                    "updated_at": time_symbol[w.updated_at],
                }
            )
        return Snapshot(resources=tuple(resources), symbols=symbols)
