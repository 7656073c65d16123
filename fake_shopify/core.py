"""``FakeShopify``: the front object tests use: seeding, inspection, and (later) HTTP."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from fake_shopify.clock import Clock, ManualClock
from fake_shopify.state import (
    DEFAULT_SCOPES,
    SEED,
    App,
    Installation,
    Plan,
    Shop,
    ShopifyBackend,
    Snapshot,
    TopicUpdatePolicy,
    Webhook,
)
from fake_shopify.versions import MalformedVersionPolicy

__all__ = ["FakeShopify"]


class FakeShopify:
    """An in-process, stateful fake of the Shopify Admin API.

    One instance is one Shopify: shops, apps, tokens and subscriptions, read against one clock.
    Build a fresh one per test (there is no global fake).
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        journal_limit: int | None = None,
        malformed_version: MalformedVersionPolicy = "not_found",
        topic_update: TopicUpdatePolicy = "ignore",
    ) -> None:
        self.clock: Clock = clock if clock is not None else ManualClock()
        self.journal_limit = journal_limit
        self.malformed_version: MalformedVersionPolicy = malformed_version
        self.topic_update: TopicUpdatePolicy = topic_update
        self.backend = ShopifyBackend(self.clock, topic_update=topic_update)

    def reset(self) -> None:
        """Forget everything (a new backend), keeping the options and the clock."""
        self.backend = ShopifyBackend(self.clock, topic_update=self.topic_update)

    # -- seeding -------------------------------------------------------------------------------

    def add_shop(
        self,
        handle: str,
        *,
        plan: Plan = "basic",
        utc_offset: str = "-05:00",
        name: str | None = None,
    ) -> Shop:
        """Create the shop ``{handle}.myshopify.com`` (``plan="plus"`` raises rate limits)."""
        return self.backend.add_shop(handle, plan=plan, utc_offset=utc_offset, name=name)

    def add_app(
        self,
        name: str,
        *,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> App:
        """Register an app with its OAuth client id, secret and requested scopes."""
        return self.backend.add_app(
            name, scopes=scopes, client_id=client_id, client_secret=client_secret
        )

    def install(
        self,
        shop: str | Shop,
        app: str | App,
        *,
        token: str | None = None,
        scopes: Iterable[str] | None = None,
    ) -> Installation:
        """Install ``app`` on ``shop``; ``.access_token`` authenticates its requests."""
        return self.backend.install(shop, app, token=token, scopes=scopes)

    def rotate_token(self, shop: str | Shop, app: str | App) -> str:
        """A new access token for the installation; the old one answers 401 from now on."""
        return self.backend.rotate_token(shop, app)

    def revoke_token(self, token: str) -> None:
        """Revoke ``token`` (401 from now on) without issuing a new one."""
        self.backend.revoke_token(token)

    def add_webhook(
        self,
        shop: str | Shop,
        app: str | App,
        *,
        topic: str,
        address: str,
        created_at: datetime | None = None,
        **fields: Any,
    ) -> Webhook:
        """Put a subscription in place directly (origin: seed). Validated as a create is."""
        return self.backend.create_webhook(
            shop, app, topic=topic, address=address, origin=SEED, created_at=created_at, **fields
        )

    def remove_webhook(self, shop: str | Shop, webhook_id: int) -> None:
        """Shopify removes a subscription on its own (drift, e.g. after failed deliveries)."""
        self.backend.remove_webhook(shop, webhook_id)

    # -- inspection ----------------------------------------------------------------------------

    def webhooks(
        self, shop: str | Shop | None = None, app: str | App | None = None
    ) -> list[Webhook]:
        """Every subscription, optionally of one shop and/or app, ordered by id."""
        return self.backend.webhooks(shop, app)

    def snapshot(self, shop: str | Shop, app: str | App) -> Snapshot:
        """What ``app`` can see on ``shop``, normalised for comparison (see :class:`Snapshot`)."""
        return self.backend.snapshot(shop, app)

    def __repr__(self) -> str:
        return (
            f"<FakeShopify shops={len(self.backend.shops)} apps={len(self.backend.apps)} "
            f"webhooks={len(self.backend.webhooks())} at {self.clock.now().isoformat()}>"
        )
