"""Test support for the fake's wire tests: a fake with one shop, two apps and their tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from fake_shopify import FakeShopify, ManualClock

START = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)  # latest stable: 2026-10
VERSION = "2026-10"
BASE = f"https://acme.myshopify.com/admin/api/{VERSION}"


@dataclass
class World:
    fake: FakeShopify
    clock: ManualClock
    client: httpx.Client  # authenticated as app "bot"
    other: httpx.Client  # authenticated as app "other" on the same shop
    token: str


def make_world(**options: object) -> World:
    clock = ManualClock(START)
    fake = FakeShopify(clock=clock, **options)  # type: ignore[arg-type]
    fake.add_shop("acme")
    fake.add_app("bot", scopes={"read_orders", "write_products"})
    fake.add_app("other")
    token = fake.install("acme", "bot").access_token
    other_token = fake.install("acme", "other").access_token
    client = httpx.Client(
        transport=fake.transport(), base_url=BASE, headers={"X-Shopify-Access-Token": token}
    )
    other = httpx.Client(
        transport=fake.transport(),
        base_url=BASE,
        headers={"X-Shopify-Access-Token": other_token},
    )
    return World(fake, clock, client, other, token)
