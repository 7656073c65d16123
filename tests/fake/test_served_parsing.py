"""The served fake reads a request's head as the standard library does, faster.

``fake_shopify.served._Handler.parse_request`` reads a plain request line and plain header
lines itself and leaves everything else to ``BaseHTTPRequestHandler.parse_request`` and the
email parser. These tests drive it and the standard library's handler on the same bytes and
compare everything a request's handling depends on: the verdict, the method, target and
version, whether the connection stays open, the header fields, the bytes answered (errors,
``100 Continue``) and how far the input was read.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fake_shopify import FakeShopify
from fake_shopify.served import ServedShopify, _Handler, _PlainHeaders


class _Quiet:
    """The parts of a response that change between runs, fixed."""

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def date_time_string(self, timestamp: float | None = None) -> str:
        return "Thu, 03 Dec 2026 00:00:00 GMT"

    def version_string(self) -> str:
        return "test"


class _Standard(_Quiet, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"


class _Ours(_Quiet, _Handler):
    pass


def _read_head(cls: type[BaseHTTPRequestHandler], data: bytes) -> dict[str, Any]:
    handler = cls.__new__(cls)
    handler.rfile = io.BytesIO(data)
    handler.wfile = io.BytesIO()
    handler.client_address = ("127.0.0.1", 50000)
    handler.raw_requestline = handler.rfile.readline(65537)
    accepted = handler.parse_request()
    seen: dict[str, Any] = {
        "accepted": accepted,
        "command": handler.command,
        "version": handler.request_version,
        "close": handler.close_connection,
        "answer": handler.wfile.getvalue(),
        "read": handler.rfile.tell(),
    }
    if accepted:
        headers: Any = handler.headers
        seen["path"] = handler.path
        seen["requestline"] = handler.requestline
        seen["fields"] = list(headers.items())
        names = {name.lower() for name, _ in seen["fields"]} | {"host", "connection", "expect"}
        seen["get"] = {name: headers.get(name) for name in sorted(names)}
    return seen


def _same(data: bytes) -> dict[str, Any]:
    ours, standard = _read_head(_Ours, data), _read_head(_Standard, data)
    assert ours == standard, data
    return ours


METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "get", "G3T", ""])
TARGETS = st.one_of(
    st.sampled_from(["/", "/admin/api/2026-10/webhooks.json?limit=250", "//evil/x", "*"]),
    st.sampled_from(["https://acme.myshopify.com/x", "/a b", "/\x85", "/é", "/%2F?q=a%20b"]),
    st.text(alphabet="/abc?=&%:;@!~*'()\t ", max_size=12).map(lambda t: "/" + t),
)
VERSIONS = st.sampled_from(
    ["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1.1", "HTTP/1.x", "HTTPS/1.1", "http/1.1", ""]
)
ENDINGS = st.sampled_from(["\r\n", "\n", "\r\r\n", " \r\n", "\x0b\r\n"])
PLAIN_FIELDS = st.tuples(
    st.sampled_from(["Host", "Content-Length", "X-Shopify-Access-Token", "connection", "A!#$%"]),
    st.sampled_from([" ", "", "  \t", "\t"]),
    st.text(alphabet="abc 09\t:;,=-./", max_size=10),
).map(lambda f: f"{f[0]}:{f[1]}{f[2]}")
ODD_FIELDS = st.sampled_from(
    [
        " folded continuation",
        "\tfolded with a tab",
        "no colon at all",
        ": empty name",
        "Name With Space: v",
        "From someone",
        "X-Bare: a\rb",
        "X-Latin: caf\xe9",
        "X-Nul: a\x00b",
        "Connection: close",
        "Connection: keep-alive",
        "CONNECTION: Close",
        "Expect: 100-continue",
        "X-Trailing: v   ",
        "X-Vt: a\x0bb",
    ]
)
FIELD_ENDINGS = st.sampled_from(["\r\n", "\n"])
BLOCK_ENDS = st.sampled_from(["\r\n", "\n", ""])


@st.composite
def heads(draw: st.DrawFn) -> bytes:
    words = [draw(METHODS), draw(TARGETS), draw(VERSIONS)]
    if draw(st.booleans()):
        words = words[: draw(st.integers(0, 3))] + draw(st.lists(st.just("x"), max_size=2))
    line = " ".join(words) + draw(ENDINGS)
    fields = draw(st.lists(st.one_of(PLAIN_FIELDS, ODD_FIELDS), max_size=6))
    block = "".join(field + draw(FIELD_ENDINGS) for field in fields) + draw(BLOCK_ENDS)
    return (line + block).encode("latin-1") + draw(st.sampled_from([b"", b"body"]))


@settings(max_examples=400, deadline=None)
@given(heads())
@example(b"GET /admin/api/2026-10/shop.json HTTP/1.1\r\nHost: acme.myshopify.com\r\n\r\n")
@example(b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n")
@example(b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi")
@example(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
@example(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
@example(b"GET / HTTP/1.1\r\nHost: a\r\n")  # the block ends at EOF
def test_a_request_head_reads_as_the_standard_library_reads_it(data: bytes) -> None:
    _same(data)


def test_plain_requests_take_the_direct_path_and_others_the_standard_one() -> None:
    plain = _same(b"GET /x?y=1 HTTP/1.1\r\nHost: acme.myshopify.com\r\nX-A:  b \r\n\r\n")
    assert plain["fields"] == [("Host", "acme.myshopify.com"), ("X-A", "b ")]
    direct = _Ours.__new__(_Ours)
    direct.rfile = io.BytesIO(b"Host: a\r\n\r\n")
    direct.raw_requestline = b"GET / HTTP/1.1\r\n"
    assert direct.parse_request()
    assert isinstance(direct.headers, _PlainHeaders)
    folded = _Ours.__new__(_Ours)
    folded.rfile = io.BytesIO(b"Host: a\r\n b\r\n\r\n")
    folded.raw_requestline = b"GET / HTTP/1.1\r\n"
    assert folded.parse_request()
    assert not isinstance(folded.headers, _PlainHeaders)  # the email parser's reading
    assert folded.headers.get("Host") == "a\r\n b"  # compat32 keeps the fold


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GET / HTTP/1.1\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\n" + b"X-Many: 1\r\n" * 101 + b"\r\n", 431),
        (b"GET / HTTP/1.1\r\n" + b"X-Many: 1\r\n" * 99 + b"\r\n", None),
        (b"GET / HTTP/2.0\r\n\r\n", 505),
        (b"GET / HTTP/1.x\r\n\r\n", 400),
        (b"GET /a b HTTP/1.1\r\n\r\n", 400),
        (b"POST /\r\n\r\n", 400),
    ],
)
def test_limits_and_malformed_request_lines_get_the_standard_answers(
    data: bytes, status: int | None
) -> None:
    seen = _same(data)
    if status is None:
        assert seen["accepted"]
        assert seen["answer"] == b""
    else:
        assert not seen["accepted"]
        assert seen["close"]
        # (before the version is known the standard library answers without a status line)
        assert f"Error code: {status}".encode() in seen["answer"]


# -- over the socket ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served() -> Iterator[ServedShopify]:
    fake = FakeShopify()
    fake.add_shop("acme")
    fake.add_app("bot")
    fake.install("acme", "bot", token="shpat_parsing")
    with ServedShopify(fake) as service:
        yield service


def _exchange(served: ServedShopify, head: bytes) -> bytes:
    context = served.client_context()
    with (
        socket.create_connection(served.address, timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="acme.myshopify.com") as tls,
    ):
        tls.sendall(head)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = tls.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def test_an_odd_header_is_read_by_the_email_parser_over_tls(served: ServedShopify) -> None:
    answer = _exchange(
        served,
        b"GET /admin/api/2026-10/shop.json HTTP/1.1\r\nHost: acme.myshopify.com\r\n"
        b"X-Note: caf\xe9\r\nX-Shopify-Access-Token: shpat_parsing\r\nConnection: close\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 200 ")
    # A folded token keeps its fold (the email parser's compat32 reading), as before.
    folded = _exchange(
        served,
        b"GET /admin/api/2026-10/shop.json HTTP/1.1\r\nHost: acme.myshopify.com\r\n"
        b"X-Shopify-Access-Token:\r\n shpat_parsing\r\nConnection: close\r\n\r\n",
    )
    assert folded.startswith(b"HTTP/1.1 401 ")


def test_a_malformed_request_line_is_a_400_over_tls(served: ServedShopify) -> None:
    answer = _exchange(served, b"GET /admin x HTTP/1.1\r\nHost: acme.myshopify.com\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 Bad request syntax")
