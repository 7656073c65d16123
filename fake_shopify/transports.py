"""Transport adapters over ``FakeShopify.handle``: respx interception.

``Interceptor`` is a respx router that uses respx's ``httpx`` mocker (it patches
``httpx.Client``/``AsyncClient`` transport selection, so clients the code under test builds
itself are intercepted too) but skips respx's per-route matching: one host check dispatches
inside the fake. That is what keeps interception close to the bare ``MockTransport`` cost.
``httpx.MockTransport(fake.handle)`` is the other adapter (``FakeShopify.transport()``).
"""

from __future__ import annotations

import asyncio
import inspect
import types
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import httpx
import respx
from respx.mocks import Mocker
from respx.models import AllMockedAssertionError, PassThrough

from fake_shopify.errors import UnservedRequestError

if TYPE_CHECKING:
    from fake_shopify.core import FakeShopify

__all__ = ["Interceptor", "UnservedByThisFake", "suspend"]

_SHOP_SUFFIX = ".myshopify.com"


class UnservedByThisFake(UnservedRequestError, AllMockedAssertionError):
    """:class:`UnservedRequestError` that other active respx routers may still serve.

    respx offers a request to every active router in turn and re-raises the last
    ``AllMockedAssertionError`` when none answers, so a test's own ``respx.mock`` routes for
    other hosts keep working beside the fake, and nothing ever reaches the network.
    """


class Interceptor(respx.MockRouter):
    """A respx router whose only route is "``*.myshopify.com`` goes to the fake"."""

    def __init__(
        self,
        fake: FakeShopify,
        *,
        other_hosts: Callable[[httpx.Request], Any] | None = None,
    ) -> None:
        super().__init__(assert_all_called=False, assert_all_mocked=True, using="httpx")
        self._fake = fake
        self._other_hosts = other_hosts

    def _unserved(self, request: httpx.Request) -> Any:
        if self._other_hosts is not None:
            return self._other_hosts(request)
        raise UnservedByThisFake(
            request, served=[s.domain for s in self._fake.backend.shops.values()]
        )

    def _respx_routers(self) -> list[respx.Router]:
        """The test's own respx routers, active now, in the order respx would try them.

        The fake intercepts at httpx's transport (respx's ``httpx`` mocker), before respx's
        default ``httpcore`` mocker would see the request, so ``respx.mock`` routes for other
        hosts (decorator, context manager or the ``respx_mock`` fixture, started before or
        after the fake) are offered the request here. Other fakes' interceptors are left out:
        each serves its own shops.
        """
        routers: list[respx.Router] = []
        for mocker in Mocker.registry.values():
            for router in mocker.routers:
                if not isinstance(router, Interceptor) and router not in routers:
                    routers.append(router)
        return routers

    def _pass_through(self, request: httpx.Request, exc: PassThrough) -> UnservedByThisFake:
        return UnservedByThisFake(
            request,
            served=[s.domain for s in self._fake.backend.shops.values()],
            reason=f"a respx route marks it pass_through ({exc.origin!r}), and nothing is ever "
            "sent to the network while the fake intercepts",
        )

    def _from_respx(self, request: httpx.Request) -> httpx.Response | None:
        for router in self._respx_routers():
            try:
                return router.handler(request)
            except AllMockedAssertionError:
                continue
            except PassThrough as exc:
                raise self._pass_through(request, exc) from None
        return None

    async def _from_respx_async(self, request: httpx.Request) -> httpx.Response | None:
        for router in self._respx_routers():
            try:
                return await router.async_handler(request)
            except AllMockedAssertionError:
                continue
            except PassThrough as exc:
                raise self._pass_through(request, exc) from None
        return None

    def handler(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host.endswith(_SHOP_SUFFIX):
            return self._fake._handle_shop(request, host)  # one host check per request
        from_respx = self._from_respx(request)
        if from_respx is not None:
            return from_respx
        response = self._unserved(request)
        if inspect.isawaitable(response):
            close = getattr(response, "close", None)
            if close is not None:
                close()  # never awaited: close it so Python does not warn about it
            raise TypeError(
                "other_hosts returned an awaitable to a sync httpx client; return an "
                "httpx.Response for sync clients"
            )
        return _checked(response, request)

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        # A real request suspends its caller at least once; concurrent tasks interleave here.
        await suspend()
        host = request.url.host
        if host.endswith(_SHOP_SUFFIX):
            response: Any = self._fake._handle_shop(request, host)
            return _checked(response, request)
        from_respx = await self._from_respx_async(request)
        if from_respx is not None:
            return from_respx
        response = self._unserved(request)
        if inspect.isawaitable(response):
            response = await response
        return _checked(response, request)

    def record(self, *args: Any, **kwargs: Any) -> None:
        # respx keeps every call for its own assertions; the fake has its journal (bounded).
        return None


def _checked(response: object, request: httpx.Request) -> httpx.Response:
    if not isinstance(response, httpx.Response):
        raise TypeError(
            f"other_hosts must return an httpx.Response for {request.method} {request.url}, "
            f"got {response!r}"
        )
    return response


@types.coroutine
def _yield_once() -> Generator[None, None, None]:
    # What asyncio.sleep(0) does inside, immune to tests or harnesses patching asyncio.sleep.
    yield


async def suspend() -> None:
    """Yield to the event loop once, as a real network round trip would (asyncio only)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # another async library (trio): nothing to interleave with here
        return
    await _yield_once()
