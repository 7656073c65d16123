"""The REST wire layer: parse Shopify REST requests, call the state layer, render Shopify shapes.

Each handler takes a :class:`Call` (the authenticated request with its shop, installation and
served version) and returns a :class:`Reply`; domain errors propagate and the core renders them.
Handler names are the action stems of the route table.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote, unquote

import httpx

from fake_shopify._headers import find
from fake_shopify.bodies import DEFAULT_BODY_LIMITS, BodyLimits, MalformedBodyError, load_json
from fake_shopify.errors import BadRequestError, InvalidJsonError, NotFoundError, ValidationError
from fake_shopify.ratelimit import RateLimiter
from fake_shopify.state import UNSET, Installation, Origin, Shop, ShopifyBackend, Webhook

__all__ = ["HANDLERS", "Call", "InvalidJsonError", "Reply", "header", "render_webhook"]

DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 250
PAGINATION_DOC: Final = "See https://shopify.dev/api/usage/pagination-rest for more information."
PAGE_INFO_COMPANIONS: Final = frozenset({"page_info", "limit", "fields"})
MAX_ID: Final = 2**63 - 1  # Shopify's ids are 64-bit signed integers


class Query:
    """Query parameters as ``httpx.QueryParams(text)`` reads them (``parse_qs`` keeping blank
    values; ``get`` and ``[]`` give a name's first value), parsed without httpx's machinery:
    this runs for every REST request that has a query."""

    __slots__ = ("_values",)

    def __init__(self, text: str = "") -> None:
        values: dict[str, list[str]] = {}
        for part in text.split("&") if text else ():
            if not part:
                continue
            name, _, value = part.partition("=")
            values.setdefault(_unquote_plus(name), []).append(_unquote_plus(value))
        self._values = values

    def get(self, name: str, default: str | None = None) -> str | None:
        found = self._values.get(name)
        return found[0] if found else default

    def __getitem__(self, name: str) -> str:
        return self._values[name][0]

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def multi_items(self) -> list[tuple[str, str]]:
        return [(name, value) for name, values in self._values.items() for value in values]


def _unquote_plus(text: str) -> str:
    # urllib.parse.parse_qsl: "+" is a space, then percent-decoding (UTF-8, replace).
    if "+" in text:
        text = text.replace("+", " ")
    return unquote(text) if "%" in text else text


_NO_QUERY: Final = Query()


def header(request: httpx.Request, name: bytes) -> str | None:
    """The value of header ``name`` (lower-case bytes), scanning the headers once.

    ``Headers.get`` recomputes the headers' encoding on every lookup; this is the hot path.
    """
    value = find(request.headers, name)
    return None if value is None else value.decode("latin-1")


@dataclass(slots=True)
class Call:
    """One authenticated REST request on its way through the wire layer."""

    request: httpx.Request
    backend: ShopifyBackend
    shop: Shop
    installation: Installation
    version: str  # the version serving the request (after fall-forward)
    requested_version: str | None  # the path's version segment, None for unversioned paths
    params: Mapping[str, str]
    request_id: str
    limiter: RateLimiter
    now: float  # the clock at the start of the request, as a POSIX timestamp
    _query: Query | None = None
    body_limits: BodyLimits = DEFAULT_BODY_LIMITS

    @property
    def query(self) -> Query:
        """The query parameters (parsed once, and only when the URL has a query)."""
        if self._query is None:
            raw = self.request.url.query
            self._query = Query(raw.decode("ascii", "replace")) if raw else _NO_QUERY
        return self._query

    @property
    def origin(self) -> Origin:
        return Origin(
            app=self.installation.app.name,
            token=self.installation.access_token,
            request_id=self.request_id,
        )


@dataclass(slots=True)
class Reply:
    """What a handler answers: status, JSON-able body, extra headers.

    A ``bytes`` body is JSON already encoded and is sent as is (fixed shapes skip the encoder).
    """

    status: int
    body: object
    headers: list[tuple[str, str]] = field(default_factory=list)


def _has_identifiers(version: str) -> bool:
    # metafield_identifiers appears in 2026-01 responses, not in 2025-10 fixtures.
    return version == "unstable" or version >= "2026-01"


def render_webhook(
    webhook: Webhook,
    shop: Shop,
    version: str,
    fields: frozenset[str] | None = None,
    times: dict[datetime, str] | None = None,
) -> dict[str, Any]:
    """The REST webhook object, in Shopify's key order (shopify.dev REST Webhook).

    ``times`` memoises the shop-local renderings of instants (within one response: created
    and updated are mostly the same instant, and a page's subscriptions share instants).
    """
    if times is None:
        times = {}
    created = times.get(webhook.created_at)
    if created is None:
        created = times[webhook.created_at] = shop.local_time(webhook.created_at)
    updated = times.get(webhook.updated_at)
    if updated is None:
        updated = times[webhook.updated_at] = shop.local_time(webhook.updated_at)
    out: dict[str, Any] = {
        "id": webhook.id,
        "address": webhook.address,
        "topic": webhook.topic,
        "created_at": created,
        "updated_at": updated,
        "format": webhook.format,
        "fields": list(webhook.fields),
        "metafield_namespaces": list(webhook.metafield_namespaces),
        "api_version": webhook.api_version,
        "private_metafield_namespaces": list(webhook.private_metafield_namespaces),
    }
    if _has_identifiers(version):
        out["metafield_identifiers"] = list(webhook.metafield_identifiers)
    if fields:
        out = {k: v for k, v in out.items() if k in fields}
    return out


# -- parsing helpers --------------------------------------------------------------------------


def _fields(raw: str | None) -> frozenset[str] | None:
    if raw is None:
        return None
    names = frozenset(part.strip() for part in raw.split(",") if part.strip())
    return names or None


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_LIMIT:
        # "Setting this parameter outside the maximum range will return an error" [U body].
        raise BadRequestError("limit", f"limit must be between 1 and {MAX_LIMIT}")
    return value


def _bounded_id(raw: str) -> int | None:
    """``raw`` as a 64-bit id, ``None`` when it is not one (no digits, or too many)."""
    digits = raw.strip().lstrip("0") or "0"
    # Checked before int(): a 5,000-digit string exceeds Python's int-string conversion limit.
    if len(digits) > 19 or not (digits.isascii() and digits.isdigit()):
        return None
    value = int(digits)
    return value if value <= MAX_ID else None


def _int_param(name: str, raw: str) -> int:
    value = _bounded_id(raw)
    if value is None:
        raise BadRequestError(name, "Invalid value")
    return value


def _time_param(name: str, raw: str, shop: Shop) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.strip().replace(" ", "T"))
    except ValueError:
        raise BadRequestError(name, "Invalid value") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=shop.utc_offset)  # a bare time is the shop's local time
    return moment


def _webhook_id(call: Call) -> int:
    # An id past the 64-bit range names no record: Rails' find answers 404 for it.
    webhook_id = _bounded_id(call.params["id"])
    if webhook_id is None:
        raise NotFoundError()
    return webhook_id


def _root(call: Call, key: str) -> dict[str, Any]:
    """The body's root object ``key`` or Shopify's 400 for a missing root key."""
    content_type = header(call.request, b"content-type") or ""
    if not content_type.startswith("application/json"):
        # Without a JSON content type Shopify does not parse the body (shopify.dev response
        # codes: 400 when Content-Type is not application/json).
        raise BadRequestError(key)
    try:
        data = load_json(call.request.content or b"null", call.body_limits)
    except MalformedBodyError as exc:
        raise InvalidJsonError(exc.reason) from None
    if not isinstance(data, dict) or not isinstance(data.get(key), dict):
        raise BadRequestError(key)
    root: dict[str, Any] = data[key]
    return root


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _string_list(name: str, value: object) -> list[str]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ValidationError({name: ["is invalid"]})


_LIST_KEYS: Final = (
    "fields",
    "metafield_namespaces",
    "private_metafield_namespaces",
    "metafield_identifiers",
)


def _attributes(body: Mapping[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if body.get("format") is not None:
        attrs["format"] = _text(body["format"]).lower()
    for key in _LIST_KEYS:
        if body.get(key) is not None:
            attrs[key] = _string_list(key, body[key])
    return attrs


# -- webhooks -----------------------------------------------------------------------------------


def list_webhooks(call: Call) -> Reply:
    """GET webhooks.json: filters, ``fields``, ``limit`` and cursor pagination (Link header)."""
    query = call.query
    if "page" in query:
        raise BadRequestError("page", f"page cannot be passed. {PAGINATION_DOC}")
    limit = _limit(query.get("limit"))
    fields = _fields(query.get("fields"))
    page_info = query.get("page_info")
    direction = "next"
    anchor: int | None = None
    if page_info is not None:
        for key in query:
            if key not in PAGE_INFO_COMPANIONS:
                raise BadRequestError(
                    key, f"{key} cannot be passed when page_info is present. {PAGINATION_DOC}"
                )
        filters, direction, anchor = _decode_cursor(page_info)
    else:
        filters = {k: query[k] for k in _FILTERS if k in query}
    # One page through the state layer's indexes: a walk over every page costs what the
    # pages hold, not the whole listing per page.
    page, has_prev, has_next = call.backend.page_webhooks(
        call.shop,
        call.installation.app,
        limit=limit,
        after=anchor if direction == "next" else None,
        before=anchor if direction == "prev" else None,
        **_parse_filters(filters, call.shop),
    )
    times: dict[datetime, str] = {}
    body = {"webhooks": [render_webhook(w, call.shop, call.version, fields, times) for w in page]}
    headers: list[tuple[str, str]] = []
    if page and (has_prev or has_next):
        links = []
        if has_prev:
            links.append(
                _link(call, filters, "prev", page[0].id, limit, query.get("fields"), "previous")
            )
        if has_next:
            links.append(
                _link(call, filters, "next", page[-1].id, limit, query.get("fields"), "next")
            )
        headers.append(("Link", ", ".join(links)))
    return Reply(200, body, headers)


_FILTERS: Final = (
    "topic",
    "address",
    "since_id",
    "created_at_min",
    "created_at_max",
    "updated_at_min",
    "updated_at_max",
)


def _parse_filters(raw: Mapping[str, str], shop: Shop) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("topic", "address"):
            out[key] = value
        elif key == "since_id":
            out[key] = _int_param(key, value)
        else:
            out[key] = _time_param(key, value, shop)
    return out


def _encode_cursor(filters: Mapping[str, str], direction: str, anchor: int) -> str:
    payload = json.dumps(
        {"filters": dict(filters), "direction": direction, "last_id": anchor}, separators=(",", ":")
    )
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _decode_cursor(page_info: str) -> tuple[dict[str, str], str, int]:
    try:
        raw = base64.urlsafe_b64decode(page_info + "=" * (-len(page_info) % 4))
        data = load_json(raw)  # bounded: a cursor is as untrusted as a body
        filters = {
            str(k): v for k, v in data["filters"].items() if k in _FILTERS and isinstance(v, str)
        }
        direction = data["direction"]
        anchor = data["last_id"]
        if direction not in ("next", "prev") or type(anchor) is not int:
            raise ValueError(direction)
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        # Shopify's body for a garbage page_info is unverified [U].
        raise BadRequestError("page_info", "Invalid value.") from None
    return filters, direction, anchor


def _link(
    call: Call,
    filters: Mapping[str, str],
    direction: str,
    anchor: int,
    limit: int,
    fields: str | None,
    rel: str,
) -> str:
    version = call.requested_version or call.version
    url = (
        f"https://{call.shop.domain}/admin/api/{version}/webhooks.json?limit={limit}"
        f"&page_info={_encode_cursor(filters, direction, anchor)}"
    )
    if fields is not None:
        url += f"&fields={quote(fields, safe=',')}"
    return f'<{url}>; rel="{rel}"'


def count_webhooks(call: Call) -> Reply:
    """GET webhooks/count.json with ``topic`` and ``address``."""
    query = call.query
    count = call.backend.count_webhooks(
        call.shop, call.installation.app, topic=query.get("topic"), address=query.get("address")
    )
    # A fixed shape: formatted directly, no JSON encoder (this is the cheapest, busiest call).
    return Reply(200, b'{"count":%d}' % count)


def get_webhook(call: Call) -> Reply:
    """GET webhooks/{id}.json."""
    webhook = call.backend.get_webhook(call.shop, call.installation.app, _webhook_id(call))
    fields = _fields(call.query.get("fields"))
    return Reply(200, {"webhook": render_webhook(webhook, call.shop, call.version, fields)})


def create_webhook(call: Call) -> Reply:
    """POST webhooks.json: 201 with the new subscription and a ``Location`` header."""
    body = _root(call, "webhook")
    webhook = call.backend.create_webhook(
        call.shop,
        call.installation.app,
        topic=_text(body.get("topic")),
        address=_text(body.get("address")),
        origin=call.origin,
        **_attributes(body),
    )
    location = f"https://{call.shop.domain}/admin/api/{call.version}/webhooks/{webhook.id}.json"
    return Reply(
        201,
        {"webhook": render_webhook(webhook, call.shop, call.version)},
        [("Location", location)],
    )


def update_webhook(call: Call) -> Reply:
    """PUT webhooks/{id}.json: ``address``, ``fields``, ``metafield_namespaces`` (and format)."""
    webhook_id = _webhook_id(call)
    # A missing subscription is 404 even when the body is also bad.
    call.backend.get_webhook(call.shop, call.installation.app, webhook_id)
    body = _root(call, "webhook")
    changes = _attributes(body)
    webhook = call.backend.update_webhook(
        call.shop,
        call.installation.app,
        webhook_id,
        topic=_text(body["topic"]) if "topic" in body else UNSET,
        address=_text(body["address"]) if "address" in body else UNSET,
        **changes,
    )
    return Reply(200, {"webhook": render_webhook(webhook, call.shop, call.version)})


def delete_webhook(call: Call) -> Reply:
    """DELETE webhooks/{id}.json: 200 ``{}``."""
    call.backend.delete_webhook(call.shop, call.installation.app, _webhook_id(call))
    return Reply(200, b"{}")


# -- shop and access scopes ---------------------------------------------------------------------


def _timezone_names(shop: Shop) -> tuple[str, str | None]:
    offset = shop.local_time(shop.created_at)[-6:]
    sign, hours, minutes = offset[0], int(offset[1:3]), int(offset[4:6])
    iana = None
    if minutes == 0:
        # Etc/GMT names invert the sign (POSIX): UTC-05:00 is Etc/GMT+5.
        iana = "Etc/UTC" if hours == 0 else f"Etc/GMT{'+' if sign == '-' else '-'}{hours}"
    return f"(GMT{offset}) {iana or 'Local'}", iana


def render_shop(shop: Shop, fields: frozenset[str] | None = None) -> dict[str, Any]:
    """A subset of Shopify's REST shop object that integrations read."""
    timezone_label, iana = _timezone_names(shop)
    plus = shop.plan == "plus"
    out: dict[str, Any] = {
        "id": shop.id,
        "name": shop.name,
        "email": shop.email,
        "domain": shop.domain,
        "province": "",
        "country": "US",
        "address1": "",
        "zip": "",
        "city": "",
        "source": None,
        "phone": "",
        "primary_locale": "en",
        "created_at": shop.local_time(shop.created_at),
        "updated_at": shop.local_time(shop.created_at),
        "country_code": "US",
        "country_name": "United States",
        "currency": "USD",
        "customer_email": shop.email,
        "timezone": timezone_label,
        "iana_timezone": iana,
        "shop_owner": f"{shop.name} Owner",
        "money_format": "${{amount}}",
        "plan_display_name": "Shopify Plus" if plus else "Basic",
        "plan_name": "shopify_plus" if plus else "basic",
        "myshopify_domain": shop.domain,
        "password_enabled": False,
        "has_storefront": True,
    }
    if fields:
        out = {k: v for k, v in out.items() if k in fields}
    return out


def get_shop(call: Call) -> Reply:
    """GET shop.json."""
    fields = _fields(call.query.get("fields"))
    return Reply(200, {"shop": render_shop(call.shop, fields)})


def list_access_scopes(call: Call) -> Reply:
    """GET /admin/oauth/access_scopes.json: the scopes granted to the token's installation."""
    scopes = sorted(call.installation.scopes)
    return Reply(200, {"access_scopes": [{"handle": scope} for scope in scopes]})


HANDLERS: dict[str, Callable[[Call], Reply]] = {
    "list_webhooks": list_webhooks,
    "count_webhooks": count_webhooks,
    "get_webhook": get_webhook,
    "create_webhook": create_webhook,
    "update_webhook": update_webhook,
    "delete_webhook": delete_webhook,
    "get_shop": get_shop,
    "list_access_scopes": list_access_scopes,
}
"""Wire handler per action stem (``graphql`` is served by ``fake_shopify.graphql``)."""
