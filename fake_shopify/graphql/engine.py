"""The GraphQL Admin API endpoint of the fake: parse, validate, cost, throttle, execute.

Wire layer only: resolvers call the state layer (:class:`~fake_shopify.state.ShopifyBackend`)
and render its records and its :class:`~fake_shopify.errors.ValidationError` in GraphQL shapes,
so REST and GraphQL always show the same subscriptions. Everything Shopify sends at HTTP 200
(validation errors, ``THROTTLED``, ``MAX_COST_EXCEEDED``, ``userErrors``) is built here; only a
missing ``query`` is a 400 (reference section 4).

One :class:`GraphQLEngine` belongs to one fake: it holds the cost buckets (per shop and app) and
a bounded cache of parsed and validated documents.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    execute,
    parse,
    validate,
)

from fake_shopify import topics as topic_table
from fake_shopify.bodies import DEFAULT_BODY_LIMITS, BodyLimits, MalformedBodyError, load_json
from fake_shopify.errors import NotFoundError, ValidationError
from fake_shopify.graphql.cost import (
    QueryCost,
    cost_extension,
    max_cost_error,
    operation_cost,
    throttled_error,
)
from fake_shopify.graphql.limits import (
    DocumentTooLarge,
    document_errors,
    nesting,
    too_large_error,
)
from fake_shopify.graphql.schema import schema_for
from fake_shopify.graphql.sdl import SchemaFeatures, features_for
from fake_shopify.graphql.search import COUNT_FIELDS, LIST_FIELDS, matches, parse_query
from fake_shopify.graphql.validation import (
    VALIDATION_RULES,
    coerce_variables,
    render_parse_error,
    render_static_error,
)
from fake_shopify.ratelimit import RateLimiter
from fake_shopify.rest import MAX_ID, Call, Reply, _timezone_names
from fake_shopify.state import (
    WEBHOOK_GID,
    Installation,
    Origin,
    ShopifyBackend,
    Webhook,
)
from fake_shopify.versions import latest_stable, release_candidate, supported_versions

__all__ = ["GraphQLEngine", "GraphQLOptions", "GraphQLResult", "gid_to_id", "webhook_gid"]

MISSING_QUERY_BODY = {"errors": {"query": "Required parameter missing or invalid"}}
DOCUMENT_CACHE_SIZE = 256
VALIDATION_ABORTED = "Validation aborted."  # graphql-core's words when it gives up on a document

# Where a state-layer attribute error shows up in a mutation's userErrors (reference 5.4: the
# address is reported on ``callbackUrl`` even when the request used ``uri``).
USER_ERROR_FIELDS: dict[str, list[str]] = {
    "address": ["webhookSubscription", "callbackUrl"],
    "format": ["webhookSubscription", "format"],
    "name": ["webhookSubscription", "name"],
    "fields": ["webhookSubscription", "includeFields"],
    "metafield_namespaces": ["webhookSubscription", "metafieldNamespaces"],
    "metafield_identifiers": ["webhookSubscription", "metafields"],
    "filter": ["webhookSubscription"],
    # A topic the granted scopes do not allow: the GraphQL field path is unverified [U].
    "topic": ["topic"],
}
DOES_NOT_EXIST = "Webhook subscription does not exist"


@dataclass(frozen=True)
class GraphQLOptions:
    """Knobs of the GraphQL endpoint. Bucket sizes per plan live in ``fake_shopify.ratelimit``.

    ``max_query_cost`` and ``max_page_size`` are Shopify's documented limits. Shopify documents
    no value for the others, which bound what a document may ask of the fake before it is
    validated (see ``fake_shopify.graphql.limits``); the defaults leave room for real
    documents (the introspection query has depth 15, about 300 tokens, complexity 239).
    """

    max_query_cost: int = 1000
    max_page_size: int = 250
    max_depth: int = 30
    """Deepest field nesting of an operation or fragment, spreads expanded (graphql-ruby's
    ``max_depth``: "Query has depth of N, which exceeds max depth of M")."""
    max_complexity: int = 500
    """Most selections (fields, fragment spreads, inline fragments) of an operation or
    fragment once spreads are expanded (graphql-ruby's ``max_complexity`` wording). Validation
    compares same-named selections pairwise: 500 keeps the worst document under a second."""
    max_tokens: int = 15000
    """Most lexical tokens in a document ("This query is too large to execute.")."""
    max_nesting: int = 100
    """Deepest nesting of brackets (``{`` and ``[``) in a document, checked before parsing:
    the parser recurses per level ("This query is too large to execute.")."""


@dataclass
class GraphQLResult:
    """What the endpoint answers, plus what the journal and fault matching want to know."""

    status: int
    body: dict[str, Any]
    operation_name: str | None = None
    root_fields: tuple[str, ...] = ()
    changed: bool = False  # whether a mutation changed state


def webhook_gid(webhook_id: int) -> str:
    """``gid://shopify/WebhookSubscription/{id}``: the REST id inside a global id."""
    return f"{WEBHOOK_GID}{webhook_id}"


def gid_to_id(value: object) -> int | None:
    """The numeric id of a WebhookSubscription global id (or bare number), ``None`` if none."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= MAX_ID else None
    text = str(value)
    if text.startswith(WEBHOOK_GID):
        text = text[len(WEBHOOK_GID) :]
    # ASCII digits only, and at most 64 bits: checked before int(), which refuses strings
    # past Python's int-string conversion limit.
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > 19:
        return None
    number = int(text)
    return number if number <= MAX_ID else None


_Request = tuple[str, dict[str, Any], str | None]  # query, variables, operationName


@dataclass
class _Parsed:
    document: DocumentNode | None
    errors: list[dict[str, Any]]


@dataclass
class _RequestContext:
    backend: ShopifyBackend
    installation: Installation
    features: SchemaFeatures
    origin: Origin
    max_page_size: int = 250
    returned: list[int] = field(default_factory=list)  # items per connection, in order
    changed: bool = False


class GraphQLEngine:
    """Executes GraphQL Admin API requests against a backend for an authenticated installation.

    One per fake; it holds a bounded cache of parsed and validated documents (clients send the
    same few documents over and over). Cost buckets live in the fake's ``RateLimiter``.
    """

    def __init__(
        self, *, options: GraphQLOptions | None = None, body_limits: BodyLimits | None = None
    ) -> None:
        self.options = options if options is not None else GraphQLOptions()
        self.body_limits = body_limits if body_limits is not None else DEFAULT_BODY_LIMITS
        # Bounded caches: clients send the same few documents again and again.
        self._documents: OrderedDict[str, DocumentNode | GraphQLError] = OrderedDict()
        self._parsed: OrderedDict[tuple[SchemaFeatures, str], _Parsed] = OrderedDict()
        self._actions: dict[tuple[str, str | None], tuple[str, ...]] = {}
        self._last_read: tuple[tuple[bytes, str | None], _Request | None] | None = None
        self._topics = tuple(topic_table.graphql_enum_values())

    def handle(self, call: Call) -> Reply:
        """The wire handler of the ``graphql`` route (called by ``FakeShopify.handle``)."""
        result = self.execute(
            call.backend,
            call.installation,
            version=call.version,
            body=call.request.content,
            content_type=call.request.headers.get("content-type"),
            request_id=call.request_id,
            limiter=call.limiter,
            now=call.now,
        )
        return Reply(result.status, result.body)

    # -- request parsing ---------------------------------------------------------------------
    def read_request(self, body: bytes, content_type: str | None) -> _Request | None:
        """``(query, variables, operationName)`` of a request body, ``None`` when unusable.

        The last answer is kept: fault matching and execution read the same request in turn.
        """
        key = (body, content_type)
        if self._last_read is not None and self._last_read[0] == key:
            return self._last_read[1]
        found = _read_request(body, content_type, self.body_limits)
        self._last_read = (key, found)
        return found

    def actions(self, body: bytes, content_type: str | None) -> tuple[str, ...]:
        """Names a fault can match a GraphQL request by: its operation name and root fields."""
        request = self.read_request(body, content_type)
        if request is None:
            return ()
        query, _, operation_name = request
        key = (query, operation_name)
        cached = self._actions.get(key)
        if cached is not None:
            return cached
        document = self._document(query)
        operation = (
            _operation(document, operation_name) if isinstance(document, DocumentNode) else None
        )
        names: tuple[str, ...] = ()
        if operation is not None:
            found = [operation.name.value] if operation.name else []
            found.extend(f.name.value for f in _root_fields(operation, document))  # type: ignore[arg-type]
            names = tuple(dict.fromkeys(found))
        self._actions[key] = names
        if len(self._actions) > DOCUMENT_CACHE_SIZE:
            self._actions.pop(next(iter(self._actions)))
        return names

    def _document(self, query: str) -> DocumentNode | GraphQLError:
        cached = self._documents.get(query)
        if cached is not None:
            self._documents.move_to_end(query)
            return cached
        options = self.options
        document: DocumentNode | GraphQLError
        if nesting(query, options.max_nesting) > options.max_nesting:
            document = DocumentTooLarge("too deeply nested")
        else:
            try:
                document = parse(query, max_tokens=options.max_tokens)
            except GraphQLError as error:
                too_many = error.message == (
                    f"Syntax Error: Document contains more than {options.max_tokens} tokens. "
                    "Parsing aborted."
                )
                document = (
                    DocumentTooLarge(error.message, source=error.source, positions=error.positions)
                    if too_many
                    else error
                )
            except RecursionError:  # a deep stack before the call, with a high max_nesting
                document = DocumentTooLarge("too deeply nested")
        self._documents[query] = document
        if len(self._documents) > DOCUMENT_CACHE_SIZE:
            self._documents.popitem(last=False)
        return document

    def _parse(self, features: SchemaFeatures, query: str) -> _Parsed:
        key = (features, query)
        cached = self._parsed.get(key)
        if cached is not None:
            self._parsed.move_to_end(key)
            return cached
        document = self._document(query)
        if isinstance(document, DocumentTooLarge):
            parsed = _Parsed(None, [too_large_error(document)])
        elif isinstance(document, GraphQLError):
            parsed = _Parsed(None, [render_parse_error(document, query)])
        else:
            # Before validation: graphql-core's validation expands fragments as execution does.
            too_much = document_errors(
                document,
                max_depth=self.options.max_depth,
                max_complexity=self.options.max_complexity,
            )
            if too_much:
                parsed = _Parsed(None, too_much)
            else:
                schema = schema_for(features, self._topics)
                errors = validate(schema, document, VALIDATION_RULES)
                parsed = _Parsed(
                    document,
                    [
                        # graphql-core gives up on a document past its own work budget (or its
                        # recursion): graphql-ruby's words for a document it cannot take.
                        too_large_error()
                        if e.message == VALIDATION_ABORTED
                        else render_static_error(e)
                        for e in errors
                    ],
                )
        self._parsed[key] = parsed
        if len(self._parsed) > DOCUMENT_CACHE_SIZE:
            self._parsed.popitem(last=False)
        return parsed

    # -- execution ---------------------------------------------------------------------------
    def execute(
        self,
        backend: ShopifyBackend,
        installation: Installation,
        *,
        version: str,
        body: bytes,
        content_type: str | None = "application/json",
        request_id: str | None = None,
        limiter: RateLimiter,
        now: float,
    ) -> GraphQLResult:
        """Serve one ``POST /admin/api/{version}/graphql.json`` (``version``: the served one).

        ``now`` is the clock at the start of the request (POSIX seconds), as the REST layer
        gets it; a disabled ``limiter`` still reports ``extensions.cost`` but never throttles.
        """
        request = self.read_request(body, content_type)
        if request is None:
            return GraphQLResult(400, dict(MISSING_QUERY_BODY))
        query, variables, operation_name = request
        features = features_for(version)
        parsed = self._parse(features, query)
        if parsed.errors or parsed.document is None:
            return GraphQLResult(200, {"errors": parsed.errors})
        document = parsed.document
        operation = _operation(document, operation_name)
        if operation is None:
            message = (
                f'No operation named "{operation_name}"'
                if operation_name
                else "An operation name is required"
            )
            return GraphQLResult(200, {"errors": [{"message": message}]})
        root_names = tuple(f.name.value for f in _root_fields(operation, document))
        op_name = operation.name.value if operation.name else None
        schema = schema_for(features, self._topics)
        values, variable_errors = coerce_variables(
            schema, tuple(operation.variable_definitions or ()), variables
        )
        if variable_errors:
            return GraphQLResult(200, {"errors": variable_errors}, op_name, root_names)
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        cost: QueryCost = operation_cost(schema, operation, fragments, values)
        if cost.requested > self.options.max_query_cost:
            too_costly = max_cost_error(cost.requested, self.options.max_query_cost)
            return GraphQLResult(200, {"errors": [too_costly]}, op_name, root_names)
        shop = installation.shop
        bucket = limiter.graphql(shop.handle, installation.app.name, shop.plan, now)
        if limiter.enabled and not bucket.spend(cost.requested, now):
            body_out: dict[str, Any] = {
                "errors": [throttled_error()],
                "extensions": cost_extension(cost.requested, None, bucket, now),
            }
            return GraphQLResult(200, body_out, op_name, root_names)
        context = _RequestContext(
            backend=backend,
            installation=installation,
            features=features,
            origin=Origin(
                app=installation.app.name,
                token=installation.access_token,
                request_id=request_id,
                api="graphql",
            ),
            max_page_size=self.options.max_page_size,
        )
        result = execute(
            schema,
            document,
            root_value=_Root(context),
            variable_values=values,
            operation_name=operation_name,
        )
        assert not hasattr(result, "__await__")  # every resolver is synchronous
        actual = cost.actual(context.returned)
        if limiter.enabled:
            # Shopify takes the requested cost up front and refunds the unused part.
            refund = max(cost.requested - actual, 0)
            bucket.available = min(bucket.maximum, bucket.available + refund)
        out: dict[str, Any] = {}
        errors = getattr(result, "errors", None)
        if errors:
            out["errors"] = [_render_execution_error(e, request_id) for e in errors]
        out["data"] = getattr(result, "data", None)
        out["extensions"] = cost_extension(cost.requested, actual, bucket, now)
        return GraphQLResult(200, out, op_name, root_names, changed=context.changed)


def _read_request(body: bytes, content_type: str | None, limits: BodyLimits) -> _Request | None:
    if content_type is not None and content_type.split(";")[0].strip() == "application/graphql":
        text = body.decode("utf-8", "replace")
        return (text, {}, None) if text.strip() else None
    try:
        payload = load_json(body or b"null", limits)
    except MalformedBodyError:
        return None
    if not isinstance(payload, dict):
        return None
    query = payload.get("query")
    if not isinstance(query, str) or not query.strip():
        return None
    variables = payload.get("variables")
    if isinstance(variables, str):
        try:
            variables = load_json(variables, limits) if variables.strip() else {}
        except MalformedBodyError:
            return None
    if variables is None:
        variables = {}
    if not isinstance(variables, dict):
        return None
    name = payload.get("operationName")
    return query, variables, name if isinstance(name, str) and name else None


def _operation(document: DocumentNode | None, name: str | None) -> OperationDefinitionNode | None:
    if document is None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    for operation in operations:
        if operation.name is not None and operation.name.value == name:
            return operation
    return None


def _root_fields(
    operation: OperationDefinitionNode, document: DocumentNode | None
) -> list[FieldNode]:
    from fake_shopify.graphql.cost import _fields

    fragments = {
        d.name.value: d
        for d in (document.definitions if document else ())
        if isinstance(d, FragmentDefinitionNode)
    }
    return list(_fields(operation.selection_set, fragments))


def _render_execution_error(error: GraphQLError, request_id: str | None) -> dict[str, Any]:
    original = error.original_error
    if original is not None and not isinstance(original, GraphQLError):
        # A resolver failed in a way the fake did not foresee: a bug of the fake. Answered as
        # Shopify answers its own internal errors (reference section 4), never with Python's
        # text; the fuzz tests (tests/fake/test_malformed_requests.py) keep this unreachable.
        rendered_internal: dict[str, Any] = {
            "message": (
                "Internal error. Looks like something went wrong on our end.\n"
                f"Request ID: {request_id or ''} (include this in support requests)."
            ),
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id or ""},
        }
        if error.path:
            rendered_internal["path"] = list(error.path)
        return rendered_internal
    rendered: dict[str, Any] = {"message": error.message}
    extensions = dict(error.extensions or {})
    # Resolver-raised request errors come without locations, as Shopify sends them
    # ("you must provide one of first or last", reference section 4).
    if error.locations and extensions.get("code") != "BAD_REQUEST":
        rendered["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations
        ]
    if error.path:
        rendered["path"] = list(error.path)
    if not extensions:
        extensions = {"code": "INTERNAL_SERVER_ERROR"}
    rendered["extensions"] = extensions
    return rendered


# -- rendering records -------------------------------------------------------------------------


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _endpoint(address: str) -> dict[str, Any]:
    if address.startswith("pubsub://"):
        project, _, pubsub_topic = address.removeprefix("pubsub://").partition(":")
        return {
            "__typename": "WebhookPubSubEndpoint",
            "pubSubProject": project,
            "pubSubTopic": pubsub_topic,
        }
    if address.startswith("arn:"):
        return {"__typename": "WebhookEventBridgeEndpoint", "arn": address}
    return {"__typename": "WebhookHttpEndpoint", "callbackUrl": address}


def _api_version(handle: str, now: datetime) -> dict[str, Any]:
    # Releases happen on the hour (17:00 UTC): the answer is the same for the whole hour.
    return dict(
        _api_version_at(handle, now.astimezone(UTC).replace(minute=0, second=0, microsecond=0))
    )


@lru_cache(maxsize=64)
def _api_version_at(handle: str, now: datetime) -> tuple[tuple[str, Any], ...]:
    return tuple(_api_version_uncached(handle, now).items())


def _api_version_uncached(handle: str, now: datetime) -> dict[str, Any]:
    supported = supported_versions(now)
    if handle == "unstable":
        return {"handle": handle, "displayName": "unstable", "supported": False}
    if handle == release_candidate(now):
        display = f"{handle} (Release candidate)"
    elif handle == latest_stable(now):
        display = f"{handle} (Latest)"
    else:
        display = handle
    return {"handle": handle, "displayName": display, "supported": handle in supported}


def render_webhook(
    webhook: Webhook, now: datetime, versions: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A subscription as a ``WebhookSubscription`` object (every field; the query selects).

    ``versions`` memoises the ``apiVersion`` objects within one request.
    """
    if versions is None:
        versions = {}
    api_version = versions.get(webhook.api_version)
    if api_version is None:
        api_version = versions[webhook.api_version] = _api_version(webhook.api_version, now)
    metafields = []
    for identifier in webhook.metafield_identifiers:
        namespace, _, key = identifier.rpartition(".")
        metafields.append({"namespace": namespace, "key": key})
    return {
        "apiVersion": api_version,
        "callbackUrl": webhook.address,
        "createdAt": _utc(webhook.created_at),
        "endpoint": _endpoint(webhook.address),
        "filter": webhook.filter,
        "format": webhook.format.upper(),
        "id": webhook.gid,
        "includeFields": list(webhook.fields),
        "legacyResourceId": str(webhook.id),
        "metafieldNamespaces": list(webhook.metafield_namespaces),
        "metafields": metafields,
        "name": webhook.name,
        "topic": topic_table.graphql_topic(webhook.topic),
        "updatedAt": _utc(webhook.updated_at),
        "uri": webhook.address,
    }


def _visible(webhook: Webhook) -> bool:
    # Compliance topics (customers/redact ...) have no GraphQL enum value; a REST-created one
    # cannot be rendered by the GraphQL API, so it is not listed there [I].
    return topic_table.graphql_topic(webhook.topic) is not None


def _cursor(webhook: Webhook, sort_key: str) -> str:
    value = (
        str(webhook.id)
        if sort_key == "ID"
        else webhook.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    )
    raw = json.dumps({"last_id": webhook.id, "last_value": value}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        payload = load_json(base64.b64decode(cursor.encode(), validate=True))
        last_id = payload["last_id"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise GraphQLError(
            f"Invalid cursor for current pagination sort: {cursor}",
            extensions={"code": "BAD_REQUEST"},
        ) from exc
    if type(last_id) is not int:
        raise GraphQLError(
            f"Invalid cursor for current pagination sort: {cursor}",
            extensions={"code": "BAD_REQUEST"},
        )
    return last_id


def _cloud_format_error(address: str | None, format: object) -> dict[str, Any] | None:
    """Pub/Sub and EventBridge destinations take JSON only (reference 5.4, captured)."""
    cloud = address is not None and address.strip().startswith(("pubsub://", "arn:"))
    if cloud and format == "XML":
        return {
            "field": ["webhookSubscription", "format"],
            "message": "Format can only be used with format: 'json'",
        }
    return None


def _user_errors(error: ValidationError) -> list[dict[str, Any]]:
    return [
        {"field": list(USER_ERROR_FIELDS.get(name, ["webhookSubscription", name])), "message": text}
        for name, text in error.full_messages()
    ]


class _Root:
    """Root value: graphql-core's default resolver calls these methods with the arguments."""

    def __init__(self, context: _RequestContext) -> None:
        self._ctx = context

    @property
    def _shop(self) -> str:
        return self._ctx.installation.shop.handle

    @property
    def _app(self) -> str:
        return self._ctx.installation.app.name

    def _now(self) -> datetime:
        return self._ctx.backend.now()

    # -- queries ---------------------------------------------------------------------------
    def shop(self, _info: Any) -> dict[str, Any]:
        shop = self._ctx.installation.shop
        # The same facts the REST shop.json renders (offset, IANA name, plan).
        offset = shop.local_time(shop.created_at)[-6:]
        _, iana = _timezone_names(shop)
        return {
            "currencyCode": "USD",
            "email": shop.email,
            "ianaTimezone": iana or "Etc/UTC",
            "id": f"gid://shopify/Shop/{shop.id}",
            "myshopifyDomain": shop.domain,
            "name": shop.name,
            "plan": {
                "displayName": "Shopify Plus" if shop.plan == "plus" else "Basic",
                "partnerDevelopment": False,
                "shopifyPlus": shop.plan == "plus",
            },
            "timezoneOffset": offset.replace(":", ""),
            "url": f"https://{shop.domain}",
        }

    def currentAppInstallation(self, _info: Any) -> dict[str, Any]:
        inst = self._ctx.installation
        return {
            "id": f"gid://shopify/AppInstallation/{inst.id}",
            "accessScopes": [{"handle": s, "description": s} for s in sorted(inst.scopes)],
            "app": {
                "id": f"gid://shopify/App/{inst.app.id}",
                "title": inst.app.name,
                "handle": inst.app.name,
                "apiKey": inst.app.client_id,
            },
        }

    def webhookSubscription(self, _info: Any, id: str) -> dict[str, Any] | None:
        webhook_id = gid_to_id(id)
        if webhook_id is None:
            return None
        try:
            webhook = self._ctx.backend.get_webhook(self._shop, self._app, webhook_id)
        except NotFoundError:
            return None
        return render_webhook(webhook, self._now()) if _visible(webhook) else None

    def _filtered(
        self,
        *,
        query: str | None,
        fields: frozenset[str],
        topics: list[str] | None = None,
        format: str | None = None,
        address: str | None = None,
    ) -> list[Webhook]:
        terms = parse_query(query, fields=fields)
        rest_topics = {topic_table.rest_topic(t) for t in topics} if topics else None
        out = []
        for webhook in self._ctx.backend.list_webhooks(self._shop, self._app):
            if not _visible(webhook):
                continue
            if rest_topics is not None and webhook.topic not in rest_topics:
                continue
            if format is not None and webhook.format != format.lower():
                continue
            if address is not None and webhook.address != address:
                continue
            values = {
                "id": webhook.id,
                "created_at": webhook.created_at,
                "updated_at": webhook.updated_at,
                "topic": webhook.topic,
                "endpoint": webhook.address,
            }
            if matches(terms, values.__getitem__):
                out.append(webhook)
        return out

    def webhookSubscriptions(self, _info: Any, **args: Any) -> dict[str, Any]:
        first, last = args.get("first"), args.get("last")
        if first is None and last is None:
            raise GraphQLError(
                "you must provide one of first or last", extensions={"code": "BAD_REQUEST"}
            )
        limit = self._ctx.max_page_size
        for size in (first, last):
            if size is not None and (size < 0 or size > limit):
                raise GraphQLError(
                    f"The page size must be between 0 and {limit}",
                    extensions={"code": "BAD_REQUEST"},
                )
        sort_key = args.get("sortKey") or "CREATED_AT"
        address = args.get("uri") or args.get("callbackUrl")
        items = self._filtered(
            query=args.get("query"),
            fields=LIST_FIELDS,
            topics=args.get("topics"),
            format=args.get("format"),
            address=address,
        )
        if sort_key == "ID":
            items.sort(key=lambda w: w.id)
        else:
            items.sort(key=lambda w: (w.created_at, w.id))
        if args.get("reverse"):
            items.reverse()
        positions = {w.id: i for i, w in enumerate(items)}
        start, stop = 0, len(items)
        after, before = args.get("after"), args.get("before")
        if after is not None:
            after_id = _decode_cursor(after)
            start = positions[after_id] + 1 if after_id in positions else start
        if before is not None:
            before_id = _decode_cursor(before)
            stop = positions.get(before_id, stop)
        window = items[start:stop] if start < stop else []
        if first is not None:
            window = window[:first]
        if last is not None:
            window = window[-last:] if last else []
        self._ctx.returned.append(len(window))
        now = self._now()
        versions: dict[str, dict[str, Any]] = {}
        nodes = [render_webhook(w, now, versions) for w in window]
        cursors = [_cursor(w, sort_key) for w in window]
        if window:
            first_pos, last_pos = positions[window[0].id], positions[window[-1].id]
            has_previous, has_next = first_pos > 0, last_pos < len(items) - 1
        else:
            has_previous = has_next = False
        return {
            "nodes": nodes,
            "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, nodes, strict=True)],
            "pageInfo": {
                "hasNextPage": has_next,
                "hasPreviousPage": has_previous,
                "startCursor": cursors[0] if cursors else None,
                "endCursor": cursors[-1] if cursors else None,
            },
        }

    def webhookSubscriptionsCount(
        self, _info: Any, query: str | None = None, limit: int | None = 10000
    ) -> dict[str, Any]:
        count = len(self._filtered(query=query, fields=COUNT_FIELDS))
        if limit is not None and count > limit:
            return {"count": limit, "precision": "AT_LEAST"}
        return {"count": count, "precision": "EXACT"}

    # -- mutations -------------------------------------------------------------------------
    def _address(self, subscription: Mapping[str, Any]) -> str | None:
        if self._ctx.features.uri and subscription.get("uri") is not None:
            return str(subscription["uri"])
        value = subscription.get("callbackUrl")
        return None if value is None else str(value)

    def webhookSubscriptionCreate(
        self, _info: Any, topic: str, webhookSubscription: Mapping[str, Any]
    ) -> dict[str, Any]:
        sub = webhookSubscription
        rest = topic_table.rest_topic(topic)
        assert rest is not None  # the enum only holds known topics
        format_error = _cloud_format_error(self._address(sub), sub.get("format"))
        if format_error is not None:
            return {"webhookSubscription": None, "userErrors": [format_error]}
        try:
            webhook = self._ctx.backend.create_webhook(
                self._shop,
                self._app,
                topic=rest,
                address=self._address(sub) or "",
                format=str(sub.get("format") or "JSON").lower(),
                fields=list(sub.get("includeFields") or ()),
                metafield_namespaces=list(sub.get("metafieldNamespaces") or ()),
                metafield_identifiers=[
                    f"{m['namespace']}.{m['key']}" for m in sub.get("metafields") or ()
                ],
                filter=sub.get("filter"),
                name=sub.get("name") if self._ctx.features.name else None,
                origin=self._ctx.origin,
            )
        except ValidationError as error:
            return {"webhookSubscription": None, "userErrors": _user_errors(error)}
        self._ctx.changed = True
        return {"webhookSubscription": render_webhook(webhook, self._now()), "userErrors": []}

    def webhookSubscriptionUpdate(
        self, _info: Any, id: str, webhookSubscription: Mapping[str, Any]
    ) -> dict[str, Any]:
        sub = webhookSubscription
        missing = {
            "webhookSubscription": None,
            "userErrors": [{"field": ["id"], "message": DOES_NOT_EXIST}],
        }
        webhook_id = gid_to_id(id)
        if webhook_id is None:
            return missing
        changes: dict[str, Any] = {}
        address = self._address(sub)
        if address is not None:
            changes["address"] = address
        if sub.get("format") is not None:
            changes["format"] = str(sub["format"]).lower()
        if "includeFields" in sub:
            changes["fields"] = list(sub["includeFields"] or ())
        if "metafieldNamespaces" in sub:
            changes["metafield_namespaces"] = list(sub["metafieldNamespaces"] or ())
        if "metafields" in sub:
            changes["metafield_identifiers"] = [
                f"{m['namespace']}.{m['key']}" for m in sub["metafields"] or ()
            ]
        if "filter" in sub:
            changes["filter"] = sub["filter"]
        if self._ctx.features.name and "name" in sub:
            changes["name"] = sub["name"]
        try:
            existing = self._ctx.backend.get_webhook(self._shop, self._app, webhook_id)
            if not _visible(existing):
                return missing
            format_error = _cloud_format_error(
                changes.get("address", existing.address),
                str(changes.get("format", existing.format)).upper(),
            )
            if format_error is not None:
                return {"webhookSubscription": None, "userErrors": [format_error]}
            webhook = self._ctx.backend.update_webhook(self._shop, self._app, webhook_id, **changes)
        except NotFoundError:
            return missing
        except ValidationError as error:
            return {"webhookSubscription": None, "userErrors": _user_errors(error)}
        self._ctx.changed = True
        return {"webhookSubscription": render_webhook(webhook, self._now()), "userErrors": []}

    def webhookSubscriptionDelete(self, _info: Any, id: str) -> dict[str, Any]:
        missing = {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [{"field": ["id"], "message": DOES_NOT_EXIST}],
        }
        webhook_id = gid_to_id(id)
        if webhook_id is None:
            return missing
        try:
            existing = self._ctx.backend.get_webhook(self._shop, self._app, webhook_id)
            if not _visible(existing):
                return missing
            self._ctx.backend.delete_webhook(self._shop, self._app, webhook_id)
        except NotFoundError:
            return missing
        self._ctx.changed = True
        return {"deletedWebhookSubscriptionId": webhook_gid(webhook_id), "userErrors": []}
