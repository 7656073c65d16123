"""Fuzzing the fake with malformed requests: it answers every one in Shopify's shape, never crashes.

Random methods, paths under ``/admin/api/<version>/``, headers with and without a token, and
bodies (random JSON with deep nesting, long integers and non-finite numbers, random bytes, lone
surrogates, GraphQL documents built from the schema's names plus garbage, fragments, cycles and
doublings), sent through ``FakeShopify.handle`` and through the httpx transport. Every answer:

- comes back (no exception) within a bounded time;
- is not a 5xx, unless an armed fault fired on the request;
- is a JSON object in Shopify's shape (``errors`` on every 4xx, GraphQL ``data``/``errors``);
- carries no Python error text (exception class names, tracebacks, interpreter messages)
  and no ``INTERNAL_SERVER_ERROR`` (the fake's own bugs are answered that way).

Settings profiles: ``FAKE_FUZZ_PROFILE=dev|ci|nightly`` (default ``ci``, which keeps the module
well under 20 seconds).
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from fake_world import START
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_shopify import FakeShopify, HttpError, ManualClock, Match, Nth
from fake_shopify.graphql.schema import schema_for
from fake_shopify.graphql.sdl import features_for
from fake_shopify.topics import graphql_enum_values

# -- settings profiles ---------------------------------------------------------------------------

_COMMON: dict[str, Any] = {
    "deadline": None,  # time per request is asserted below, per request, not per example
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("fake-fuzz-dev", max_examples=40, **_COMMON)
settings.register_profile("fake-fuzz-ci", max_examples=200, **_COMMON)
settings.register_profile("fake-fuzz-nightly", max_examples=5000, **_COMMON)
FUZZ = settings.get_profile(f"fake-fuzz-{os.environ.get('FAKE_FUZZ_PROFILE', 'ci')}")

# CPU seconds of this process per request (not wall time, which a loaded machine stretches):
# generous, where the hangs it guards against took 8 seconds and more, or never ended.
MAX_SECONDS_PER_REQUEST = 2.0

# -- what an answer must not contain ---------------------------------------------------------------

PYTHON_TEXT = re.compile(
    r"Traceback \(most recent call last\)"
    r"|\b[A-Z][A-Za-z]*(?:Error|Exception|Exit|Interrupt)\b"  # RecursionError, KeyError ...
    r"|object has no attribute|is not subscriptable|unhashable type|NoneType"
    r"|positional argument|unexpected keyword argument|object is not callable"
    r"|maximum recursion depth|int-string conversion|integer string conversion"
    r"|invalid literal for int|surrogates not allowed|codec can't|cannot convert float"
    r"|not JSON serializable|\bFile \"[^\"]+\", line \d+"
)


@dataclass
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    content: bytes


def _python_text(answer: str, request: Sent) -> list[str]:
    """Python error text in the answer that the request did not bring itself (echoes)."""
    sent = request.url + request.content.decode("utf-8", "replace")
    return [m.group() for m in PYTHON_TEXT.finditer(answer) if m.group() not in sent]


def check_answer(sent: Sent, response: httpx.Response, took: float, *, fired: bool) -> None:
    assert took < MAX_SECONDS_PER_REQUEST, f"{took:.2f}s for {sent.method} {sent.url[:200]}"
    # 501 is the fake's loud answer for a real endpoint it does not implement (by design).
    not_implemented = (
        response.status_code == 501 and "X-Fake-Shopify-Not-Implemented" in response.headers
    )
    assert response.status_code < 500 or fired or not_implemented, (
        response.status_code,
        response.text[:500],
    )
    text = response.content.decode("utf-8")

    def no_constants(name: str) -> Any:
        raise AssertionError(f"{name} in a JSON answer")

    body = json.loads(text, parse_constant=no_constants)
    assert isinstance(body, dict), text[:300]
    assert not _python_text(text, sent), (_python_text(text, sent), text[:500])
    if response.status_code >= 400:
        assert set(body) == {"errors"}, text[:300]
        assert isinstance(body["errors"], str | dict | list)
    if sent.url.endswith("graphql.json") and response.status_code == 200 and not fired:
        assert body, text[:300]
        assert set(body) <= {"data", "errors", "extensions"}, text[:300]
        for error in body.get("errors", []):
            assert isinstance(error, dict), error
            assert isinstance(error.get("message"), str), error
            code = (error.get("extensions") or {}).get("code")
            assert code != "INTERNAL_SERVER_ERROR", error


# -- strategies -----------------------------------------------------------------------------------

_SCHEMA = schema_for(features_for("2026-10"), tuple(graphql_enum_values()))
FIELD_NAMES = sorted(
    {name for t in _SCHEMA.type_map.values() for name in getattr(t, "fields", {}) or {}}
    | {"__typename", "__schema", "__type"}
)
ARGUMENT_NAMES = sorted(
    {
        arg
        for t in _SCHEMA.type_map.values()
        for field in (getattr(t, "fields", {}) or {}).values()
        for arg in getattr(field, "args", {}) or {}
    }
)
TYPE_NAMES = sorted(name for name in _SCHEMA.type_map if not name.startswith("__"))
TOPICS = ["ORDERS_CREATE", "APP_UNINSTALLED", "NOT_A_TOPIC"]

huge_digits = st.integers(1, 6000).map(lambda n: "9" * n)
ids = st.one_of(
    st.integers(0, 2**70).map(str), huge_digits, st.just("1"), st.text("0123456789٣", max_size=30)
)


def json_values(max_leaves: int = 20) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**80), 2**80),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=30),
        st.sampled_from(
            ["https://e.example/h", "\ud800", "x\udfff", "gid://shopify/WebhookSubscription/1"]
        ),
        st.integers(1, 4000).map(lambda n: int("9" * n)),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
        ),
        max_leaves=max_leaves,
    )


def _dump(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")


def _deep(depth: int, opener: str = "[") -> bytes:
    closer = {"[": "]", "{": "}"}[opener]
    if opener == "{":
        return ('{"a":' * depth + "1" + "}" * depth).encode()
    return (opener * depth + closer * depth).encode()


deep_bodies = st.builds(_deep, st.integers(90, 120_000), st.sampled_from(["[", "{"]))
odd_bodies = st.one_of(
    huge_digits.map(lambda digits: b'{"webhook": {"topic": %s}}' % digits.encode()),
    st.sampled_from(
        [
            b"1e999",
            b'{"webhook": {"format": -1e999}}',
            b'{"webhook": NaN}',
            b'{"query": Infinity}',
            b'{"webhook": {"address": "\\ud800"}}',
            b'{"webhook": {"address": "\xed\xa0\x80"}}',
            b'{"webhook": {"address": "\\ud83d\\ude00"}}',
        ]
    ),
)
json_bodies = st.one_of(json_values().map(_dump), deep_bodies, odd_bodies, st.binary(max_size=200))

webhook_bodies = st.builds(
    lambda fields, extra: _dump({"webhook": {**fields, **extra}}),
    st.fixed_dictionaries(
        {},
        optional={
            "topic": st.one_of(
                st.sampled_from(["orders/create", "app/uninstalled"]), json_values(4)
            ),
            "address": st.one_of(
                st.sampled_from(["https://e.example/h", "https://e.example/\ud800"]),
                json_values(4),
            ),
            "format": st.one_of(st.sampled_from(["json", "xml"]), json_values(3)),
            "fields": json_values(6),
            "metafield_namespaces": json_values(6),
        },
    ),
    st.dictionaries(st.text(max_size=10), json_values(4), max_size=2),
)


# GraphQL documents: tokens from the schema plus garbage, and structured shapes.
names = st.one_of(
    st.sampled_from(FIELD_NAMES), st.from_regex(r"[_A-Za-z][_0-9A-Za-z]{0,8}", fullmatch=True)
)
values = st.one_of(
    st.integers(-(2**40), 2**40).map(str),
    huge_digits,
    st.sampled_from(TOPICS),
    st.text(max_size=20).map(json.dumps),
    st.sampled_from(['"\\ud800"', "1e999", "null", "true", "[1, [2]]", "{a: 1}", "$v", '"""x"""']),
    st.integers(1, 300).map(lambda n: "[" * n + "1" + "]" * n),
)
punctuation = st.sampled_from([*"{}()[]:!$=@,|&", "...", "on", "query", "mutation", "fragment"])
garbage_tokens = st.lists(st.one_of(names, values, punctuation), max_size=40).map(" ".join)


@st.composite
def selections(draw: st.DrawFn, depth: int, fragments: list[str]) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(["field", "field", "spread", "inline"] if fragments else ["field"])
        )
        if kind == "spread" and fragments:
            parts.append("..." + draw(st.sampled_from(fragments)))
            continue
        if kind == "inline":
            parts.append(
                f"... on {draw(st.sampled_from(TYPE_NAMES))} {{ {draw(selections(depth + 1, fragments))} }}"
            )
            continue
        name = draw(names)
        args = draw(
            st.lists(st.tuples(st.sampled_from(ARGUMENT_NAMES), values), max_size=2).map(
                lambda pairs: "(" + ", ".join(f"{a}: {v}" for a, v in pairs) + ")" if pairs else ""
            )
        )
        sub = ""
        if depth < 6 and draw(st.booleans()):
            sub = " { " + draw(selections(depth + 1, fragments)) + " }"
        parts.append(name + args + sub)
    return " ".join(parts)


@st.composite
def documents(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["structured", "structured", "garbage", "doubling", "nested"]))
    if kind == "garbage":
        return draw(garbage_tokens)
    if kind == "doubling":  # each fragment spreads the next twice
        levels = draw(st.integers(1, 45))
        nested = draw(st.booleans())
        frags = " ".join(
            (
                f"fragment F{i} on Shop {{ name plan {{ ...F{i + 1} }} ...F{i + 1} }}"
                if nested
                else f"fragment F{i} on Shop {{ ...F{i + 1} ...F{i + 1} }}"
            )
            for i in range(levels)
        )
        return "{ shop { ...F0 } } " + frags + f" fragment F{levels} on Shop {{ name }}"
    if kind == "nested":
        depth = draw(st.integers(1, 3000))
        return "{" + "shop {" * depth + " name " + "}" * depth + "}"
    fragment_names = draw(st.lists(st.sampled_from(["A", "B", "C", "D"]), max_size=3, unique=True))
    operation = draw(
        st.sampled_from(["", "query ", "query Q($v: Int) ", "mutation ", "mutation M "])
    )
    text = f"{operation}{{ {draw(selections(0, fragment_names))} }}"
    for name in fragment_names:  # spreads may point anywhere: self, each other, cycles
        text += f" fragment {name} on {draw(st.sampled_from(TYPE_NAMES))} {{ {draw(selections(0, fragment_names))} }}"
    return text


graphql_bodies = st.one_of(
    st.builds(
        lambda query, variables, name: _dump(
            {"query": query, "variables": variables, "operationName": name}
        ),
        documents(),
        st.one_of(
            st.none(),
            json_values(10),
            st.dictionaries(st.sampled_from(["v", "id", "first"]), json_values(4)),
        ),
        st.one_of(st.none(), st.sampled_from(["Q", "M", ""]), json_values(2)),
    ),
    documents().map(str.encode),  # as application/graphql
    json_bodies,
)

versions = st.one_of(
    st.sampled_from(["2026-10", "2026-04", "2025-01", "unstable", "2019-04"]),
    st.text("0123456789-abcz", max_size=12),
)
relative_paths = st.one_of(
    st.sampled_from(
        [
            "webhooks.json",
            "webhooks/count.json",
            "shop.json",
            "graphql.json",
            "orders.json",
            "webhooks",
        ]
    ),
    ids.map(lambda i: f"webhooks/{i}.json"),
    st.text(max_size=20).map(lambda text: quote(text, safe="/")),
)
query_values = st.one_of(
    st.text(max_size=20),
    huge_digits,
    st.sampled_from(
        [
            "0",
            "250",
            "251",
            "-1",
            "1e999",
            "2026-13-45T99:00",
            "9999-12-31T23:59:59+14:00",
            "0001-01-01T00:00:00-14:00",
        ]
    ),
)
cursors = st.one_of(
    json_values(6).map(_dump),
    st.sampled_from(
        [
            b'{"filters":{},"direction":"next","last_id":1e999}',
            b'{"filters":{"topic":{"a":1}},"direction":"prev","last_id":1}',
            b'{"filters":{},"direction":"next","last_id":"%s"}' % (b"9" * 5000),
            _deep(5000),
        ]
    ),
).map(lambda raw: base64.urlsafe_b64encode(raw).decode().rstrip("="))
query_values = st.one_of(query_values, cursors)
_any_queries = st.dictionaries(
    st.sampled_from(
        [
            "limit",
            "page_info",
            "fields",
            "since_id",
            "topic",
            "address",
            "created_at_min",
            "updated_at_max",
            "page",
            "x",
        ]
    ),
    query_values,
    max_size=3,
)
queries = st.one_of(
    st.just({}),
    _any_queries,
    st.fixed_dictionaries({"page_info": cursors}, optional={"limit": query_values}),
)


ENDPOINTS = [
    ("GET", "webhooks.json"),
    ("POST", "webhooks.json"),
    ("GET", "webhooks/count.json"),
    ("GET", "webhooks/{id}.json"),
    ("PUT", "webhooks/{id}.json"),
    ("DELETE", "webhooks/{id}.json"),
    ("GET", "shop.json"),
]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "BREW"]


def _mostly(common: Any, rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``common`` three times in four, else a draw from ``rare``: malformed requests must
    still reach the handlers (valid route, version and token) to find what breaks there."""
    return st.one_of(st.just(common), st.just(common), st.just(common), rare)


