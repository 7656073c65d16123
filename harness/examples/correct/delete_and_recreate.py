"""Correct, async: delete every subscription of this bot, then create the wanted ones afresh.

Style: pattern P4 of the integrations of https://github.com/botpress/botpress/tree/master/integrations (Calendly: "simply checking if webhook
subscriptions exist may lead to a de-synchronization of the webhook signing key"; DocuSign's
``refreshWebhooks``; the fix proposed for Linear's URL-only matching, A6). Whatever drifted
(a removed subscription, a changed format or field list), the next ``register`` rebuilds it.
No platform state is kept.

- ``register`` lists ``webhooks.json?address=URL`` (every page), deletes those subscriptions
  (a 404 means already gone), then creates one per topic. A 422 "already been taken" (a concurrent
  ``register`` of the same bot re-created it first) is confirmed by listing, never assumed.
- ``unregister`` is the first half of ``register``: list by address and delete; nothing listed
  means nothing to do. A 404 there is logged at warning level.
- The world after two registers equals the world after one (ids differ, content does not), so it
  passes ``idempotent``; it does send mutating requests on every register, so it fails the
  stricter request-level option on purpose: that is the price of this style.
- A 429 or a 5xx is retried after ``Retry-After`` or a short pause (``asyncio.sleep``, virtual
  under the harness); other failures raise the platform's ``RuntimeError`` without the token.
"""

from __future__ import annotations

from harness.examples._shopify_rest import (
    TOPICS,
    create_webhook,
    delete_webhook,
    list_webhooks,
    shopify,
)
from harness.platform import Context, Logger

# This style retries 5xx as well as 429 (the shared default is 429 only).
RETRYABLE = frozenset({429, 500, 502, 503, 504})


async def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with shopify(ctx) as http:
        for hook in await list_webhooks(http, {"address": webhook_url}, retry_on=RETRYABLE):
            # Deleting to rebuild: a 404 (already gone) is what we wanted, not worth a warning.
            await delete_webhook(http, None, hook["id"], retry_on=RETRYABLE)
        for topic in TOPICS:
            await create_webhook(http, topic=topic, address=webhook_url, retry_on=RETRYABLE)
    logger.for_bot().info("Shopify webhooks re-created for %s", ", ".join(TOPICS))


async def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    async with shopify(ctx) as http:
        for hook in await list_webhooks(http, {"address": webhook_url}, retry_on=RETRYABLE):
            await delete_webhook(http, logger, hook["id"], retry_on=RETRYABLE)
