"""The GraphQL endpoint's wire layer, driven without HTTP: shapes and messages Shopify sends.

Expected bodies are Shopify's, as its documentation shows them
(https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits,
https://shopify.dev/docs/api/usage/response-codes and the webhookSubscription mutations'
userErrors), with ids and timestamps of this fake.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from fake_shopify.clock import ManualClock
from fake_shopify.graphql import GraphQLEngine, GraphQLOptions
from fake_shopify.ratelimit import CostBucket, RateLimiter
from fake_shopify.state import Installation, ShopifyBackend

START = datetime(2026, 5, 7, 0, 39, 20, tzinfo=UTC)

CREATE = """mutation webhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription {
      id
      topic
      format
      includeFields
      metafieldNamespaces
      filter
      createdAt
      updatedAt
      endpoint {
        __typename
        ... on WebhookHttpEndpoint { callbackUrl }
      }
    }
    userErrors { field message }
  }
}"""

UPDATE = """mutation webhookSubscriptionUpdate($id: ID!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionUpdate(id: $id, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic includeFields createdAt updatedAt uri }
    userErrors { field message }
  }
}"""

DELETE = """mutation webhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } }
}"""

DETAIL = """query webhookSubscriptionDetail($id: ID!) {
  webhookSubscription(id: $id) { id topic format createdAt updatedAt endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } }
}"""

LIST = """query WebhookSubscriptionList($first: Int, $after: String, $last: Int, $before: String, $sortKey: WebhookSubscriptionSortKeys, $reverse: Boolean, $query: String) {
  webhookSubscriptions(first: $first, after: $after, last: $last, before: $before, sortKey: $sortKey, reverse: $reverse, query: $query) {
    nodes { id topic format createdAt updatedAt endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } }
    edges { cursor node { id topic } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


class Harness:
    """A backend with one shop and app installed, and the engine in front of it."""

    def __init__(self, *, version: str = "2026-04", plan: str = "basic") -> None:
        self.clock = ManualClock(START)
        self.backend = ShopifyBackend(self.clock)
        self.backend.add_shop("acme", plan=plan)  # type: ignore[arg-type]
        self.backend.add_app("bot", scopes={"read_orders", "read_products"})
        self.installation: Installation = self.backend.install("acme", "bot")
        self.engine = GraphQLEngine(options=GraphQLOptions())
        self.limiter = RateLimiter()
        self.version = version

    def bucket(self) -> CostBucket:
        shop = self.installation.shop
        now = self.clock.now().timestamp()
        return self.limiter.graphql(shop.handle, "bot", shop.plan, now)

    def post(self, query: str, variables: dict[str, Any] | None = None, **extra: Any) -> Any:
        body = json.dumps({"query": query, "variables": variables or {}, **extra}).encode()
        result = self.engine.execute(
            self.backend,
            self.installation,
            version=self.version,
            body=body,
            limiter=self.limiter,
            now=self.clock.now().timestamp(),
        )
        assert result.status == 200, result.body
        return result.body

    def create(
        self, topic: str = "SHOP_UPDATE", uri: str = "https://example.com/hook", **input_: Any
    ) -> Any:
        key = "uri" if self.version >= "2025-10" else "callbackUrl"
        return self.post(CREATE, {"topic": topic, "webhookSubscription": {key: uri, **input_}})


def cost(requested: int, actual: int | None, available: int) -> dict[str, Any]:
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": 2000,
                "currentlyAvailable": available,
                "restoreRate": 100,
            },
        }
    }


