"""Buggy, sync, on ``urllib.request``: a failed request is logged with its headers (A2).

Where the bug comes from: platform-lifecycle.md section 4.3 A2 and section 5 "Tokens / secrets in
logs" (``JSON.stringify(axiosError)`` in the original integration). Here the author logs every
unsuccessful request "for support", with ``request.header_items()``, which carry
``X-Shopify-Access-Token``, at error level: visible to the bot owner.

Found by: ``no_secret_leak`` (any failed request puts the token into an error-level record).
Everything else is ``urllib_correct``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.examples.stacks import _sync_rest as rest
from harness.examples.stacks.urllib_correct import build, open_reply
from harness.platform import Context, Logger


def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    shop, token = rest.shop_and_token(ctx)
    rest.register(_logging_sender(token, logger), shop, webhook_url, logger)


def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    shop, token = rest.shop_and_token(ctx)
    rest.unregister(_logging_sender(token, logger), shop, webhook_url, logger)


def _logging_sender(token: str, logger: Logger) -> rest.Send:
    def send(method: str, url: str, body: Mapping[str, Any] | None) -> rest.Reply:
        request = build(method, url, body, token)
        try:
            reply = open_reply(request)
        except rest.TransportFailure:
            # BUG: the request's headers (the access token among them) go to the bot's log.
            logger.for_bot().error(
                "Shopify request failed: %s %s %s", method, url, request.header_items()
            )
            raise
        if reply.status >= 400 and reply.status != 404:
            logger.for_bot().error(  # BUG: the same, for error answers
                "Shopify answered %s: %s %s %s", reply.status, method, url, request.header_items()
            )
        return reply

    return send
