"""``FakeShopify``: the front object: seeding, inspection, and the transport-agnostic core.

``handle(httpx.Request) -> httpx.Response`` serves every request; the transports
(:mod:`fake_shopify.transports`) are thin adapters over it. The order of checks for one
request: host and shop, route, faults, version, Accept, token (401), rate limit (429), scope
(403), then the wire handler, whose domain errors are rendered in Shopify's shapes.
"""

from __future__ import annotations

import json
import json.encoder
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Literal

import httpx

from fake_shopify._headers import HeaderTriple, find_two, new_response, triple
from fake_shopify.bodies import DEFAULT_BODY_LIMITS, BodyLimits
from fake_shopify.clock import Clock, ManualClock
from fake_shopify.delivery import Deliveries, Delivery, Event, RetryPolicy, Sender
from fake_shopify.errors import (
    AuthenticationError,
    FakeUsageError,
    ForbiddenError,
    MethodNotAllowedError,
    NotAcceptableError,
    NotImplementedByFakeError,
    ShopifyError,
    ThrottledError,
    UnservedRequestError,
)
from fake_shopify.faults import (
    FaultPlan,
    HttpError,
    Latency,
    LostResponse,
    Raise,
    TransportError,
    tag_fault,
)
from fake_shopify.graphql.engine import GraphQLEngine, GraphQLOptions
from fake_shopify.journal import Exchange, Journal
from fake_shopify.ratelimit import PLAN_LIMITS, RateLimiter
from fake_shopify.rest import HANDLERS, Call, Reply, header
from fake_shopify.routes import RouteCache, RouteMatch
from fake_shopify.state import (
    DEFAULT_SCOPES,
    SEED,
    App,
    Installation,
    Plan,
    Shop,
    ShopifyBackend,
    Snapshot,
    TopicUpdatePolicy,
    Webhook,
)
from fake_shopify.versions import (
    MalformedVersionPolicy,
    latest_stable,
    release_candidate,
    release_instant,
    resolve_version,
    supported_versions,
)

__all__ = ["FakeShopify"]

_SHOP_SUFFIX = ".myshopify.com"
_TOKEN_HEADER = b"x-shopify-access-token"
_JSON = b"application/json; charset=utf-8"
_CONTENT_TYPE = triple(b"Content-Type", _JSON)
_REQUEST_ID_PREFIX = "5f0c1a2e-7b3d-4c9e-a1b2-"
_NOT_FOUND = {"errors": "Not Found"}
_EMPTY_BUCKET_HEADER = {plan: f"0/{limits.rest_size}" for plan, limits in PLAN_LIMITS.items()}