def test_create_reproduces_the_captured_response() -> None:
    h = Harness()
    body = h.create(
        uri="https://example.com/hermes-webhook-conformance-1778114360237",
        filter="",
        format="JSON",
        includeFields=["id", "name"],
        metafieldNamespaces=["custom"],
    )
    [webhook] = h.backend.webhooks()
    assert body == {
        "data": {
            "webhookSubscriptionCreate": {
                "webhookSubscription": {
                    "id": f"gid://shopify/WebhookSubscription/{webhook.id}",
                    "topic": "SHOP_UPDATE",
                    "format": "JSON",
                    "includeFields": ["id", "name"],
                    "metafieldNamespaces": ["custom"],
                    "filter": "",
                    "createdAt": "2026-05-07T00:39:20Z",
                    "updatedAt": "2026-05-07T00:39:20Z",
                    "endpoint": {
                        "__typename": "WebhookHttpEndpoint",
                        "callbackUrl": "https://example.com/hermes-webhook-conformance-1778114360237",
                    },
                },
                "userErrors": [],
            }
        },
        "extensions": cost(10, 10, 1990),
    }
    assert webhook.origin.api == "graphql"
    assert webhook.origin.token == h.installation.access_token


def test_defaults_when_omitted_are_json_empty_lists_and_null_filter() -> None:
    h = Harness()
    node = h.create()["data"]["webhookSubscriptionCreate"]["webhookSubscription"]
    assert (node["format"], node["includeFields"], node["metafieldNamespaces"], node["filter"]) == (
        "JSON",
        [],
        [],
        None,
    )


def test_update_read_delete_lifecycle_matches_captures() -> None:
    h = Harness()
    gid = h.create(includeFields=["id", "name"])["data"]["webhookSubscriptionCreate"][
        "webhookSubscription"
    ]["id"]
    h.clock.advance(1)
    body = h.post(
        UPDATE,
        {
            "id": gid,
            "webhookSubscription": {"uri": "https://example.com/updated", "includeFields": ["id"]},
        },
    )
    assert body["data"]["webhookSubscriptionUpdate"] == {
        "webhookSubscription": {
            "id": gid,
            "topic": "SHOP_UPDATE",
            "includeFields": ["id"],
            "createdAt": "2026-05-07T00:39:20Z",
            "updatedAt": "2026-05-07T00:39:21Z",
            "uri": "https://example.com/updated",
        },
        "userErrors": [],
    }
    detail = h.post(DETAIL, {"id": gid})
    assert (
        detail["data"]["webhookSubscription"]["endpoint"]["callbackUrl"]
        == "https://example.com/updated"
    )
    assert detail["extensions"]["cost"]["requestedQueryCost"] == 1
    deleted = h.post(DELETE, {"id": gid})
    assert deleted["data"] == {
        "webhookSubscriptionDelete": {"deletedWebhookSubscriptionId": gid, "userErrors": []}
    }
    assert h.post(DETAIL, {"id": gid})["data"] == {"webhookSubscription": None}
    assert h.backend.webhooks() == []


def test_unknown_id_on_update_and_delete_is_a_user_error() -> None:
    h = Harness()
    unknown = "gid://shopify/WebhookSubscription/999999999999"
    update = h.post(
        UPDATE, {"id": unknown, "webhookSubscription": {"uri": "https://example.com/x"}}
    )
    delete = h.post(DELETE, {"id": unknown})
    assert update["data"]["webhookSubscriptionUpdate"] == {
        "webhookSubscription": None,
        "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
    }
    assert delete["data"]["webhookSubscriptionDelete"] == {
        "deletedWebhookSubscriptionId": None,
        "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
    }


def test_another_apps_subscription_does_not_exist_for_this_app() -> None:
    h = Harness()
    h.backend.add_app("other")
    h.backend.install("acme", "other")
    theirs = h.backend.create_webhook(
        "acme", "other", topic="shop/update", address="https://o.example/x"
    )
    delete = h.post(DELETE, {"id": theirs.gid})
    assert delete["data"]["webhookSubscriptionDelete"]["deletedWebhookSubscriptionId"] is None
    assert h.post(DETAIL, {"id": theirs.gid})["data"] == {"webhookSubscription": None}
    assert [w.id for w in h.backend.webhooks()] == [theirs.id]


