"""Malformed requests that used to crash or hang the fake, each answered in Shopify's shape.

One test per cause found adversarially (issue 15): bodies nested 100,000 deep, fragments that
spread themselves or double per level, 5,000-digit ids and ``first:`` values, a ``page_info``
holding ``1e999``, lone surrogates, and resolver failures that answered Python's error text.
Each asserts the exact status and body, and where the cause struck before authentication, that
a request without a token now gets the 401 first, quickly. The GraphQL limits are checked after
authentication and before execution: a refused mutation changes nothing.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fake_world import BASE, World, make_world

from fake_shopify import BodyLimits, FakeShopify, GraphQLOptions

UNAUTHORIZED = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
MISSING_QUERY = {"errors": {"query": "Required parameter missing or invalid"}}
NOT_FOUND = {"errors": "Not Found"}
JSON = {"Content-Type": "application/json"}
DIGITS_5000 = "9" * 5000
TOO_LARGE = {
    "errors": [
        {
            "message": "This query is too large to execute.",
            "locations": [],
            "extensions": {"code": "PARSE_ERROR"},
        }
    ]
}


@pytest.fixture
def anonymous(world: World) -> Iterator[httpx.Client]:
    client = httpx.Client(transport=world.fake.transport(), base_url=BASE)
    yield client
    client.close()


def brackets(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def self_spread() -> str:
    return "query { shop { ...F } } fragment F on Shop { name ...F }"


def doubling(levels: int) -> str:
    """Fragments that each spread the next twice: 2**levels fields once expanded."""
    fragments = " ".join(
        f"fragment F{i} on Shop {{ name plan {{ displayName }} ...F{i + 1} ...F{i + 1} }}"
        for i in range(levels)
    )
    return "{ shop { ...F0 } } " + fragments + f" fragment F{levels} on Shop {{ name }}"


def timed(send: Any) -> tuple[httpx.Response, float]:
    start = time.process_time()  # CPU time: a loaded machine does not stretch it
    response = send()
    return response, time.process_time() - start


# -- 1. a body of 100,000 nested brackets ---------------------------------------------------------


def test_rest_body_nested_100000_deep_is_a_400(world: World) -> None:
    response = world.client.post("/webhooks.json", content=brackets(100_000), headers=JSON)
    assert response.status_code == 400
    assert response.json() == {
        "errors": "Bad Request: the request body is not valid JSON: "
        "nesting of 101 is too deep (the limit is 100)"
    }


def test_rest_body_nested_inside_the_root_object_is_a_400(world: World) -> None:
    body = b'{"webhook": {"fields": ' + brackets(100_000) + b"}}"
    response = world.client.post("/webhooks.json", content=body, headers=JSON)
    assert response.status_code == 400
    assert response.json() == {
        "errors": "Bad Request: the request body is not valid JSON: "
        "nesting of 101 is too deep (the limit is 100)"
    }


def test_body_at_the_nesting_limit_is_parsed(world: World) -> None:
    # Depth 100 is allowed: the webhook root object and 98 levels of lists below it.
    fields = b"[" * 98 + b"]" * 98
    body = b'{"webhook": {"topic": "orders/create", "address": "https://e.example/h", '
    body += b'"fields": ' + fields + b"}}"
    response = world.client.post("/webhooks.json", content=body, headers=JSON)
    assert response.status_code == 422  # parsed; then "fields" is not a list of strings
    assert response.json() == {"errors": {"fields": ["is invalid"]}}


def test_graphql_body_nested_100000_deep_is_a_400_after_the_token(
    world: World, anonymous: httpx.Client
) -> None:
    response = world.client.post("/graphql.json", content=brackets(100_000), headers=JSON)
    assert response.status_code == 400
    assert response.json() == MISSING_QUERY
    response, took = timed(
        lambda: anonymous.post("/graphql.json", content=brackets(100_000), headers=JSON)
    )
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert took < 1.0


def test_body_limits_are_configurable() -> None:
    world = make_world(body_limits=BodyLimits(max_depth=3, max_int_digits=5))
    deep = b'{"webhook": {"fields": [["x"]]}}'
    response = world.client.post("/webhooks.json", content=deep, headers=JSON)
    assert response.json() == {
        "errors": "Bad Request: the request body is not valid JSON: "
        "nesting of 4 is too deep (the limit is 3)"
    }
    long_int = b'{"webhook": {"topic": 123456}}'
    response = world.client.post("/webhooks.json", content=long_int, headers=JSON)
    assert response.json() == {
        "errors": "Bad Request: the request body is not valid JSON: "
        "an integer has more than 5 digits"
    }
    with pytest.raises(ValueError, match="max_int_digits must be between 1 and 640"):
        BodyLimits(max_int_digits=5000)


# -- 2. a GraphQL fragment that spreads itself ---------------------------------------------------


def test_fragment_spreading_itself_is_graphql_rubys_infinite_loop_error(
    world: World, anonymous: httpx.Client
) -> None:
    response = world.client.post("/graphql.json", json={"query": self_spread()})
    assert response.status_code == 200
    assert response.json() == {
        "errors": [
            {
                "message": "Fragment F contains an infinite loop",
                "locations": [{"line": 1, "column": 25}],
                "path": ["fragment F"],
                "extensions": {"code": "infiniteLoop", "fragmentName": "F"},
            }
        ]
    }
    response = anonymous.post("/graphql.json", json={"query": self_spread()})
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def test_root_level_fragment_cycle_through_two_fragments(world: World) -> None:
    query = "query { ...A } fragment A on QueryRoot { shop { name } ...B } fragment B on QueryRoot { ...A }"
    response = world.client.post("/graphql.json", json={"query": query})
    assert response.status_code == 200
    assert [e["extensions"] for e in response.json()["errors"]] == [
        {"code": "infiniteLoop", "fragmentName": "A"},
        {"code": "infiniteLoop", "fragmentName": "B"},
    ]


def test_refused_mutation_changes_nothing(world: World) -> None:
    query = """mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE,
      webhookSubscription: {uri: "https://e.example/h"}) { ...P } }
    fragment P on WebhookSubscriptionCreatePayload { userErrors { message } ...P }"""
    response = world.client.post("/graphql.json", json={"query": query})
    assert response.json()["errors"][0]["extensions"]["code"] == "infiniteLoop"
    assert world.fake.webhooks() == []
    # Nothing was spent either: the limits are checked before the cost is taken.
    after = world.client.post("/graphql.json", json={"query": "{ shop { name } }"}).json()
    assert after["extensions"]["cost"]["requestedQueryCost"] == 1
    assert after["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 1999


# -- 3. a webhook id or first: of 5,000 digits ---------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_webhook_id_of_5000_digits_is_not_found(world: World, method: str) -> None:
    response = world.client.request(
        method, f"/webhooks/{DIGITS_5000}.json", json={"webhook": {"address": "x"}}
    )
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_webhook_id_past_64_bits_is_not_found_and_leading_zeros_are_the_id(
    world: World,
) -> None:
    webhook = world.fake.add_webhook(
        "acme", "bot", topic="orders/create", address="https://e.example/h"
    )
    assert world.client.get(f"/webhooks/{2**63}.json").status_code == 404
    found = world.client.get(f"/webhooks/{'0' * 4990}{webhook.id}.json")
    assert found.status_code == 200
    assert found.json()["webhook"]["id"] == webhook.id


def test_non_ascii_digits_are_not_an_id(world: World) -> None:
    # "\u0663" is ARABIC-INDIC DIGIT THREE: \d matched it and int() read it as 3.
    response = world.client.get("/webhooks/%D9%A3.json")
    assert response.status_code == 404


def test_first_of_5000_digits_is_an_invalid_int_literal(world: World) -> None:
    query = f"{{ webhookSubscriptions(first: {DIGITS_5000}) {{ nodes {{ id }} }} }}"
    response = world.client.post("/graphql.json", json={"query": query})
    assert response.status_code == 200
    assert response.json() == {
        "errors": [
            {
                "message": f"Argument 'first' on Field 'webhookSubscriptions' has an invalid "
                f"value ({DIGITS_5000}). Expected type 'Int'.",
                "locations": [{"line": 1, "column": 3}],
                "path": ["query", "webhookSubscriptions", "first"],
                "extensions": {
                    "code": "argumentLiteralsIncompatible",
                    "typeName": "Field",
                    "argumentName": "first",
                },
            }
        ]
    }


def test_gid_of_5000_digits_names_no_subscription(world: World) -> None:
    query = (
        f'{{ webhookSubscription(id: "gid://shopify/WebhookSubscription/{DIGITS_5000}") {{ id }} }}'
    )
    body = world.client.post("/graphql.json", json={"query": query}).json()
    assert body["data"] == {"webhookSubscription": None}
    assert "errors" not in body


def test_integer_of_5000_digits_in_a_body_is_a_400(world: World) -> None:
    body = b'{"webhook": {"topic": "orders/create", "address": ' + DIGITS_5000.encode() + b"}}"
    response = world.client.post("/webhooks.json", content=body, headers=JSON)
    assert response.status_code == 400
    assert response.json() == {
        "errors": "Bad Request: the request body is not valid JSON: "
        "an integer has more than 100 digits"
    }


# -- 4. a page_info cursor holding 1e999 -----------------------------------------------------------


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "raw",
    [
        b'{"filters":{},"direction":"next","last_id":1e999}',
        b'{"filters":{},"direction":"next","last_id":1.5}',
        b'{"filters":{},"direction":"next","last_id":true}',
        b'{"filters":{},"direction":"next","last_id":' + DIGITS_5000.encode() + b"}",
        b'{"filters":{"topic":' + brackets(5000) + b'},"direction":"next","last_id":1}',
    ],
    ids=["1e999", "float", "bool", "5000-digits", "deep"],
)
def test_page_info_holding_garbage_numbers_is_a_400(world: World, raw: bytes) -> None:
    response = world.client.get("/webhooks.json", params={"page_info": _cursor(raw)})
    assert response.status_code == 400
    assert response.json() == {"errors": {"page_info": "Invalid value."}}


def test_graphql_cursor_holding_garbage_is_a_bad_request_error(world: World) -> None:
    for raw in (b'{"last_id": 1e999}', brackets(100_000), b'{"last_id": true}'):
        cursor = base64.b64encode(raw).decode()
        query = f'{{ webhookSubscriptions(first: 1, after: "{cursor}") {{ nodes {{ id }} }} }}'
        body = world.client.post("/graphql.json", json={"query": query}).json()
        assert body["errors"] == [
            {
                "message": f"Invalid cursor for current pagination sort: {cursor}",
                "path": ["webhookSubscriptions"],
                "extensions": {"code": "BAD_REQUEST"},
            }
        ]


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b'{"webhook": {"format": 1e999}}', "the number 1e999 is out of range"),
        (b'{"webhook": NaN}', "NaN is not a JSON value"),
        (b'{"webhook": {"format": -Infinity}}', "-Infinity is not a JSON value"),
    ],
)
def test_non_finite_numbers_are_a_400(world: World, raw: bytes, detail: str) -> None:
    response = world.client.post("/webhooks.json", content=raw, headers=JSON)
    assert response.status_code == 400
    assert response.json() == {
        "errors": f"Bad Request: the request body is not valid JSON: {detail}"
    }


# -- 5. an address with a lone surrogate -----------------------------------------------------------

LONE_SURROGATE = {
    "errors": "Bad Request: the request body is not valid JSON: "
    "a string holds a lone UTF-16 surrogate"
}


@pytest.mark.parametrize(
    "address",
    [b'"https://e.example/\\ud800"', b'"https://e.example/\xed\xa0\x80"', b'"\\udfff"'],
    ids=["escaped", "raw-bytes", "low-half"],
)
def test_address_with_a_lone_surrogate_is_a_400(world: World, address: bytes) -> None:
    body = b'{"webhook": {"topic": "orders/create", "address": ' + address + b"}}"
    response = world.client.post("/webhooks.json", content=body, headers=JSON)
    assert (response.status_code, response.json()) == (400, LONE_SURROGATE)
    assert world.fake.webhooks() == []


def test_surrogate_pair_escapes_are_one_character(world: World) -> None:
    body = b'{"webhook": {"topic": "orders/create", "address": "https://e.example/\\ud83d\\ude00"}}'
    response = world.client.post("/webhooks.json", content=body, headers=JSON)
    assert response.status_code == 201
    assert response.json()["webhook"]["address"] == "https://e.example/\U0001f600"


def test_graphql_variable_with_a_lone_surrogate_is_a_400(world: World) -> None:
    body = (
        b'{"query": "mutation($u: String) { webhookSubscriptionCreate(topic: ORDERS_CREATE, '
        b'webhookSubscription: {uri: $u}) { userErrors { message } } }", '
        b'"variables": {"u": "https://e.example/\\ud800"}}'
    )
    response = world.client.post("/graphql.json", content=body, headers=JSON)
    assert (response.status_code, response.json()) == (400, MISSING_QUERY)
    assert world.fake.webhooks() == []


# -- 6. fragments that each spread the next twice ----------------------------------------------------


def test_doubling_fragments_22_levels_answer_the_401_at_once(anonymous: httpx.Client) -> None:
    response, took = timed(lambda: anonymous.post("/graphql.json", json={"query": doubling(22)}))
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    assert took < 1.0  # was 8 s


def test_doubling_fragments_40_levels_are_refused_by_complexity(world: World) -> None:
    response, took = timed(lambda: world.client.post("/graphql.json", json={"query": doubling(40)}))
    assert took < 1.0  # never ended
    assert response.status_code == 200
    # F_40 is one field; F_i is 3 fields, 2 spreads and twice F_(i+1); the operation adds
    # the shop field and the spread of F0.
    size = 1
    for _ in range(40):
        size = 5 + 2 * size
    complexity = 2 + size
    assert response.json() == {
        "errors": [
            {
                "message": f"Query has complexity of {complexity}, which exceeds max "
                "complexity of 500",
                "extensions": {
                    "code": "MAX_COMPLEXITY_EXCEEDED",
                    "complexity": complexity,
                    "maxComplexity": 500,
                },
            }
        ]
    }


def test_doubling_fragments_within_the_limit_run(world: World) -> None:
    body = world.client.post("/graphql.json", json={"query": doubling(5)}).json()
    assert body["data"] == {"shop": {"name": "Acme", "plan": {"displayName": "Basic"}}}


# -- 7. the other GraphQL limits ---------------------------------------------------------------------


def test_depth_over_the_limit(world: World) -> None:
    query = "{ shop { plan { " + "__typename " * 1 + "} } }"
    assert "errors" not in world.client.post("/graphql.json", json={"query": query}).json()
    deep = "{" + " shop {" * 31 + " name" + " }" * 31 + " }"
    response = world.client.post("/graphql.json", json={"query": deep})
    assert response.json() == {
        "errors": [
            {
                "message": "Query has depth of 32, which exceeds max depth of 30",
                "extensions": {"code": "MAX_DEPTH_EXCEEDED", "depth": 32, "maxDepth": 30},
            }
        ]
    }


@pytest.mark.parametrize("depth", [101, 3000, 100_000])
def test_query_text_nested_past_the_parser_is_too_large(
    world: World, anonymous: httpx.Client, depth: int
) -> None:
    query = "{" + " shop {" * depth + " name" + " }" * depth + " }"
    response = world.client.post("/graphql.json", json={"query": query})
    assert (response.status_code, response.json()) == (200, TOO_LARGE)
    response = world.client.post(
        "/graphql.json", json={"query": "{ shop(x: " + "[" * depth + "]" * depth + ") { name } }"}
    )
    assert (response.status_code, response.json()) == (200, TOO_LARGE)
    response, took = timed(lambda: anonymous.post("/graphql.json", json={"query": query}))
    assert (response.status_code, took < 1.0) == (401, True)


def test_brackets_in_strings_and_comments_do_not_count_as_nesting(world: World) -> None:
    noise = '"' + "{" * 200 + '"'
    query = (
        f"{{ webhookSubscriptions(first: 1, query: {noise}) {{ nodes {{ id }} }} }}\n# {'[' * 200}"
    )
    body = world.client.post("/graphql.json", json={"query": query}).json()
    assert body["data"] == {"webhookSubscriptions": {"nodes": []}}


def test_token_limit(world: World) -> None:
    query = "{ shop { " + "name " * 20_000 + "} }"
    body = world.client.post("/graphql.json", json={"query": query}).json()
    assert body["errors"][0]["message"] == "This query is too large to execute."
    assert body["errors"][0]["extensions"] == {"code": "PARSE_ERROR"}
    assert len(body["errors"][0]["locations"]) == 1


def test_graphql_limits_are_configurable() -> None:
    world = make_world(graphql_options=GraphQLOptions(max_depth=2, max_complexity=3))
    body = world.client.post("/graphql.json", json={"query": "{ shop { plan { displayName } } }"})
    assert [e["extensions"]["code"] for e in body.json()["errors"]] == [
        "MAX_DEPTH_EXCEEDED",
    ]
    body = world.client.post("/graphql.json", json={"query": "{ shop { name email id url } }"})
    assert body.json()["errors"][0]["extensions"] == {
        "code": "MAX_COMPLEXITY_EXCEEDED",
        "complexity": 5,
        "maxComplexity": 3,
    }


def test_introspection_query_is_within_the_default_limits(world: World) -> None:
    from graphql import get_introspection_query

    body = world.client.post("/graphql.json", json={"query": get_introspection_query()}).json()
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "QueryRoot"


# -- 8. Python's error text as INTERNAL_SERVER_ERROR ---------------------------------------------------


def test_invalid_variable_default_is_a_validation_error(world: World) -> None:
    query = "query Q($x: Boolean = 5) { shop @skip(if: $x) { name } }"
    assert world.client.post("/graphql.json", json={"query": query}).json() == {
        "errors": [
            {
                "message": "Could not coerce value 5 to Boolean",
                "locations": [{"line": 1, "column": 9}],
                "path": ["query Q"],
                "extensions": {
                    "code": "defaultValueInvalidType",
                    "variableName": "x",
                    "typeName": "Boolean",
                },
            }
        ]
    }


def test_url_coercion_error_prints_values_as_ruby_does(world: World) -> None:
    query = """mutation($s: WebhookSubscriptionInput!) { webhookSubscriptionCreate(
      topic: ORDERS_CREATE, webhookSubscription: $s) { userErrors { message } } }"""
    # 2025-01 still takes callbackUrl: URL (the scalar with the coercion).
    response = world.client.post(
        "https://acme.myshopify.com/admin/api/2025-01/graphql.json",
        json={"query": query, "variables": {"s": {"callbackUrl": {"a": [1, None]}}}},
    )
    problems = response.json()["errors"][0]["extensions"]["problems"]
    assert problems == [
        {
            "path": ["callbackUrl"],
            "explanation": 'Could not coerce value {"a"=>[1, nil]} to URL',
        }
    ]


def test_a_resolver_failure_is_shopifys_internal_error_without_python_text(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fake_shopify.graphql import engine

    def broken(self: Any, _info: Any) -> Any:
        return {}["missing"]  # a KeyError inside the fake

    monkeypatch.setattr(engine._Root, "shop", broken)
    response = world.client.post("/graphql.json", json={"query": "{ shop { name } }"})
    request_id = response.headers["X-Request-Id"]
    body = response.json()
    assert body["errors"] == [
        {
            "message": "Internal error. Looks like something went wrong on our end.\n"
            f"Request ID: {request_id} (include this in support requests).",
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
            "path": ["shop"],
        }
    ]
    assert "KeyError" not in response.text
    assert "missing" not in response.text


def test_answers_never_carry_nan_or_infinity() -> None:
    from fake_shopify import HttpError

    fake = FakeShopify()
    fake.add_shop("acme")
    fake.faults.arm(HttpError(500, body={"errors": float("nan")}))
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        fake.handle(httpx.Request("GET", "https://acme.myshopify.com/admin/api/2026-10/shop.json"))


def test_echoed_values_stay_valid_json(world: World) -> None:
    # A huge float (finite) comes back as a number the strict parser reads.
    query = "query($t: WebhookSubscriptionTopic!) { webhookSubscriptions(first: 1, topics: [$t]) { nodes { id } } }"
    response = world.client.post(
        "/graphql.json", json={"query": query, "variables": {"t": 1.5e308}}
    )
    body = json.loads(response.text, parse_constant=lambda name: pytest.fail(name))
    assert body["errors"][0]["extensions"]["code"] == "INVALID_VARIABLE"


# -- 9. input arrays: Shopify's documented 250 items ---------------------------------------------------


def test_input_array_over_250_items_is_max_input_size_exceeded(world: World) -> None:
    topics = ", ".join(["ORDERS_CREATE"] * 251)
    query = f"{{ webhookSubscriptions(first: 1, topics: [{topics}]) {{ nodes {{ id }} }} }}"
    assert world.client.post("/graphql.json", json={"query": query}).json() == {
        "errors": [
            {
                "message": "The input array size of 251 is greater than the maximum allowed of 250.",
                "locations": [{"line": 1, "column": 34}],
                "path": ["webhookSubscriptions", "topics"],
                "extensions": {"code": "MAX_INPUT_SIZE_EXCEEDED"},
            }
        ]
    }
    at_limit = query.replace("[" + topics, "[" + ", ".join(["ORDERS_CREATE"] * 250))
    body = world.client.post("/graphql.json", json={"query": at_limit}).json()
    assert body["data"] == {"webhookSubscriptions": {"nodes": []}}


def test_variable_array_over_250_items_is_refused_before_it_is_walked(world: World) -> None:
    query = """query($t: [WebhookSubscriptionTopic!]) {
      webhookSubscriptions(first: 1, topics: $t) { nodes { id } } }"""
    # Every item is also an invalid topic: walked, they would give 100,000 problems.
    response = world.client.post(
        "/graphql.json", json={"query": query, "variables": {"t": ["NOT_A_TOPIC"] * 100_000}}
    )
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INVALID_VARIABLE"
    assert error["extensions"]["problems"] == [
        {
            "path": [],
            "explanation": "The input array size of 100000 is greater than the maximum "
            "allowed of 250.",
        }
    ]
