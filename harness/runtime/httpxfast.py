"""httpx's per-request bookkeeping made cheaper while the harness runs, answers unchanged.

In-process, an integration's request never reaches a network, yet httpx still parses every URL
character by character, runs each response through ``http.cookiejar`` and parses the
``Content-Type`` header with ``email.message`` to find a charset. Over a ``check`` these were a
fifth of the CPU time of a simple integration (``bench/bench_lifecycle.py``, cProfile). While
:func:`fast_httpx` is active:

* ``urlparse`` (by the names ``httpx.URL`` and ``ParseResult.copy_with`` call) is memoised on its arguments: the same
  handful of URLs are parsed over and over, and its result is an immutable ``NamedTuple``.
  Invalid URLs are not cached (they raise, as before).
* ``Cookies.extract_cookies`` returns at once for a response without ``Set-Cookie`` /
  ``Set-Cookie2`` headers (the cookie jar would find nothing in it), and
  ``Cookies.set_cookie_header`` for an empty jar (it would add nothing).
* ``httpx._models._parse_content_type_charset`` is memoised (a pure function of the header).

Everything is restored when the outermost :func:`fast_httpx` exits; nesting is a no-op.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from httpx import _models as _httpx_models
from httpx import _urlparse as _httpx_urlparse
from httpx import _urls as _httpx_urls

__all__ = ["URL_CACHE_SIZE", "fast_httpx"]

URL_CACHE_SIZE = 4096
"""Parsed URLs kept (the cache starts over when full: an integration walking ever new URLs
costs what it did without it)."""

_lock = threading.Lock()
_depth = 0
_saved: list[tuple[object, str, object]] = []


def _memoised_urlparse(original: Callable[..., Any]) -> Callable[..., Any]:
    cache: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}

    def urlparse(url: str = "", **kwargs: Any) -> Any:
        try:
            key = (url, tuple(sorted(kwargs.items()))) if kwargs else (url, ())
            found = cache.get(key)
        except TypeError:  # an unhashable argument: parse (and fail) as httpx would
            return original(url, **kwargs)
        if found is None:
            found = original(url, **kwargs)
            if len(cache) >= URL_CACHE_SIZE:
                cache.clear()
            cache[key] = found
        return found

    return urlparse


def _extract_cookies(original: Callable[[httpx.Cookies, httpx.Response], None]) -> Any:
    def extract_cookies(self: httpx.Cookies, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" not in headers and "set-cookie2" not in headers:
            return
        original(self, response)

    return extract_cookies


def _set_cookie_header(original: Callable[[httpx.Cookies, httpx.Request], None]) -> Any:
    def set_cookie_header(self: httpx.Cookies, request: httpx.Request) -> None:
        if len(self.jar) == 0:
            return
        original(self, request)

    return set_cookie_header


def _patch(owner: object, name: str, value: object) -> None:
    _saved.append((owner, name, getattr(owner, name)))
    setattr(owner, name, value)


@contextmanager
def fast_httpx() -> Iterator[None]:
    """Cheaper httpx bookkeeping for the duration of the block (see the module docstring)."""
    global _depth
    with _lock:
        _depth += 1
        if _depth == 1:
            # ``httpx.URL`` calls it by this module's name, ``ParseResult.copy_with`` (a URL
            # built from another with changes, as every client request is) by its own.
            memoised = _memoised_urlparse(_httpx_urlparse.urlparse)
            _patch(_httpx_urls, "urlparse", memoised)
            _patch(_httpx_urlparse, "urlparse", memoised)
            _patch(
                httpx.Cookies, "extract_cookies", _extract_cookies(httpx.Cookies.extract_cookies)
            )
            _patch(
                httpx.Cookies,
                "set_cookie_header",
                _set_cookie_header(httpx.Cookies.set_cookie_header),
            )
            _patch(
                _httpx_models,
                "_parse_content_type_charset",
                functools.lru_cache(maxsize=256)(_httpx_models._parse_content_type_charset),
            )
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                while _saved:
                    owner, name, value = _saved.pop()
                    setattr(owner, name, value)