@pytest.mark.parametrize(
    ("uri", "field", "messages"),
    [
        ("", ["webhookSubscription", "callbackUrl"], ["Address can't be blank"]),
        ("   ", ["webhookSubscription", "callbackUrl"], ["Address can't be blank"]),
        (
            "http://example.com/x",
            ["webhookSubscription", "callbackUrl"],
            ["Address protocol http:// is not supported"],
        ),
        (
            "ftp://example.com/x",
            ["webhookSubscription", "callbackUrl"],
            ["Address protocol ftp:// is not supported"],
        ),
        ("https://", ["webhookSubscription", "callbackUrl"], ["Address is invalid"]),
        (
            "https://acme.myshopify.com/hook",
            ["webhookSubscription", "callbackUrl"],
            ["Address cannot be a Shopify or an internal domain"],
        ),
        (
            "pubsub://valid-project:",
            ["webhookSubscription", "callbackUrl"],
            [
                "Address protocol pubsub:// is not supported",
                "Address is not a valid GCP pub/sub format. Format should be pubsub://project:topic",
            ],
        ),
    ],
)
def test_address_user_errors_of_the_catalogue(
    uri: str, field: list[str], messages: list[str]
) -> None:
    h = Harness()
    body = h.create(uri=uri)
    assert body["data"]["webhookSubscriptionCreate"] == {
        "webhookSubscription": None,
        "userErrors": [{"field": field, "message": m} for m in messages],
    }
    assert h.backend.webhooks() == []


def test_duplicate_and_name_user_errors() -> None:
    h = Harness()
    h.create(uri="https://example.com/a", name="first")
    dup = h.create(uri="https://example.com/a")
    assert dup["data"]["webhookSubscriptionCreate"]["userErrors"] == [
        {
            "field": ["webhookSubscription", "callbackUrl"],
            "message": "Address for this topic has already been taken",
        }
    ]
    xml_ok = h.create(uri="https://example.com/a", format="XML")
    assert xml_ok["data"]["webhookSubscriptionCreate"]["userErrors"] == []
    empty = h.create(uri="https://example.com/b", name="")
    assert empty["data"]["webhookSubscriptionCreate"]["userErrors"] == [
        {
            "field": ["webhookSubscription", "name"],
            "message": "Name is too short (minimum is 1 character)",
        },
        {
            "field": ["webhookSubscription", "name"],
            "message": "Name name field can only contain alphanumeric characters, underscores, and hyphens",
        },
    ]
    taken = h.create(uri="https://example.com/c", name="FIRST")
    assert taken["data"]["webhookSubscriptionCreate"]["userErrors"] == [
        {
            "field": ["webhookSubscription", "name"],
            "message": "Name already exists, no duplicate allowed",
        }
    ]


def test_failed_update_leaves_the_record_unchanged() -> None:
    h = Harness()
    gid = h.create()["data"]["webhookSubscriptionCreate"]["webhookSubscription"]["id"]
    before = h.post(DETAIL, {"id": gid})["data"]
    for uri in ("", "http://example.com/x", "https://"):
        body = h.post(UPDATE, {"id": gid, "webhookSubscription": {"uri": uri}})
        assert body["data"]["webhookSubscriptionUpdate"]["webhookSubscription"] is None
    assert h.post(DETAIL, {"id": gid})["data"] == before


MISSING_TOPIC = """mutation MissingCreateWebhookTopic {
  webhookSubscriptionCreate(webhookSubscription: {uri: "https://example.com/x"}) {
    webhookSubscription { id }
    userErrors { field message }
  }
}"""

NULL_UPDATE = """mutation NullUpdateWebhookInput {
  webhookSubscriptionUpdate(id: "gid://shopify/WebhookSubscription/1", webhookSubscription: null) {
    webhookSubscription { id }
    userErrors { field message }
  }
}"""

BOGUS_TOPIC = """mutation WebhookSubscriptionBogusTopic {
  webhookSubscriptionCreate(topic: NOT_A_REAL_TOPIC, webhookSubscription: {uri: "https://example.com/x"}) {
    webhookSubscription { id }
    userErrors { field message }
  }
}"""

