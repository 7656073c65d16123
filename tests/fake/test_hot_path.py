"""The hot path's shortcuts agree with httpx's public API and with the JSON encoder."""

from __future__ import annotations

import json
from unittest.mock import patch

import httpx
import pytest
from fake_world import World
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_shopify import _headers

_names = st.sampled_from(
    [b"Accept", b"accept", b"X-Shopify-Access-Token", b"x-shopify-access-token", b"X-Other"]
)
_values = st.binary(min_size=0, max_size=8).map(lambda b: b.replace(b"\r", b"").strip())
_header_lists = st.lists(st.tuples(_names, _values), max_size=6)


# Both paths must answer the same: the private-layout one and the fallback for a future httpx.
layouts = pytest.mark.parametrize("fast", [True, False], ids=["httpx-layout", "public-api"])


@layouts
@settings(max_examples=60)
@given(pairs=_header_lists)
def test_find_agrees_with_the_public_api(fast: bool, pairs: list[tuple[bytes, bytes]]) -> None:
    headers = httpx.Headers(pairs)
    with patch.object(_headers, "FAST", fast):
        token, accept = _headers.find_two(headers, b"x-shopify-access-token", b"accept")
        found = _headers.find(headers, b"accept")
    last = {key.lower(): value for key, value in pairs}  # the last one wins
    assert token == last.get(b"x-shopify-access-token")
    assert accept == last.get(b"accept")
    first = next((v for k, v in pairs if k.lower() == b"accept"), None)  # the first one wins
    assert found == first


@layouts
@settings(max_examples=60)
@given(pairs=_header_lists)
def test_set_headers_equals_the_public_constructor(
    fast: bool, pairs: list[tuple[bytes, bytes]]
) -> None:
    response = httpx.Response(200)
    with patch.object(_headers, "FAST", fast):
        _headers.set_headers(response, [_headers.triple(k, v) for k, v in pairs], "latin-1")
    expected = httpx.Headers(pairs, encoding="latin-1")
    assert response.headers.raw == expected.raw
    assert response.headers.multi_items() == expected.multi_items()
    assert response.headers.encoding == "latin-1"


def test_fixed_bodies_are_the_encoders_bytes(world: World) -> None:
    created = world.client.post(
        "/webhooks.json",
        json={"webhook": {"topic": "orders/create", "address": "https://h.example/a"}},
    )
    count = world.client.get("/webhooks/count.json")
    assert count.content == json.dumps({"count": 1}, separators=(",", ":")).encode()
    deleted = world.client.delete(f"/webhooks/{created.json()['webhook']['id']}.json")
    assert (deleted.status_code, deleted.content) == (200, b"{}")
    assert deleted.headers["content-type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize("fast", [True, False], ids=["without-constructor", "constructor"])
@settings(max_examples=60)
@given(pairs=_header_lists, status=st.sampled_from([200, 201, 404, 429]), body=st.binary())
def test_new_response_reads_as_httpxs_constructor_builds_it(
    fast: bool, pairs: list[tuple[bytes, bytes]], status: int, body: bytes
) -> None:
    """Responses are built without httpx.Response's constructor; clients see the same object."""
    triples = [_headers.triple(k, v) for k, v in pairs]
    with patch.object(_headers, "FAST_RESPONSE", fast):
        response = _headers.new_response(status, body, list(triples), "latin-1")
    expected = httpx.Response(status, stream=httpx.ByteStream(body))
    expected._content = body
    expected.headers = httpx.Headers(pairs, encoding="latin-1")
    assert vars(response).keys() == vars(expected).keys()
    assert response.status_code == expected.status_code
    assert response.headers.multi_items() == expected.headers.multi_items()
    assert response.content == expected.content == body
    assert b"".join(response.iter_bytes()) == b"".join(expected.iter_bytes()) == body
    assert (response.is_closed, response.is_stream_consumed) == (False, False)
    assert response.extensions == {}
    assert response.history == []


def test_new_response_is_checked_against_the_installed_httpx() -> None:
    # The httpx this project pins has the expected layout (else the constructor is used).
    assert _headers.FAST_RESPONSE
    client = httpx.Client(
        transport=httpx.MockTransport(
            lambda request: _headers.new_response(
                201, b'{"a":1}', [_headers.triple(b"Content-Type", b"application/json")], "ascii"
            )
        )
    )
    response = client.get("https://example.test/")
    assert (response.status_code, response.json()) == (201, {"a": 1})
    assert response.request.url == "https://example.test/"
