"""Header access on the hot path: the one place that relies on ``httpx.Headers``' private layout.

``httpx.Headers`` keeps ``(raw key, lower-case key, value)`` triples in ``_list``. Reading and
filling that list directly skips work the fake pays on every request: ``Headers.raw`` builds a
new list of pairs and ``Headers.get`` recomputes the encoding on each lookup; the public
constructor normalises every item (half the cost of building a response). The layout is checked
once at import; if httpx ever changes it, the public API is used instead.
"""

from __future__ import annotations

import httpx

__all__ = ["HeaderTriple", "find", "find_two", "new_response", "set_headers", "triple"]

HeaderTriple = tuple[bytes, bytes, bytes]


def _layout_ok() -> bool:
    probe = httpx.Headers([(b"X-Probe", b"1")])
    return getattr(probe, "_list", None) == [(b"X-Probe", b"x-probe", b"1")]


FAST = _layout_ok()


def triple(name: bytes, value: bytes) -> HeaderTriple:
    """A header as the triple ``set_headers`` takes."""
    return (name, name.lower(), value)


def find(headers: httpx.Headers, name: bytes) -> bytes | None:
    """The first value of header ``name`` (lower-case bytes), or ``None``."""
    if FAST:
        for _, lower, value in headers._list:
            if lower == name:
                return value
        return None
    for key, value in headers.raw:
        if key.lower() == name:
            return value
    return None


def find_two(
    headers: httpx.Headers, first: bytes, second: bytes
) -> tuple[bytes | None, bytes | None]:
    """The values of two headers (lower-case bytes) in one scan; the last one wins if a header
    repeats (as the core has always read the token and Accept headers)."""
    one = two = None
    if FAST:
        for _, lower, value in headers._list:
            if lower == first:
                one = value
            elif lower == second:
                two = value
        return one, two
    for key, value in headers.raw:
        lower = key.lower()
        if lower == first:
            one = value
        elif lower == second:
            two = value
    return one, two


def set_headers(response: httpx.Response, triples: list[HeaderTriple], encoding: str) -> None:
    """Give ``response`` exactly these headers (the list is taken over, not copied)."""
    if FAST:
        response.headers._list = triples
    else:
        response.headers = httpx.Headers([(key, value) for key, _, value in triples])
    # Known up front: saves httpx from detecting the headers' encoding on first use.
    response.headers.encoding = encoding


def _slow_response(
    status: int, content: bytes, triples: list[HeaderTriple], encoding: str
) -> httpx.Response:
    # Built from a stream with the body preloaded: httpx.Response(content=...) would decode the
    # body once more through its content decoders.
    response = httpx.Response(status, stream=httpx.ByteStream(content))
    response._content = content
    set_headers(response, triples, encoding)
    return response


_new = object.__new__


def _fast_response(
    status: int, content: bytes, triples: list[HeaderTriple], encoding: str
) -> httpx.Response:
    # What httpx.Response(status, stream=ByteStream(content)) sets, without running its
    # constructor (a third of building a response); checked against it at import.
    headers = _new(httpx.Headers)
    headers._list = triples
    headers._encoding = encoding
    response = _new(httpx.Response)
    response.__dict__.update(
        status_code=status,
        headers=headers,
        _request=None,
        next_request=None,
        extensions={},
        history=[],
        is_closed=False,
        is_stream_consumed=False,
        default_encoding="utf-8",
        stream=httpx.ByteStream(content),
        _num_bytes_downloaded=0,
        _content=content,
    )
    return response


def _response_layout_ok() -> bool:
    if not FAST:
        return False
    triples = [(b"X-Probe", b"x-probe", b"1")]
    slow = _slow_response(201, b"{}", list(triples), "ascii")
    fast = _fast_response(201, b"{}", list(triples), "ascii")
    slow_vars, fast_vars = dict(vars(slow)), dict(vars(fast))
    if slow_vars.keys() != fast_vars.keys():
        return False
    slow_headers, fast_headers = slow_vars.pop("headers"), fast_vars.pop("headers")
    if vars(slow_headers) != vars(fast_headers):
        return False
    slow_stream, fast_stream = slow_vars.pop("stream"), fast_vars.pop("stream")
    if type(slow_stream) is not type(fast_stream) or vars(slow_stream) != vars(fast_stream):
        return False
    return slow_vars == fast_vars


FAST_RESPONSE = _response_layout_ok()


def new_response(
    status: int, content: bytes, triples: list[HeaderTriple], encoding: str
) -> httpx.Response:
    """A response with this status, body (already read) and exactly these headers."""
    if FAST_RESPONSE:
        return _fast_response(status, content, triples, encoding)
    return _slow_response(status, content, triples, encoding)
