"""One cached ``ssl.SSLContext`` per verify/cert configuration while the harness runs.

An integration that builds ``httpx.AsyncClient()`` on every call pays 30-50 ms for a fresh SSL
context (loading certifi's CA bundle) that is never used in-process: the fake answers before any
TLS happens. The least invasive patch point is the module-level name
``httpx._transports.default.create_ssl_context``, which both ``HTTPTransport.__init__`` and
``AsyncHTTPTransport.__init__`` look up at call time (httpx 0.28). We wrap it with a cache keyed
by ``(verify, cert, trust_env, SSL_CERT_FILE, SSL_CERT_DIR)``; contexts passed in by the caller
(``verify=<SSLContext>``) go straight through. Everything is restored when the outermost
:func:`cached_ssl_contexts` exits.

Caveat: a cached context is shared, so an integration that mutates the context of its client's
transport (rare; it is not exposed by httpx's API) would see that change in its next client.
"""

from __future__ import annotations

import os
import ssl
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

from httpx._transports import default as _httpx_default

__all__ = ["cached_ssl_contexts", "ssl_cache_active"]

_CreateSSLContext = Callable[..., ssl.SSLContext]
_PATCHED = "create_ssl_context"  # the name both httpx transports call at construction


class _SSLContextCache:
    def __init__(self, original: _CreateSSLContext) -> None:
        self.original = original
        self.contexts: dict[Hashable, ssl.SSLContext] = {}
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __call__(
        self, verify: Any = True, cert: Any = None, trust_env: bool = True
    ) -> ssl.SSLContext:
        if isinstance(verify, ssl.SSLContext):
            return self.original(verify=verify, cert=cert, trust_env=trust_env)
        env = (
            (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
            if trust_env
            else (None, None)
        )
        key = (verify, cert if not isinstance(cert, list) else tuple(cert), trust_env, env)
        try:
            hash(key)
        except TypeError:
            return self.original(verify=verify, cert=cert, trust_env=trust_env)
        with self.lock:
            context = self.contexts.get(key)
            if context is not None:
                self.hits += 1
                return context
            self.misses += 1
            context = self.original(verify=verify, cert=cert, trust_env=trust_env)
            self.contexts[key] = context
            return context


class _Patch:
    # The patch is process-wide (it replaces a module attribute), so its bookkeeping is too.
    # The cache outlives an activation: the harness opens one around every hook call (a lock
    # and two setattr), and contexts built in one call serve the next.
    lock = threading.Lock()
    depth = 0
    cache: _SSLContextCache | None = None


@contextmanager
def cached_ssl_contexts() -> Iterator[_SSLContextCache]:
    """While open, httpx clients share one SSL context per configuration. Reentrant."""
    with _Patch.lock:
        if _Patch.depth == 0:
            original = getattr(_httpx_default, _PATCHED)
            if _Patch.cache is None or _Patch.cache.original is not original:
                _Patch.cache = _SSLContextCache(original)
            setattr(_httpx_default, _PATCHED, _Patch.cache)
        _Patch.depth += 1
        cache = _Patch.cache
    assert cache is not None
    try:
        yield cache
    finally:
        with _Patch.lock:
            _Patch.depth -= 1
            if _Patch.depth == 0:
                setattr(_httpx_default, _PATCHED, cache.original)


def ssl_cache_active() -> bool:
    return _Patch.depth > 0