BAD_SORT = """query InvalidWebhookSubscriptionSortKey {
  webhookSubscriptions(first: 1, sortKey: TOPIC) { nodes { id } }
}"""


def test_missing_required_argument_shape() -> None:
    assert Harness().post(MISSING_TOPIC) == {
        "errors": [
            {
                "message": "Field 'webhookSubscriptionCreate' is missing required arguments: topic",
                "locations": [{"line": 2, "column": 3}],
                "path": ["mutation MissingCreateWebhookTopic", "webhookSubscriptionCreate"],
                "extensions": {
                    "code": "missingRequiredArguments",
                    "className": "Field",
                    "name": "webhookSubscriptionCreate",
                    "arguments": "topic",
                },
            }
        ]
    }


@pytest.mark.parametrize(
    ("query", "operation", "field", "argument", "value", "expected"),
    [
        (
            BOGUS_TOPIC,
            "mutation WebhookSubscriptionBogusTopic",
            "webhookSubscriptionCreate",
            "topic",
            "NOT_A_REAL_TOPIC",
            "WebhookSubscriptionTopic!",
        ),
        (
            NULL_UPDATE,
            "mutation NullUpdateWebhookInput",
            "webhookSubscriptionUpdate",
            "webhookSubscription",
            "null",
            "WebhookSubscriptionInput!",
        ),
        (
            BAD_SORT,
            "query InvalidWebhookSubscriptionSortKey",
            "webhookSubscriptions",
            "sortKey",
            "TOPIC",
            "WebhookSubscriptionSortKeys",
        ),
    ],
)
def test_invalid_argument_literal_shape(
    query: str, operation: str, field: str, argument: str, value: str, expected: str
) -> None:
    assert Harness().post(query) == {
        "errors": [
            {
                "message": f"Argument '{argument}' on Field '{field}' has an invalid value ({value}). Expected type '{expected}'.",
                "locations": [{"line": 2, "column": 3}],
                "path": [operation, field, argument],
                "extensions": {
                    "code": "argumentLiteralsIncompatible",
                    "typeName": "Field",
                    "argumentName": argument,
                },
            }
        ]
    }


def test_invalid_enum_variable_lists_every_topic_in_schema_order() -> None:
    from fake_shopify.topics import graphql_enum_values

    h = Harness()
    body = h.post(
        CREATE, {"topic": "NOT_A_REAL_TOPIC", "webhookSubscription": {"uri": "https://e.com/x"}}
    )
    assert body == {
        "errors": [
            {
                "message": "Variable $topic of type WebhookSubscriptionTopic! was provided invalid value",
                "locations": [{"line": 1, "column": 36}],
                "extensions": {
                    "code": "INVALID_VARIABLE",
                    "value": "NOT_A_REAL_TOPIC",
                    "problems": [
                        {
                            "path": [],
                            "explanation": 'Expected "NOT_A_REAL_TOPIC" to be one of: '
                            + ", ".join(graphql_enum_values()),
                        }
                    ],
                },
            }
        ]
    }


def test_missing_and_nested_invalid_variables() -> None:
    h = Harness()
    missing = h.post(CREATE, {"topic": "SHOP_UPDATE"})
    assert missing["errors"][0]["message"] == (
        "Variable $webhookSubscription of type WebhookSubscriptionInput! was provided invalid value"
    )
    assert missing["errors"][0]["extensions"] == {
        "code": "INVALID_VARIABLE",
        "value": None,
        "problems": [{"path": [], "explanation": "Expected value to not be null"}],
    }
    old = Harness(version="2025-01")
    bad_url = old.post(
        CREATE,
        {
            "topic": "SHOP_UPDATE",
            "webhookSubscription": {"callbackUrl": "/webhook/app-uninstalled"},
        },
    )
    assert bad_url["errors"][0]["message"] == (
        "Variable $webhookSubscription of type WebhookSubscriptionInput! was provided invalid "
        "value for callbackUrl (Invalid url '/webhook/app-uninstalled', missing scheme)"
    )


