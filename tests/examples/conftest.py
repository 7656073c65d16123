"""A small hand-built platform around the fake Shopify, to drive the examples' hooks directly.

``ExampleWorld`` plays the platform's part by hand, without the simulator: it provisions shops,
one app and its tokens in a ``FakeShopify``, builds a ``Context``, a state client and a logger per
call, injects the arguments a hook asks for by name, and runs the hook (``asyncio.run`` for async
hooks) while the fake intercepts every ``*.myshopify.com`` request. What a test then inspects is
the fake's subscriptions and journal, the state store and the log sink.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest

from fake_shopify import FakeShopify
from harness.examples import EXAMPLES
from harness.runtime import (
    AsyncPlatformClient,
    Context,
    LogRecord,
    LogSink,
    PlatformClient,
    PlatformLogger,
    StateStore,
)

APP = "botpress"
INTEGRATION_ID = "intshopify"
TOPICS = ("orders/create", "orders/cancelled", "customers/create")


@dataclass
class Tenant:
    """One bot with the Shopify integration installed, and its configuration."""

    bot_id: str
    shop: str
    token: str
    webhook_id: str

    @property
    def webhook_url(self) -> str:
        return f"https://webhook.botpress.cloud/{self.webhook_id}"

    @property
    def configuration(self) -> dict[str, str]:
        return {"shopName": self.shop, "access_token": self.token}


@dataclass
class Outcome:
    """How one hook call ended: ``None`` or the exception that escaped."""

    exception: BaseException | None
    logs: list[LogRecord] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exception is None

    def at_least(self, level: str) -> list[LogRecord]:
        order = ["debug", "info", "warn", "error"]
        floor = order.index(level)
        return [r for r in self.logs if order.index(_level(r.level)) >= floor]


def _level(level: str) -> str:
    return "warn" if level == "warning" else level


class ExampleWorld:
    """Shops, one app, bots (tenants) and the platform pieces one hook call needs."""

    def __init__(self, *, shops: tuple[str, ...] = ("acme",), bots_per_shop: int = 1) -> None:
        self.fake = FakeShopify()
        self.fake.add_app(APP)
        self.store = StateStore(clock=self.fake.clock)
        self.sink = LogSink(clock=self.fake.clock)
        self.tenants: dict[str, Tenant] = {}
        for shop in shops:
            self.fake.add_shop(shop)
            token = self.fake.install(shop, APP).access_token
            for _ in range(bots_per_shop):
                n = len(self.tenants) + 1
                bot = Tenant(bot_id=f"bot{n}", shop=shop, token=token, webhook_id=f"wh{n:04d}")
                self.tenants[bot.bot_id] = bot

    # -- calling hooks -------------------------------------------------------------------------

    def call(self, module: ModuleType, operation: str, bot: str = "bot1") -> Outcome:
        """Run ``module.<operation>`` for ``bot`` as the platform would, and say how it ended."""
        mark = self.sink.mark()
        with self.fake.intercept():
            try:
                result = self._invoke(module, operation, bot)
                if inspect.isawaitable(result):
                    asyncio.run(_awaited(result))
            except Exception as exc:
                return Outcome(exc, self.sink.since(mark))
        return Outcome(None, self.sink.since(mark))

    def call_concurrently(
        self, module: ModuleType, operation: str, bots: list[str]
    ) -> list[Outcome]:
        """Run the async hook of several bots overlapping in one event loop."""
        mark = self.sink.mark()

        async def overlapping() -> list[Any]:
            calls = [self._invoke(module, operation, bot) for bot in bots]
            return await asyncio.gather(*(_awaited(c) for c in calls), return_exceptions=True)

        with self.fake.intercept():
            results = asyncio.run(overlapping())
        logs = self.sink.since(mark)
        return [Outcome(r if isinstance(r, BaseException) else None, logs) for r in results]

    def _invoke(self, module: ModuleType, operation: str, bot: str) -> object:
        tenant = self.tenants[bot]
        hook: Callable[..., object] = getattr(module, operation)
        is_async = inspect.iscoroutinefunction(hook)
        client_class = AsyncPlatformClient if is_async else PlatformClient
        available: dict[str, object] = {
            "ctx": Context(
                bot_id=tenant.bot_id,
                integration_id=INTEGRATION_ID,
                webhook_id=tenant.webhook_id,
                configuration=tenant.configuration,
                operation=operation,
            ),
            "client": client_class(self.store, bot_id=tenant.bot_id, integration_id=INTEGRATION_ID),
            "logger": PlatformLogger(self.sink, bot_id=tenant.bot_id),
            "webhook_url": tenant.webhook_url,
        }
        wanted = inspect.signature(hook).parameters
        return hook(**{name: value for name, value in available.items() if name in wanted})

    # -- the world -----------------------------------------------------------------------------

    def rotate_token(self, bot: str = "bot1") -> str:
        """A configuration save with a new token: every bot of that shop gets it."""
        shop = self.tenants[bot].shop
        token = self.fake.rotate_token(shop, APP)
        for tenant in self.tenants.values():
            if tenant.shop == shop:
                tenant.token = token
        return token

    def subscriptions(self, bot: str = "bot1") -> list[tuple[str, str]]:
        """(topic, address) of every subscription of the app on the bot's shop, sorted."""
        shop = self.tenants[bot].shop
        return sorted((hook.topic, hook.address) for hook in self.fake.webhooks(shop, APP))

    def own(self, bot: str = "bot1") -> list[tuple[str, str]]:
        """The subscriptions pointing at ``bot``'s webhook URL (address may carry a query)."""
        url = self.tenants[bot].webhook_url
        return [(t, a) for t, a in self.subscriptions(bot) if a.split("?")[0] == url]

    def wanted(self, bot: str = "bot1", topics: tuple[str, ...] = TOPICS) -> list[tuple[str, str]]:
        return sorted((topic, self.tenants[bot].webhook_url) for topic in topics)

    def states(self, bot: str = "bot1") -> dict[Any, Any]:
        return {key: state.payload for key, state in self.store.states(bot).items()}

    def requests(self, method: str | None = None) -> list[Any]:
        """The exchanges the fake journaled, optionally only those of one HTTP method."""
        return [e for e in self.fake.journal if method is None or e.request.method == method]


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


@pytest.fixture
def world() -> ExampleWorld:
    """One shop, one app, one bot."""
    return ExampleWorld()


@pytest.fixture
def make_world() -> Callable[..., ExampleWorld]:
    """Build a world with other shops or more bots: ``make_world(shops=(...), bots_per_shop=n)``."""
    return ExampleWorld


@pytest.fixture
def load() -> Callable[[str], ModuleType]:
    """Import the example registered under a name in ``harness.examples.EXAMPLES``."""

    def load(name: str) -> ModuleType:
        return importlib.import_module(EXAMPLES[name].target)

    return load


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Sleeps return at once and are recorded (the simulator's virtual time does this for real)."""
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def asleep(seconds: float, result: Any = None) -> Any:
        slept.append(seconds)
        return result

    monkeypatch.setattr("time.sleep", sleep)
    monkeypatch.setattr("asyncio.sleep", asleep)
    return slept