@st.composite
def requests(draw: st.DrawFn, token: str, graphql: bool) -> Sent:
    version = draw(_mostly("2026-10", versions))
    if graphql:
        method = draw(_mostly("POST", st.sampled_from(METHODS)))
        path = f"/admin/api/{version}/graphql.json"
    elif draw(st.integers(0, 9)) == 0:
        method = draw(st.sampled_from(METHODS))
        path = "/admin/oauth/access_scopes.json"
    elif draw(st.integers(0, 3)) == 0:
        method = draw(st.sampled_from(METHODS))
        path = f"/admin/api/{version}/{draw(relative_paths)}"
    else:
        method, pattern = draw(st.sampled_from(ENDPOINTS))
        webhook_id = draw(_mostly("1", ids))
        path = f"/admin/api/{version}/{pattern.format(id=quote(webhook_id))}"
    url = httpx.URL("https://acme.myshopify.com").copy_with(path=path, params=draw(queries))
    headers: dict[str, str] = {}
    choice = draw(_mostly("valid", st.sampled_from(["invalid", "none"])))
    if choice == "valid":
        headers["X-Shopify-Access-Token"] = token
    elif choice == "invalid":
        headers["X-Shopify-Access-Token"] = draw(
            st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
        )
    content_type = draw(
        _mostly("application/json", st.sampled_from(["application/graphql", "text/plain", None]))
    )
    if content_type is not None:
        headers["Content-Type"] = content_type
    if draw(st.integers(0, 5)) == 0:
        headers["Accept"] = draw(st.sampled_from(["application/xml", "*/*", "text/html", ""]))
    content = draw(
        graphql_bodies
        if graphql
        else st.one_of(webhook_bodies, deep_bodies, odd_bodies, json_bodies, st.just(b""))
    )
    return Sent(method, str(url), headers, content)