def test_parse_error_and_unknown_field_shapes() -> None:
    h = Harness()
    assert h.post("query GraphqlBaseValidationInvalidSyntax {\n  shop {\n    id\n") == {
        "errors": [
            {
                "message": "syntax error, unexpected end of file at [3, 5]",
                "locations": [{"line": 3, "column": 5}],
                "extensions": {"code": "PARSE_ERROR"},
            }
        ]
    }
    assert h.post("query GraphqlBaseValidationMissingSubselection {\n  shop\n}\n") == {
        "errors": [
            {
                "message": "Field must have selections (field 'shop' returns Shop but has no selections. Did you mean 'shop { ... }'?)",
                "locations": [{"line": 2, "column": 3}],
                "path": ["query GraphqlBaseValidationMissingSubselection", "shop"],
                "extensions": {
                    "code": "selectionMismatch",
                    "nodeName": "field 'shop'",
                    "typeName": "Shop",
                },
            }
        ]
    }
    unknown = h.post(
        "mutation M {\n  definitelyNotAShopifyMutationRoot(input: {}) {\n    id\n  }\n}\n"
    )
    assert unknown["errors"][0]["extensions"] == {
        "code": "undefinedField",
        "typeName": "Mutation",
        "fieldName": "definitelyNotAShopifyMutationRoot",
    }


def test_missing_query_is_a_400() -> None:
    h = Harness()
    for body in (b"", b"{}", b'{"query": ""}', b"not json"):
        result = h.engine.execute(
            h.backend,
            h.installation,
            version="2026-04",
            body=body,
            limiter=h.limiter,
            now=h.clock.now().timestamp(),
        )
        assert (result.status, result.body) == (
            400,
            {"errors": {"query": "Required parameter missing or invalid"}},
        )


def test_version_differences_in_the_schema() -> None:
    old = Harness(version="2025-01")
    uri_on_old = old.post("{ webhookSubscriptions(first: 1) { nodes { uri } } }")
    assert uri_on_old["errors"][0]["extensions"]["code"] == "undefinedField"
    created = old.create(uri="https://example.com/old")
    assert created["data"]["webhookSubscriptionCreate"]["userErrors"] == []
    mid = Harness(version="2025-10")
    no_name = mid.post("{ webhookSubscriptions(first: 1) { nodes { name } } }")
    assert (
        no_name["errors"][0]["message"]
        == "Field 'name' doesn't exist on type 'WebhookSubscription'"
    )
    new = Harness(version="2026-04")
    body = new.create(name="orders-sync")
    assert body["data"]["webhookSubscriptionCreate"]["userErrors"] == []
    assert new.backend.webhooks()[0].name == "orders-sync"


