"""Correct, sync, on Shopify's own Python library (``ShopifyAPI``): the ``Webhook`` resource.

``shopify.Session`` + ``ShopifyResource.activate_session`` per hook call (the library keeps the
session per thread), cleared in ``finally``. ``register`` finds by ``topic`` and ``address`` and
creates what is missing; ``unregister`` finds by ``address`` and destroys, a
``ResourceNotFound`` meaning already gone. Failures (``pyactiveresource``'s connection errors,
validation errors, ``urllib`` errors) raise the platform's ``RuntimeError`` without the token.

The library's own logger (``pyactiveresource.connection``) writes the request headers, token
included, at debug level; the platform runtime emits library records at info and above, so that
is not a finding at the default level (see the README, "Third-party log records").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyactiveresource.connection
import shopify

from harness.platform import Context, Logger, RuntimeError

API_VERSION = "2024-10"  # the newest version ShopifyAPI 12 knows
TOPICS = ("orders/create", "orders/cancelled", "customers/create")
FAILURES = (pyactiveresource.connection.Error, OSError)


@contextmanager
def activated(ctx: Context) -> Iterator[None]:
    shop = ctx.configuration.get("shopName")
    token = ctx.configuration.get("access_token")
    if not shop or not token:
        raise RuntimeError("Missing Shopify configuration: shopName and access_token are required")
    shopify.ShopifyResource.activate_session(
        shopify.Session(f"{shop}.myshopify.com", API_VERSION, str(token))
    )
    try:
        yield
    finally:
        shopify.ShopifyResource.clear_session()


def failed(action: str, exc: BaseException) -> RuntimeError:
    code = getattr(getattr(exc, "response", None), "code", None)
    return RuntimeError(f"Shopify {action} failed: {type(exc).__name__} {code or ''}".strip())


def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    with activated(ctx):
        for topic in TOPICS:
            try:
                if shopify.Webhook.find(topic=topic, address=webhook_url):
                    continue
                hook = shopify.Webhook.create(
                    {"topic": topic, "address": webhook_url, "format": "json"}
                )
            except FAILURES as exc:
                raise failed(f"subscribing {topic}", exc) from None
            if hook.errors.full_messages():
                # A 422 "already been taken": a lost answer to an earlier create. Confirm.
                try:
                    if shopify.Webhook.find(topic=topic, address=webhook_url):
                        continue
                except FAILURES as exc:
                    raise failed(f"subscribing {topic}", exc) from None
                raise RuntimeError(
                    f"Shopify refused {topic}: {'; '.join(hook.errors.full_messages())}"
                )
            logger.for_bot().info("Subscribed %s to Shopify %s", webhook_url, topic)


def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    with activated(ctx):
        try:
            hooks = shopify.Webhook.find(address=webhook_url)
        except FAILURES as exc:
            raise failed("listing webhooks", exc) from None
        for hook in hooks:
            if hook.address != webhook_url:
                continue
            try:
                hook.destroy()
            except pyactiveresource.connection.ResourceNotFound:
                logger.for_bot().warning("Shopify webhook %s was already deleted", hook.id)
            except FAILURES as exc:
                raise failed(f"deleting webhook {hook.id}", exc) from None