def _fresh_fake() -> tuple[FakeShopify, str]:
    fake = FakeShopify(clock=ManualClock(START))
    fake.add_shop("acme")
    fake.add_app("bot")
    token = fake.install("acme", "bot").access_token
    fake.add_webhook("acme", "bot", topic="orders/create", address="https://e.example/1")
    return fake, token


def _send(fake: FakeShopify, sent: Sent, via: str) -> tuple[httpx.Response, float]:
    start = time.process_time()
    if via == "handle":
        request = httpx.Request(sent.method, sent.url, headers=sent.headers, content=sent.content)
        response = fake.handle(request)
    else:
        with httpx.Client(transport=fake.transport()) as client:
            response = client.request(
                sent.method, sent.url, headers=sent.headers, content=sent.content
            )
    return response, time.process_time() - start


def _fuzz(data: st.DataObject, *, graphql: bool) -> None:
    fake, token = _fresh_fake()
    fault = data.draw(st.integers(0, 9)) == 0
    if fault:  # a 5xx is allowed when, and only when, an armed fault fired
        action = (
            "graphql"
            if graphql
            else data.draw(st.sampled_from(["list_webhooks", "create_webhook", "get_webhook"]))
        )
        fake.faults.arm(
            HttpError(data.draw(st.sampled_from([500, 503]))),
            match=Match(action=action),
            schedule=Nth(1),
        )
    for _ in range(data.draw(st.integers(1, 3))):
        sent = data.draw(requests(token, graphql))
        via = data.draw(st.sampled_from(["handle", "transport"]))
        before = len(fake.faults.fired)
        response, took = _send(fake, sent, via)
        check_answer(sent, response, took, fired=len(fake.faults.fired) > before)


@FUZZ
@given(data=st.data())
def test_rest_requests_never_crash_the_fake(data: st.DataObject) -> None:
    _fuzz(data, graphql=False)


@FUZZ
@given(data=st.data())
def test_graphql_requests_never_crash_the_fake(data: st.DataObject) -> None:
    _fuzz(data, graphql=True)
