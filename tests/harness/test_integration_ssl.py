"""The SSL-context cache: clients built during hook calls share contexts; all restored after."""

from __future__ import annotations

import ssl
import types
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from httpx._transports import default as httpx_default

from harness.runtime import Context, LogSink, StateStore
from harness.runtime.sslcache import cached_ssl_contexts, ssl_cache_active
from harness.runtime.vtime import VirtualTime
from harness.targets.python import call_hook, load_integration

ORIGINAL = httpx_default.create_ssl_context  # type: ignore[attr-defined]


def ssl_context_of(client: httpx.Client | httpx.AsyncClient) -> ssl.SSLContext:
    context = client._transport._pool._ssl_context  # type: ignore[union-attr]
    assert isinstance(context, ssl.SSLContext)
    return context


@pytest.fixture
def vt() -> Iterator[VirtualTime]:
    clock = VirtualTime().start()
    try:
        yield clock
    finally:
        clock.stop()


def test_clients_built_in_hooks_share_one_context_and_the_patch_is_restored(
    vt: VirtualTime,
) -> None:
    contexts: list[ssl.SSLContext] = []

    async def register() -> None:
        for _ in range(3):  # a new client per call, as many integrations do
            async with httpx.AsyncClient() as client:
                contexts.append(ssl_context_of(client))

    def unregister() -> None:
        with httpx.Client() as client:
            contexts.append(ssl_context_of(client))

    integration = load_integration(types.SimpleNamespace(register=register, unregister=unregister))
    ctx = Context(bot_id="bot1", integration_id="i", webhook_id="w")
    for operation in ("register", "unregister"):
        outcome = call_hook(
            integration, operation, ctx=ctx, store=StateStore(), sink=LogSink(), vtime=vt
        )
        assert outcome.ok, outcome.exc_text
    assert len({id(c) for c in contexts}) == 1
    assert httpx_default.create_ssl_context is ORIGINAL  # type: ignore[attr-defined]
    assert not ssl_cache_active()
    # Outside the harness, httpx builds a fresh context again.
    with httpx.Client() as first, httpx.Client() as second:
        assert ssl_context_of(first) is not ssl_context_of(second)


def test_cache_can_be_turned_off(vt: VirtualTime) -> None:
    seen: list[Any] = []

    def register() -> None:
        seen.append(httpx_default.create_ssl_context)  # type: ignore[attr-defined]

    integration = load_integration(types.SimpleNamespace(register=register, unregister=register))
    ctx = Context(bot_id="bot1", integration_id="i", webhook_id="w")
    call_hook(
        integration,
        "register",
        ctx=ctx,
        store=StateStore(),
        sink=LogSink(),
        vtime=vt,
        cache_ssl=False,
    )
    assert seen == [ORIGINAL]


def test_one_context_per_configuration_and_passthrough() -> None:
    custom = ssl.create_default_context()
    with cached_ssl_contexts() as cache, cached_ssl_contexts():  # reentrant
        # The cache outlives activations (contexts built in one hook call serve the next).
        lookups_before = cache.hits + cache.misses
        verified = [ssl_context_of(httpx.Client()) for _ in range(2)]
        unverified = [ssl_context_of(httpx.Client(verify=False)) for _ in range(2)]
        passed = ssl_context_of(httpx.Client(verify=custom))
        assert verified[0] is verified[1]
        assert unverified[0] is unverified[1]
        assert verified[0] is not unverified[0]
        assert unverified[0].verify_mode == ssl.CERT_NONE
        assert verified[0].verify_mode == ssl.CERT_REQUIRED
        assert passed is custom
        assert cache.hits + cache.misses - lookups_before == 4  # the custom one bypasses it
        assert len(cache.contexts) == 2
        assert ssl_cache_active()
    assert not ssl_cache_active()
    assert httpx_default.create_ssl_context is ORIGINAL  # type: ignore[attr-defined]


def test_restored_when_the_body_raises() -> None:
    with pytest.raises(ZeroDivisionError), cached_ssl_contexts():
        raise ZeroDivisionError
    assert httpx_default.create_ssl_context is ORIGINAL  # type: ignore[attr-defined]