def _cursor(webhook_id: int, value: str) -> str:
    raw = json.dumps({"last_id": webhook_id, "last_value": value}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def test_connection_pagination_matches_the_list_capture() -> None:
    h = Harness()
    ids = []
    for topic, advance in (("ORDERS_CREATE", 0), ("ORDERS_PAID", 0), ("PRODUCTS_CREATE", 1)):
        h.clock.advance(advance)
        gid = h.create(topic=topic, uri=f"https://example.com/{topic}")["data"][
            "webhookSubscriptionCreate"
        ]["webhookSubscription"]["id"]
        ids.append(int(gid.rsplit("/", 1)[1]))
    stamps = [
        "2026-05-07 00:39:20.000000",
        "2026-05-07 00:39:20.000000",
        "2026-05-07 00:39:21.000000",
    ]
    cursors = [_cursor(i, s) for i, s in zip(ids, stamps, strict=True)]

    full = h.post(LIST, {"first": 3})
    assert [e["cursor"] for e in full["data"]["webhookSubscriptions"]["edges"]] == cursors
    assert full["extensions"]["cost"]["requestedQueryCost"] == 6
    page1 = h.post(LIST, {"first": 2})["data"]["webhookSubscriptions"]
    assert page1["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": cursors[0],
        "endCursor": cursors[1],
    }
    page2 = h.post(LIST, {"first": 2, "after": cursors[1]})
    assert page2["data"]["webhookSubscriptions"]["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": cursors[2],
        "endCursor": cursors[2],
    }
    assert page2["extensions"]["cost"]["requestedQueryCost"] == 4
    before = h.post(LIST, {"last": 1, "before": cursors[2]})
    assert [n["topic"] for n in before["data"]["webhookSubscriptions"]["nodes"]] == ["ORDERS_PAID"]
    assert before["data"]["webhookSubscriptions"]["pageInfo"]["hasNextPage"] is True
    assert before["data"]["webhookSubscriptions"]["pageInfo"]["hasPreviousPage"] is True
    assert before["extensions"]["cost"]["requestedQueryCost"] == 4
    reverse = h.post(LIST, {"first": 3, "sortKey": "ID", "reverse": True})
    assert [e["cursor"] for e in reverse["data"]["webhookSubscriptions"]["edges"]] == [
        _cursor(i, str(i)) for i in reversed(ids)
    ]
    since = h.post(LIST, {"first": 3, "query": "created_at:>=2026-05-07T00:39:21Z"})
    assert [n["topic"] for n in since["data"]["webhookSubscriptions"]["nodes"]] == [
        "PRODUCTS_CREATE"
    ]
    assert h.post(LIST, {"first": 3, "query": "updated_at:<=2100-01-01"})["data"] == full["data"]


def test_connection_without_first_or_last_is_a_bad_request() -> None:
    body = Harness().post("{ webhookSubscriptions { nodes { id } } }")
    assert body["errors"] == [
        {
            "message": "you must provide one of first or last",
            "path": ["webhookSubscriptions"],
            "extensions": {"code": "BAD_REQUEST"},
        }
    ]
    assert body["data"] is None


def test_count_topics_filter_shop_and_access_scopes() -> None:
    h = Harness()
    h.create(topic="ORDERS_CREATE", uri="https://example.com/1")
    h.create(topic="ORDERS_PAID", uri="https://example.com/2")
    body = h.post(
        """{
          all: webhookSubscriptionsCount { count precision }
          capped: webhookSubscriptionsCount(limit: 1) { count precision }
          paid: webhookSubscriptionsCount(query: "topic:orders/paid") { count precision }
          byTopic: webhookSubscriptions(first: 5, topics: [ORDERS_CREATE]) { nodes { topic } }
          shop { myshopifyDomain plan { shopifyPlus } }
          currentAppInstallation { accessScopes { handle } }
        }"""
    )
    assert body["data"] == {
        "all": {"count": 2, "precision": "EXACT"},
        "capped": {"count": 1, "precision": "AT_LEAST"},
        "paid": {"count": 1, "precision": "EXACT"},
        "byTopic": {"nodes": [{"topic": "ORDERS_CREATE"}]},
        "shop": {"myshopifyDomain": "acme.myshopify.com", "plan": {"shopifyPlus": False}},
        "currentAppInstallation": {
            "accessScopes": [{"handle": "read_orders"}, {"handle": "read_products"}]
        },
    }


def test_three_mutations_cost_thirty_and_the_bucket_restores_on_the_clock() -> None:
    h = Harness()
    doc = """mutation {
      a: webhookSubscriptionDelete(id: "gid://shopify/WebhookSubscription/1") { userErrors { message } }
      b: webhookSubscriptionDelete(id: "gid://shopify/WebhookSubscription/2") { userErrors { message } }
      c: webhookSubscriptionDelete(id: "gid://shopify/WebhookSubscription/3") { userErrors { message } }
    }"""
    assert h.post(doc)["extensions"] == cost(30, 30, 1970)
    h.clock.advance(0.25)  # 25 points restored
    assert h.post(DETAIL, {"id": "gid://shopify/WebhookSubscription/1"})["extensions"] == cost(
        1, 1, 1994
    )


def test_throttled_at_http_200_with_null_actual_cost() -> None:
    h = Harness()
    h.bucket().available = 5
    body = h.create()
    assert body == {
        "errors": [
            {
                "message": "Throttled",
                "extensions": {
                    "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                },
            }
        ],
        "extensions": cost(10, None, 5),
    }
    assert h.backend.webhooks() == []
    h.clock.advance(0.25)  # 25 more points restored: enough
    assert h.create()["data"]["webhookSubscriptionCreate"]["userErrors"] == []


def test_max_cost_exceeded() -> None:
    h = Harness()
    at_limit = h.post(
        "{ a: webhookSubscriptions(first: 250) { nodes { id } edges { cursor } } "
        "b: webhookSubscriptions(first: 250) { nodes { id } edges { cursor } } }"
    )
    assert "errors" not in at_limit
    assert at_limit["extensions"]["cost"]["requestedQueryCost"] == 1000
    assert at_limit["extensions"]["cost"]["actualQueryCost"] == 8  # nothing to return
    body = h.post(
        "{ a: webhookSubscriptions(first: 250) { nodes { id } edges { cursor } } "
        "b: webhookSubscriptions(first: 250) { nodes { id } edges { cursor } } shop { id } }"
    )
    [error] = body["errors"]
    assert error["message"].startswith(
        "Query cost is 1001, which exceeds the single query max cost limit (1000).\n\nSee "
    )
    assert error["extensions"] == {
        "code": "MAX_COST_EXCEEDED",
        "cost": 1001,
        "maxCost": 1000,
        "documentation": "https://shopify.dev/api/usage/limits#rate-limits",
    }
    assert "data" not in body


def test_actions_name_the_operation_and_its_root_fields() -> None:
    h = Harness()
    body = json.dumps({"query": CREATE}).encode()
    assert h.engine.actions(body, "application/json") == ("webhookSubscriptionCreate",)
    body = json.dumps(
        {"query": "query Sync { shop { id } webhookSubscriptions(first: 1) { nodes { id } } }"}
    ).encode()
    assert h.engine.actions(body, "application/json") == (
        "Sync",
        "shop",
        "webhookSubscriptions",
    )


def test_topic_outside_the_granted_scopes_is_a_user_error_on_topic() -> None:
    h = Harness()
    body = h.create(topic="CUSTOMERS_CREATE")  # the app holds read_orders and read_products
    [error] = body["data"]["webhookSubscriptionCreate"]["userErrors"]
    assert error["field"] == ["topic"]
    assert error["message"].startswith("Invalid topic specified: customers/create.")
    assert h.backend.webhooks() == []


def test_cloud_destinations_take_json_only() -> None:
    h = Harness()
    xml = h.create(uri="pubsub://project:topic", format="XML")
    assert xml["data"]["webhookSubscriptionCreate"] == {
        "webhookSubscription": None,
        "userErrors": [
            {
                "field": ["webhookSubscription", "format"],
                "message": "Format can only be used with format: 'json'",
            }
        ],
    }
    gid = h.create(uri="pubsub://project:topic")["data"]["webhookSubscriptionCreate"][
        "webhookSubscription"
    ]["id"]
    to_xml = h.post(UPDATE, {"id": gid, "webhookSubscription": {"format": "XML"}})
    assert to_xml["data"]["webhookSubscriptionUpdate"]["userErrors"][0]["field"] == [
        "webhookSubscription",
        "format",
    ]
    assert [w.format for w in h.backend.webhooks()] == ["json"]
    https_xml = h.create(uri="https://example.com/xml", format="XML")
    assert https_xml["data"]["webhookSubscriptionCreate"]["userErrors"] == []
