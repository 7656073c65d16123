"""Correct, sync, on the standard library's ``urllib.request``: find-or-create with retries.

``urlopen`` raises ``HTTPError`` for every status of 400 and above: that is an answer (read its
status and body), while any other ``URLError``/``OSError`` is a transport failure.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from harness.examples.stacks import _sync_rest as rest
from harness.platform import Context, Logger


def register(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    shop, token = rest.shop_and_token(ctx)
    rest.register(sender(token), shop, webhook_url, logger)


def unregister(*, ctx: Context, logger: Logger, webhook_url: str) -> None:
    shop, token = rest.shop_and_token(ctx)
    rest.unregister(sender(token), shop, webhook_url, logger)


def build(
    method: str, url: str, body: Mapping[str, Any] | None, token: str
) -> urllib.request.Request:
    headers = {"X-Shopify-Access-Token": token, "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    return urllib.request.Request(url, data=data, headers=headers, method=method)


def open_reply(request: urllib.request.Request) -> rest.Reply:
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return rest.Reply(
                response.status,
                response.read().decode("utf-8", "replace"),
                {name.lower(): value for name, value in response.headers.items()},
            )
    except urllib.error.HTTPError as error:
        with error:
            return rest.Reply(
                error.code,
                error.read().decode("utf-8", "replace"),
                {name.lower(): value for name, value in error.headers.items()},
            )
    except OSError as exc:  # URLError, resets, timeouts
        raise rest.TransportFailure(type(exc).__name__) from None


def sender(token: str) -> rest.Send:
    def send(method: str, url: str, body: Mapping[str, Any] | None) -> rest.Reply:
        return open_reply(build(method, url, body, token))

    return send
