"""Header access on the hot path: the one place that relies on ``httpx.Headers``' private layout.

``httpx.Headers`` keeps ``(raw key, lower-case key, value)`` triples in ``_list``. Reading and
filling that list directly skips work the fake pays on every request: ``Headers.raw`` builds a
new list of pairs and ``Headers.get`` recomputes the encoding on each lookup; the public
constructor normalises every item (half the cost of building a response). The layout is checked
once at import; if httpx ever changes it, the public API is used instead.
"""

from __future__ import annotations

import httpx

__all__ = ["HeaderTriple", "find", "find_two", "set_headers", "triple"]

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