def _no_default(value: object) -> object:
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _make_dumps() -> Callable[[object], bytes]:
    """Compact JSON bytes. One C encoder for the fake's life when CPython offers it:
    ``json.dumps`` builds a new one per call, which is most of the cost of a small body."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - other Pythons
        encoder = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
        return lambda value: encoder.encode(value).encode()
    # allow_nan=False: NaN or Infinity in an answer would not be JSON; request bodies cannot
    # bring them in (fake_shopify.bodies), so one showing up here is a bug to raise on.
    iterencode = make(
        None, _no_default, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, False
    )
    return lambda value: "".join(iterencode(value, 0)).encode()


_dumps = _make_dumps()


_TRANSPORT_ERRORS: dict[str, type[httpx.TransportError]] = {
    "connect_error": httpx.ConnectError,
    "connect_timeout": httpx.ConnectTimeout,
    "read_timeout": httpx.ReadTimeout,
    "remote_protocol_error": httpx.RemoteProtocolError,
}

# Shopify's bodies per status (https://shopify.dev/docs/api/usage/response-codes); 5xx bodies other than 500 are
# unverified [U] and use the reason phrase.
_STATUS_BODIES: dict[int, object] = {
    401: {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"},
    402: {"errors": "This shop's plan does not have access to this feature"},
    403: {"errors": "User does not have access"},
    404: {"errors": "Not Found"},
    423: {"errors": "This shop is unavailable"},
    429: {
        "errors": "Exceeded 2 calls per second for api client. "
        "Reduce request rates to resume uninterrupted service."
    },
    500: {"errors": "An unexpected error occurred"},
}


class _VersionWindow:
    """Version resolution for one quarter (between two release instants), memoised."""

    __slots__ = ("_cache", "end", "latest", "malformed", "moment", "oldest", "start")

    def __init__(self, moment: datetime, malformed: MalformedVersionPolicy) -> None:
        self.moment = moment
        self.malformed: MalformedVersionPolicy = malformed
        self.latest = latest_stable(moment)
        self.oldest = supported_versions(moment)[0]
        self.start = release_instant(self.latest).timestamp()
        self.end = release_instant(release_candidate(moment)).timestamp()
        self._cache: dict[str, str | None] = {}

    def resolve(self, requested: str) -> str | None:
        """The served version for ``requested``; ``None`` means 404."""
        try:
            return self._cache[requested]
        except KeyError:
            resolved = resolve_version(requested, self.moment, malformed=self.malformed)
            served = resolved.served if resolved is not None else None
            if len(self._cache) < 256:  # garbage versions must not grow the cache unbounded
                self._cache[requested] = served
            return served


def _status_body(status: int) -> object:
    body = _STATUS_BODIES.get(status)
    if body is not None:
        return body
    return {"errors": httpx.codes.get_reason_phrase(status) or "Error"}


def _seconds(value: float) -> str:
    return f"{float(value):.1f}"


def _accepts_json(accept: str) -> bool:
    accept = accept.lower()
    return "json" in accept or "*/*" in accept or "application/*" in accept or not accept.strip()


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout")
    if isinstance(timeout, dict):
        read = timeout.get("read")
        if isinstance(read, (int, float)):
            return float(read)
    return None


class FakeShopify:
    """An in-process, stateful fake of the Shopify Admin API.

    One instance is one Shopify: shops, apps, tokens and subscriptions, read against one clock.
    Build a fresh one per test (there is no global fake).
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        journal_limit: int | None = None,
        malformed_version: MalformedVersionPolicy = "not_found",
        topic_update: TopicUpdatePolicy = "ignore",
        rate_limits: bool = True,
        delivery_sender: Sender | None = None,
        retry_policy: RetryPolicy | None = None,
        graphql_options: GraphQLOptions | None = None,
        body_limits: BodyLimits | None = None,
    ) -> None:
        self.clock: Clock = clock if clock is not None else ManualClock()
        # Event delivery (issue 6): where deliveries go (default: nowhere, every attempt fails
        # as an unreachable host) and how failures are retried; see fake_shopify.delivery.
        self.delivery_sender = delivery_sender
        self.retry_policy = retry_policy
        self.graphql_options = graphql_options
        # Bounds on JSON request bodies (nesting, integer length): see fake_shopify.bodies.
        self.body_limits = body_limits if body_limits is not None else DEFAULT_BODY_LIMITS
        self.journal_limit = journal_limit
        self.malformed_version: MalformedVersionPolicy = malformed_version
        self.topic_update: TopicUpdatePolicy = topic_update
        self.rate_limits = rate_limits
        self._active_interceptor: Any = None
        self._lock = threading.RLock()
        self._build()

    def _build(self) -> None:
        self.backend = ShopifyBackend(self.clock, topic_update=self.topic_update)
        self.limiter = RateLimiter(enabled=self.rate_limits)
        self.faults = FaultPlan()
        self.journal = Journal(limit=self.journal_limit)
        self._requests = 0
        self._required_scopes: dict[str, str] = {}
        self._version_window: _VersionWindow | None = None
        self._routes = RouteCache()
        self.graphql = GraphQLEngine(options=self.graphql_options, body_limits=self.body_limits)
        self.deliveries = Deliveries(
            lambda: self.backend,
            self.clock,
            sender=self.delivery_sender,
            policy=self.retry_policy,
        )

    def reset(self) -> None:
        """Forget everything (new backend, buckets, faults, journal); keep options and clock."""
        self._build()

    # -- seeding -------------------------------------------------------------------------------

    def add_shop(
        self,
        handle: str,
        *,
        plan: Plan = "basic",
        utc_offset: str = "-05:00",
        name: str | None = None,
        email: str | None = None,
    ) -> Shop:
        """Create the shop ``{handle}.myshopify.com`` (``plan="plus"`` raises rate limits)."""
        return self.backend.add_shop(
            handle, plan=plan, utc_offset=utc_offset, name=name, email=email
        )

    def add_app(
        self,
        name: str,
        *,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        client_id: str | None = None,
        client_secret: str | None = None,
        api_version: str | None = None,
    ) -> App:
        """Register an app with its OAuth client id, secret and requested scopes.

        ``api_version`` is the webhook API version its subscriptions inherit (default: the
        latest stable version at the clock's time).
        """
        return self.backend.add_app(
            name,
            scopes=scopes,
            client_id=client_id,
            client_secret=client_secret,
            api_version=api_version,
        )

    def install(
        self,
        shop: str | Shop,
        app: str | App,
        *,
        token: str | None = None,
        scopes: Iterable[str] | None = None,
    ) -> Installation:
        """Install ``app`` on ``shop``; ``.access_token`` authenticates its requests."""
        return self.backend.install(shop, app, token=token, scopes=scopes)

    def rotate_token(self, shop: str | Shop, app: str | App) -> str:
        """A new access token for the installation; the old one answers 401 from now on."""
        return self.backend.rotate_token(shop, app)

    def revoke_token(self, token: str) -> None:
        """Revoke ``token`` (401 from now on) without issuing a new one."""
        self.backend.revoke_token(token)

    def add_webhook(
        self,
        shop: str | Shop,
        app: str | App,
        *,
        topic: str,
        address: str,
        created_at: datetime | None = None,
        **fields: Any,
    ) -> Webhook:
        """Put a subscription in place directly (origin: seed). Validated as a create is."""
        return self.backend.create_webhook(
            shop, app, topic=topic, address=address, origin=SEED, created_at=created_at, **fields
        )

    def remove_webhook(self, shop: str | Shop, webhook_id: int) -> None:
        """Shopify removes a subscription on its own (drift, e.g. after failed deliveries)."""
        self.backend.remove_webhook(shop, webhook_id)

    # -- inspection ----------------------------------------------------------------------------

    def webhooks(
        self, shop: str | Shop | None = None, app: str | App | None = None
    ) -> list[Webhook]:
        """Every subscription, optionally of one shop and/or app, ordered by id."""
        return self.backend.webhooks(shop, app)

    def snapshot(
        self,
        shop: str | Shop,
        app: str | App,
        *,
        timestamps: Literal["erase", "ordinal"] = "erase",
    ) -> Snapshot:
        """What ``app`` can see on ``shop``, normalised for comparison (see :class:`Snapshot`)."""
        return self.backend.snapshot(shop, app, timestamps=timestamps)

    def require_scope(self, action: str, scope: str) -> None:
        """Make ``action`` need ``scope``: installations without it get Shopify's 403.

        None of the implemented endpoints needs a scope on Shopify; this models an endpoint the
        merchant has not approved (``[API] This action requires merchant approval for ...``).
        """
        self._required_scopes[action] = scope

    # -- the core ------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Serve one request as Shopify would; the transport adapters call this.

        Raises :class:`UnservedRequestError` for a host that is not ``*.myshopify.com``, and
        the httpx exceptions (or anything a :class:`Raise` fault makes) of armed faults.
        """
        host = request.url.host
        if not host.endswith(_SHOP_SUFFIX):
            raise UnservedRequestError(request, served=self._served_domains())
        return self._handle_shop(request, host)

    def _handle_shop(self, request: httpx.Request, host: str) -> httpx.Response:
        """:meth:`handle` for a host already known to end in ``.myshopify.com`` (the respx
        adapter checks the host to pick the fake; it need not be checked twice)."""
        # Sync integrations may run hooks in threads: one request at a time through the state.
        # An uncontended RLock costs about 0.2 us, under 0.5% of a round trip: always taken.
        with self._lock:
            return self._handle(request, request.url, host[: -len(_SHOP_SUFFIX)])

    def _handle(self, request: httpx.Request, url: httpx.URL, handle: str) -> httpx.Response:
        method = request.method
        path = url.path
        routed = self._routes.match(method, path)
        action = routed.route.action if routed is not None and routed.route is not None else None
        self._requests += 1
        # Positional: this runs on every request (fields: index, time, request, response,
        # error, fault_id, action, shop, app, request_id). The request id is counter-based,
        # deterministic, and shaped like a version-4 UUID (8-4-4-4-12 hex).
        exchange = Exchange(
            self.journal.next_index(),
            self.clock.now(),
            request,
            None,
            None,
            None,
            action,
            handle,
            None,
            f"{_REQUEST_ID_PREFIX}{self._requests:012x}",
        )
        try:
            if action == "graphql":
                # A fault can name a GraphQL operation or root field (Match(action=...)).
                exchange.operations = self.graphql.actions(
                    request.content, header(request, b"content-type")
                )
            fault = (
                self.faults.select(method, path, action, handle, aliases=exchange.operations)
                if self.faults.active
                else None
            )
            if fault is None:
                response = self._serve(request, routed, handle, exchange)
            else:
                self.faults.record(
                    fault,
                    exchange_index=exchange.index,
                    time=exchange.time,
                    method=method,
                    path=path,
                    action=action,
                )
                exchange.fault_id = fault.id
                response = self._apply_fault(fault.effect, request, routed, handle, exchange)
        except BaseException as exc:
            exchange.error = exc
            self.journal.append(exchange)
            raise
        exchange.response = response
        self.journal.append(exchange)
        return response

    def _served_domains(self) -> list[str]:
        return [shop.domain for shop in self.backend.shops.values()]

    def _apply_fault(
        self,
        effect: object,
        request: httpx.Request,
        routed: RouteMatch | None,
        handle: str,
        exchange: Exchange,
    ) -> httpx.Response:
        if isinstance(effect, HttpError):
            return self._fault_response(effect, request, handle, exchange)
        if isinstance(effect, TransportError):
            raise tag_fault(
                _TRANSPORT_ERRORS[effect.kind](
                    f"fake_shopify fault {exchange.fault_id}: {effect.kind}", request=request
                ),
                effect,
            )
        if isinstance(effect, LostResponse):
            exchange.response = self._serve(request, routed, handle, exchange)
            raise tag_fault(
                _TRANSPORT_ERRORS[effect.kind](
                    f"fake_shopify fault {exchange.fault_id}: response lost ({effect.kind}) "
                    "after the request was applied",
                    request=request,
                ),
                effect,
            )
        if isinstance(effect, Latency):
            read_timeout = _read_timeout(request)
            if read_timeout is not None and effect.seconds > read_timeout:
                # The client gives up first: the server still applies the request.
                self.clock.advance(read_timeout)
                exchange.response = self._serve(request, routed, handle, exchange)
                raise tag_fault(
                    httpx.ReadTimeout(
                        f"fake_shopify fault {exchange.fault_id}: latency {effect.seconds}s "
                        f"exceeds the read timeout {read_timeout}s",
                        request=request,
                    ),
                    effect,
                )
            self.clock.advance(effect.seconds)
            return tag_fault(self._serve(request, routed, handle, exchange), effect)
        if isinstance(effect, Raise):
            raise tag_fault(effect.factory(request), effect)
        raise TypeError(f"not a fault effect: {effect!r}")

    def _fault_response(
        self, effect: HttpError, request: httpx.Request, handle: str, exchange: Exchange
    ) -> httpx.Response:
        shop = self.backend.shops.get(handle)
        status = effect.status
        body = effect.body if effect.body is not None else _status_body(status)
        extra: list[tuple[str, str]] = []
        if status == 429:
            extra.append(("Retry-After", _seconds(effect.retry_after or 2.0)))
        elif effect.retry_after is not None:
            extra.append(("Retry-After", _seconds(effect.retry_after)))
        limit = self._call_limit_peek(request, shop)
        return self._response(
            status, body, exchange.request_id, self._default_version(), limit, extra
        )

    def _default_version(self) -> str:
        now_dt = self.clock.now()
        return self._versions_at(now_dt, now_dt.timestamp()).latest

    def _versions_at(self, now_dt: datetime, now: float) -> _VersionWindow:
        # The supported set only changes at quarterly release instants: cache per quarter.
        window = self._version_window
        if (
            window is None
            or not window.start <= now < window.end
            or window.malformed != self.malformed_version
        ):
            window = self._version_window = _VersionWindow(now_dt, self.malformed_version)
        return window

    def _call_limit_peek(self, request: httpx.Request, shop: Shop | None) -> str:
        """The call-limit header without spending: for answers given before authentication."""
        plan = shop.plan if shop is not None else "basic"
        size = PLAN_LIMITS[plan].rest_size
        if shop is None:
            return f"0/{size}"
        inst = self.backend.installation_for_token(header(request, _TOKEN_HEADER) or "")
        if inst is None or inst.shop is not shop:
            return f"0/{size}"
        now = self.clock.now().timestamp()
        return self.limiter.rest(shop.handle, inst.app.name, plan, now).header(now)

    def _response(
        self,
        status: int,
        body: object,
        request_id: str | None,
        version: str,
        call_limit: str,
        extra: Iterable[tuple[str, str]] = (),
    ) -> httpx.Response:
        # Fixed bodies come encoded already (bytes); the rest goes through the one C encoder.
        content = body if isinstance(body, bytes) else _dumps(body)
        # No Content-Length: Shopify itself mostly answers chunked, and every header costs the
        # client time (httpx's cookie extraction walks them all). Bytes skip httpx's encoding.
        headers: list[HeaderTriple] = [
            _CONTENT_TYPE,
            (b"X-Request-Id", b"x-request-id", (request_id or "").encode()),
            (b"X-Shopify-API-Version", b"x-shopify-api-version", version.encode()),
            (
                b"X-Shopify-Shop-Api-Call-Limit",
                b"x-shopify-shop-api-call-limit",
                call_limit.encode(),
            ),
        ]
        encoding = "ascii"
        for name, value in extra:
            try:
                encoded = value.encode("ascii")
            except UnicodeEncodeError:
                encoded, encoding = value.encode(), "utf-8"
            headers.append(triple(name.encode("ascii"), encoded))
        return new_response(status, content, headers, encoding)

    def _serve(
        self,
        request: httpx.Request,
        routed: RouteMatch | None,
        handle: str,
        exchange: Exchange,
    ) -> httpx.Response:
        shop = self.backend.shops.get(handle)
        rid = exchange.request_id
        if shop is None or routed is None:
            # An unknown shop or a path outside /admin: Shopify's plain 404.
            return self._response(404, _NOT_FOUND, rid, self._default_version(), "0/40")
        now_dt = self.clock.now()
        now = now_dt.timestamp()
        versions = self._versions_at(now_dt, now)
        version = versions.latest
        if routed.route is None or routed.route.versioned:
            if routed.version is None:
                version = versions.oldest  # unversioned legacy paths: the oldest supported
            else:
                served = versions.resolve(routed.version)
                if served is None:
                    return self._response(
                        404, _NOT_FOUND, rid, version, self._call_limit_peek(request, shop)
                    )
                version = served
        if routed.unimplemented is not None:
            error = NotImplementedByFakeError(request.method, request.url.path)
            return self._response(
                error.status,
                error.body,
                rid,
                version,
                self._call_limit_peek(request, shop),
                [("X-Fake-Shopify-Not-Implemented", routed.unimplemented)],
            )
        route = routed.route
        if route is None:
            if routed.allowed:
                error405 = MethodNotAllowedError(request.method, routed.allowed)
                return self._response(
                    405,
                    error405.body,
                    rid,
                    version,
                    self._call_limit_peek(request, shop),
                    [("Allow", ", ".join(routed.allowed))],
                )
            return self._response(
                404, _NOT_FOUND, rid, version, self._call_limit_peek(request, shop)
            )
        token, accept = find_two(request.headers, _TOKEN_HEADER, b"accept")
        if accept is not None and not _accepts_json(accept.decode("latin-1")):
            return self._response(
                406,
                NotAcceptableError().body,
                rid,
                version,
                self._call_limit_peek(request, shop),
            )
        inst = self.backend.installation_for_token(token.decode("latin-1")) if token else None
        if inst is None or inst.shop is not shop:
            error401 = AuthenticationError()
            return self._response(
                401, error401.body, rid, version, f"0/{PLAN_LIMITS[shop.plan].rest_size}"
            )
        app_name = inst.app.name
        exchange.app = app_name
        limiter = self.limiter
        if limiter.enabled:
            bucket = limiter.rest(shop.handle, app_name, shop.plan, now)
            if route.bucket == "rest" and not bucket.take(now):
                throttled = ThrottledError()
                return self._response(
                    429,
                    throttled.body,
                    rid,
                    version,
                    bucket.header(now),
                    [("Retry-After", _seconds(throttled.retry_after))],
                )
            limit_header = bucket.header(now)
        else:
            # Rate limits off: nothing is ever taken from the bucket, so it always reads empty.
            limit_header = _EMPTY_BUCKET_HEADER[shop.plan]
        if self._required_scopes:
            required = self._required_scopes.get(route.action)
            if required is not None and required not in inst.scopes:
                forbidden = ForbiddenError(required)
                return self._response(403, forbidden.body, rid, version, limit_header)
        call = Call(
            request,
            self.backend,
            shop,
            inst,
            version,
            routed.version,
            routed.params,
            rid or "",
            limiter,
            now,
            body_limits=self.body_limits,
        )
        handler = HANDLERS.get(route.action) or self._graphql_handler()
        try:
            if handler is None:
                raise NotImplementedByFakeError(request.method, request.url.path)
            reply = handler(call)
        except ShopifyError as exc:
            reply = Reply(exc.status, exc.body)
        except NotImplementedByFakeError as exc:
            reply = Reply(exc.status, exc.body)
        return self._response(reply.status, reply.body, rid, version, limit_header, reply.headers)

    def _graphql_handler(self) -> Callable[[Call], Reply] | None:
        """The wire handler of the ``graphql`` route: this fake's GraphQL engine (issue 6)."""
        return self.graphql.handle

    # -- events (issue 6) --------------------------------------------------------------------

    def fire(self, shop: str | Shop, topic: str, payload: dict[str, Any] | None = None) -> Event:
        """Shopify fires ``topic`` (REST spelling) on ``shop``: every subscription of every app
        gets a signed delivery through ``delivery_sender``; failures are retried on the clock.
        """
        handle = shop.handle if isinstance(shop, Shop) else shop
        return self.deliveries.fire(handle, topic, payload)

    def deliver_due(self) -> list[Delivery]:
        """Run the delivery retries whose time has come on the clock (after advancing it)."""
        return self.deliveries.run_due()

    # -- transports ------------------------------------------------------------------------------

    def transport(
        self, *, other_hosts: Callable[[httpx.Request], Any] | None = None
    ) -> httpx.MockTransport:
        """An ``httpx.MockTransport`` over :meth:`handle`, for ``httpx.Client(transport=...)``.

        Works for sync and async clients. A request to another host goes to
        ``other_hosts(request)`` if given (an ``httpx.Response``, or an awaitable of one in async
        clients), else raises :class:`UnservedRequestError`.
        """
        if other_hosts is None:
            return httpx.MockTransport(self.handle)
        fake_handle = self.handle

        def route(request: httpx.Request) -> Any:
            if request.url.host.endswith(_SHOP_SUFFIX):
                return fake_handle(request)
            return other_hosts(request)

        return httpx.MockTransport(route)

    @contextmanager
    def intercept(
        self,
        *,
        other_hosts: Callable[[httpx.Request], Any] | None = None,
        guard: bool = True,
    ) -> Iterator[FakeShopify]:
        """Intercept every httpx client (also those the code under test builds itself), and
        every other Python HTTP stack at socket level.

        Requests to ``https://*.myshopify.com`` are served by this fake: httpx in-process, any
        other stack (``requests``, ``urllib3``, ``urllib``, ``http.client``, ``aiohttp``) over
        loopback TLS by :class:`~fake_shopify.served.ServedShopify`, started on first use.
        Any other httpx request goes to ``other_hosts(request)`` (an ``httpx.Response``, or an
        awaitable of one in async clients), or raises :class:`UnservedRequestError` and is
        never sent. With ``guard`` (the default) a :class:`~fake_shopify.network.NetworkGuard`
        refuses every other non-loopback connection, and leaving the block raises
        :class:`~fake_shopify.network.NetworkEscapeError` if any was refused.
        """
        with self._isolation(other_hosts=other_hosts, guard=guard):
            yield self

    @contextmanager
    def _isolation(
        self, *, other_hosts: Callable[[httpx.Request], Any] | None, guard: bool
    ) -> Iterator[None]:
        from fake_shopify.network import NetworkGuard
        from fake_shopify.transports import Interceptor

        with Interceptor(self, other_hosts=other_hosts):
            if not guard:
                yield
                return
            from fake_shopify.served import ServedShopify, shared_ca

            ca = shared_ca()  # now, before any freezegun block of the test's freezes time

            def serve() -> ServedShopify:
                # The fake's clock semantics, as in-process: Latency moves the clock only.
                return ServedShopify(self, latency_scale=0, ca=ca)

            with NetworkGuard(serve):
                yield

    def __enter__(self) -> FakeShopify:
        if self._active_interceptor is not None:
            raise FakeUsageError("this FakeShopify is already intercepting")
        isolation = self._isolation(other_hosts=None, guard=True)
        isolation.__enter__()
        self._active_interceptor = isolation
        return self

    def __exit__(self, *exc_info: Any) -> None:
        isolation, self._active_interceptor = self._active_interceptor, None
        if isolation is not None:
            isolation.__exit__(*exc_info)

    def __repr__(self) -> str:
        return (
            f"<FakeShopify shops={len(self.backend.shops)} apps={len(self.backend.apps)} "
            f"webhooks={len(self.backend.webhooks())} at {self.clock.now().isoformat()}>"
        )
