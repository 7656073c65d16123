"""The ``fake_shopify`` and ``platform`` fixtures' machinery (no pytest here; see the plugin).

``fake_session`` is the fake's life in one test: built fresh, interception active, and at the end
a check, in pytest-httpx's manner, that every armed fault fired and every request was served.
``PlatformFakes`` bundles the bot platform's fakes so a test can call an integration's hooks as
the platform does, against the same fake Shopify.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    import httpx

    from fake_shopify import FakeShopify
    from harness.runtime import (
        AsyncPlatformClient,
        Context,
        LogSink,
        PlatformClient,
        PlatformLogger,
        StateStore,
    )
    from harness.targets.python import HookOutcome

ASSERT_OPTIONS: tuple[str, ...] = ("assert_all_faults_fired", "assert_all_requests_served")
DEFAULT_INTEGRATION_ID = "intg_lifecycle_harness"
DEFAULT_WEBHOOK_ID = "wh_lifecycle_harness"
NOT_IMPLEMENTED_HEADER = "X-Fake-Shopify-Not-Implemented"


def fake_options() -> tuple[str, ...]:
    """The keyword options the ``fake_shopify`` marker accepts."""
    import inspect

    from fake_shopify import FakeShopify

    params = inspect.signature(FakeShopify).parameters
    keyword = (n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY)
    return tuple(sorted({*ASSERT_OPTIONS, *keyword}))


def check_fake_options(options: Mapping[str, object]) -> None:
    """Raise ``ValueError`` naming the valid options if ``options`` has an unknown one."""
    valid = fake_options()
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ValueError(
            f"unknown fake_shopify marker option(s): {', '.join(unknown)}; "
            f"valid options: {', '.join(valid)}"
        )


@dataclass
class _Unserved:
    """A request the fake did not serve, kept for the teardown report."""

    method: str
    url: str
    reason: str


@dataclass
class _UnservedLog:
    requests: list[_Unserved] = field(default_factory=list)

    def other_host(self, fake: FakeShopify) -> Callable[[httpx.Request], NoReturn]:
        """An ``intercept(other_hosts=...)`` handler: record a request to a host no fake serves,
        then refuse it exactly as the fake does (never sent; other respx routers may serve it)."""
        from fake_shopify.transports import UnservedByThisFake

        def refuse(request: httpx.Request) -> NoReturn:
            self.requests.append(
                _Unserved(request.method, str(request.url), "no fake serves this host")
            )
            shops = [shop.domain for shop in fake.backend.shops.values()]
            raise UnservedByThisFake(request, served=shops)

        return refuse


def _unserved_exchanges(fake: FakeShopify) -> list[_Unserved]:
    """Requests to a shop that the fake answered with "not implemented" (a real Shopify endpoint
    the fake does not serve: the test exercised something the fake cannot check)."""
    found = []
    for exchange in fake.journal:
        response = exchange.response
        if response is not None and NOT_IMPLEMENTED_HEADER in response.headers:
            found.append(
                _Unserved(
                    exchange.request.method,
                    str(exchange.request.url),
                    "not implemented by the fake",
                )
            )
    return found


@contextmanager
def fake_session(
    options: Mapping[str, Any], *, fail: Callable[[str], NoReturn]
) -> Iterator[FakeShopify]:
    """A fresh ``FakeShopify`` with interception active; checked when the block ends."""
    from fake_shopify import FakeShopify

    check_fake_options(options)
    assert_faults = bool(options.get("assert_all_faults_fired", True))
    assert_served = bool(options.get("assert_all_requests_served", True))
    fake = FakeShopify(**{k: v for k, v in options.items() if k not in ASSERT_OPTIONS})
    unserved = _UnservedLog()
    with fake.intercept(other_hosts=unserved.other_host(fake)):
        yield fake
    problems: list[str] = []
    if assert_faults:
        unfired = fake.faults.unfired()
        if unfired:
            lines = "\n".join(f"  - {fault!r}" for fault in unfired)
            problems.append(
                f"{len(unfired)} armed fault(s) never fired:\n{lines}\n"
                "No request matched them. Check the fault's match (method, path glob, action, "
                "shop) against the requests the test sent (fake_shopify.journal), or mark the "
                "test with @pytest.mark.fake_shopify(assert_all_faults_fired=False)."
            )
    if assert_served:
        nowhere = unserved.requests + _unserved_exchanges(fake)
        if nowhere:
            lines = "\n".join(f"  - {r.method} {r.url}: {r.reason}" for r in nowhere)
            problems.append(
                f"{len(nowhere)} request(s) went nowhere:\n{lines}\n"
                "Nothing was sent to the network. The fake serves https://<shop>.myshopify.com "
                "for the routes it implements; mock other hosts with respx, or mark the test "
                "with @pytest.mark.fake_shopify(assert_all_requests_served=False)."
            )
    if problems:
        fail("fake_shopify: " + "\n\n".join(problems))


class PlatformFakes:
    """The bot platform around an integration, for tests that call hooks themselves.

    One state store and one log sink per test; clients and loggers per bot. ``call`` runs a hook
    as the platform does (arguments injected by name, failures mapped like the platform SDK's).
    """

    def __init__(self, fake: FakeShopify, *, integration_id: str = DEFAULT_INTEGRATION_ID) -> None:
        from harness.runtime import LogSink, StateStore

        self.fake = fake
        self.integration_id = integration_id
        self.store: StateStore = StateStore(clock=fake.clock)
        self.sink: LogSink = LogSink(clock=fake.clock)

    def client(self, *, bot_id: str = "bot1") -> PlatformClient:
        from harness.runtime import PlatformClient

        return PlatformClient(self.store, bot_id=bot_id, integration_id=self.integration_id)

    def async_client(self, *, bot_id: str = "bot1") -> AsyncPlatformClient:
        from harness.runtime import AsyncPlatformClient

        return AsyncPlatformClient(self.store, bot_id=bot_id, integration_id=self.integration_id)

    def logger(self, *, bot_id: str = "bot1") -> PlatformLogger:
        from harness.runtime import PlatformLogger

        return PlatformLogger(self.sink, bot_id=bot_id)

    def context(
        self,
        *,
        configuration: Mapping[str, object],
        operation: str = "register",
        bot_id: str = "bot1",
    ) -> Context:
        from harness.runtime import Context

        return Context(
            bot_id=bot_id,
            integration_id=self.integration_id,
            webhook_id=DEFAULT_WEBHOOK_ID,
            configuration=configuration,
            operation=operation,
        )

    def call(
        self,
        integration: object,
        operation: str,
        *,
        configuration: Mapping[str, object],
        bot_id: str = "bot1",
        webhook_url: str | None = None,
    ) -> HookOutcome:
        """Call ``integration``'s ``operation`` hook as the platform does.

        ``integration`` is a target (``"package.module"``, ``"path/file.py"``...) or an object
        with ``register`` and ``unregister``.
        """
        from harness.targets.python import call_hook, load_integration

        ctx = self.context(configuration=configuration, operation=operation, bot_id=bot_id)
        return call_hook(
            load_integration(integration),
            operation,
            ctx=ctx,
            store=self.store,
            sink=self.sink,
            webhook_url=webhook_url or f"https://webhook.botpress.cloud/{DEFAULT_WEBHOOK_ID}",
        )
