"""The route table: which method and path is which action. Data, not code.

Paths are matched after ``/admin/api/{version}/`` (or ``/admin/`` for unversioned legacy paths,
which Shopify serves with the oldest supported version). One action has one stem across the
layers: ``create_webhook`` in the state layer, the wire layer (``rest.create_webhook``), this
table, fault matching and the journal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["KNOWN_UNIMPLEMENTED", "ROUTES", "Route", "RouteMatch", "match_route"]

Bucket = Literal["rest", "graphql", "none"]


@dataclass(frozen=True, slots=True)
class Route:
    """``method`` + ``pattern`` (relative to the version prefix) -> ``action``.

    ``versioned``: under ``/admin/api/{version}/``; otherwise an absolute ``/admin/...`` path.
    ``bucket``: which rate limit the request spends.
    """

    method: str
    pattern: str
    action: str
    versioned: bool = True
    bucket: Bucket = "rest"


ROUTES: tuple[Route, ...] = (
    Route("GET", r"webhooks\.json", "list_webhooks"),
    Route("POST", r"webhooks\.json", "create_webhook"),
    Route("GET", r"webhooks/count\.json", "count_webhooks"),
    Route("GET", r"webhooks/(?P<id>[0-9]+)\.json", "get_webhook"),
    Route("PUT", r"webhooks/(?P<id>[0-9]+)\.json", "update_webhook"),
    Route("DELETE", r"webhooks/(?P<id>[0-9]+)\.json", "delete_webhook"),
    Route("GET", r"shop\.json", "get_shop"),
    Route("POST", r"graphql\.json", "graphql", bucket="graphql"),
    Route("GET", r"/admin/oauth/access_scopes\.json", "list_access_scopes", versioned=False),
)

KNOWN_UNIMPLEMENTED: frozenset[str] = frozenset(
    [
        "application_charges",
        "application_credits",
        "articles",
        "assets",
        "blogs",
        "carrier_services",
        "checkouts",
        "collection_listings",
        "collections",
        "collects",
        "comments",
        "countries",
        "currencies",
        "custom_collections",
        "customer_saved_searches",
        "customers",
        "discount_codes",
        "draft_orders",
        "events",
        "fulfillment_orders",
        "fulfillment_services",
        "fulfillments",
        "gift_cards",
        "inventory_items",
        "inventory_levels",
        "locations",
        "marketing_events",
        "metafields",
        "mobile_platform_applications",
        "orders",
        "pages",
        "payouts",
        "policies",
        "price_rules",
        "product_listings",
        "products",
        "recurring_application_charges",
        "redirects",
        "report",
        "script_tags",
        "shipping_zones",
        "smart_collections",
        "storefront_access_tokens",
        "tender_transactions",
        "themes",
        "usage_charges",
        "users",
        "variants",
        "balance",
        "disputes",
        "transactions",
    ]
)
"""REST resources of the real Admin API that this fake does not implement (answered 501)."""

_PREFIX = re.compile(r"^/admin/(?:api/(?P<version>[^/]+)/)?(?P<rel>.*)$")
_RESOURCE = re.compile(r"^(?P<resource>[a-z_]+)(?:/[^?]*)?\.json$")


@dataclass(frozen=True, slots=True)
class RouteMatch:
    """The outcome of routing one request.

    ``route`` is ``None`` when no route matches; ``allowed`` then lists the methods the path
    accepts (non-empty: 405), and ``unimplemented`` names a real Shopify resource (501).
    """

    route: Route | None
    version: str | None  # requested version segment; None for unversioned paths
    params: dict[str, str]
    allowed: tuple[str, ...] = ()
    unimplemented: str | None = None


def _build() -> tuple[
    dict[str, dict[str, Route]],
    list[tuple[re.Pattern[str], dict[str, Route]]],
    dict[str, dict[str, Route]],
]:
    static: dict[str, dict[str, Route]] = {}
    dynamic: dict[str, tuple[re.Pattern[str], dict[str, Route]]] = {}
    absolute: dict[str, dict[str, Route]] = {}
    for route in ROUTES:
        if not route.versioned:
            path = route.pattern.replace("\\", "")
            absolute.setdefault(path, {})[route.method] = route
        elif re.escape(route.pattern.replace("\\", "")) == route.pattern:
            static.setdefault(route.pattern.replace("\\", ""), {})[route.method] = route
        else:
            entry = dynamic.setdefault(route.pattern, (re.compile(f"^{route.pattern}$"), {}))
            entry[1][route.method] = route
    return static, list(dynamic.values()), absolute


_STATIC, _DYNAMIC, _ABSOLUTE = _build()
_NO_PARAMS: dict[str, str] = {}


def _pick(
    methods: dict[str, Route], method: str, version: str | None, params: dict[str, str]
) -> RouteMatch:
    route = methods.get(method)
    if route is None:
        return RouteMatch(None, version, params, allowed=tuple(methods))
    return RouteMatch(route, version, params)


class RouteCache:
    """Memoised :func:`match_route` (one per fake; matches depend only on the table)."""

    __slots__ = ("_cache", "size")

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._cache: dict[tuple[str, str], RouteMatch | None] = {}

    def match(self, method: str, path: str) -> RouteMatch | None:
        key = (method, path)
        try:
            return self._cache[key]
        except KeyError:
            pass
        found = match_route(method, path)
        if len(self._cache) >= self.size:
            self._cache.clear()  # paths with ids vary without bound
        self._cache[key] = found
        return found


def match_route(method: str, path: str) -> RouteMatch | None:
    """Route ``method path``; ``None`` when the path is not under ``/admin/`` at all."""
    absolute = _ABSOLUTE.get(path)
    if absolute is not None:
        return _pick(absolute, method, None, _NO_PARAMS)
    m = _PREFIX.match(path)
    if m is None:
        return None
    version, rel = m.group("version"), m.group("rel")
    methods = _STATIC.get(rel)
    if methods is not None:
        return _pick(methods, method, version, _NO_PARAMS)
    for pattern, candidates in _DYNAMIC:
        found = pattern.match(rel)
        if found is not None:
            return _pick(candidates, method, version, found.groupdict())
    resource = _RESOURCE.match(rel)
    if resource is not None and resource.group("resource") in KNOWN_UNIMPLEMENTED:
        return RouteMatch(None, version, _NO_PARAMS, unimplemented=resource.group("resource"))
    return RouteMatch(None, version, _NO_PARAMS)
