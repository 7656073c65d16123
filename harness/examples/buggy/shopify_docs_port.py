"""Buggy, async: a faithful Python port of the platform's documented Shopify example.

Where it comes from: the "Register and Unregister" page of the classic Botpress docs
(https://github.com/botpress/documentation, ``pages/developers/moving-parts/register_unregister.mdx``
L19-60), written by the author of the original Shopify integration (PR #12758) and carrying the
same shape. Ported line by line, with ``axios`` as one process-wide ``httpx.AsyncClient`` (the
``axios.defaults`` object) and ``JSON.stringify(e)`` as the serialisation ``AxiosError.toJSON``
produces (message, name, stack, ``config`` with its headers, code, status):

- every hook call sets the process-wide client's base URL and access-token header
  (``axios.defaults.baseURL = ...``), so overlapping calls of two bots send one bot's token to
  the other's shop (``tenant_isolation``, when the runtime interleaves the two calls);
- ``register`` looks for the ``orders/create`` subscription and creates it if missing; every
  exception is caught and logged at error level as ``exception {JSON.stringify(e)}``, whose
  ``config.headers`` carry ``X-Shopify-Access-Token`` (``no_secret_leak``);
- when the subscription already exists, ``register`` returns before writing its state, so after
  the platform loses the state it is never written again (``convergent``);
- ``unregister`` sets the defaults and stops ("your code continues here..."): it deletes nothing
  (``clean``).

The docs subscribe one topic; the port keeps it, so its world is smaller than the other examples'.
"""

from __future__ import annotations

import json
import traceback
from typing import Any

import httpx

from harness.platform import AsyncClient, Context, Logger

SHOPIFY_API_VERSION = "2023-07"  # the original integration's const.ts (PR #12758)

# ``import axios from 'axios'``: one module-level client, shared by every bot in the process.
axios = httpx.AsyncClient()


async def register(*, client: AsyncClient, ctx: Context, logger: Logger, webhook_url: str) -> None:
    axios.base_url = httpx.URL(f"https://{ctx.configuration['shopName']}.myshopify.com")
    axios.headers["X-Shopify-Access-Token"] = ctx.configuration["access_token"]
    axios.headers["Content-Type"] = "application/json"

    try:
        response = await axios.get(
            f"/admin/api/{SHOPIFY_API_VERSION}/webhooks.json?topic=orders/create&address={webhook_url}"
        )
        response.raise_for_status()  # axios rejects every status outside 2xx

        if len(response.json()["webhooks"]) > 0:
            logger.for_bot().info(
                f"Shopify New Order Webhook was found with id {response.json()['webhooks'][0]['id']} "
                f"for Bot {ctx.bot_id}. Webhook was not created"
            )
            return

        response = await axios.post(
            f"/admin/api/{SHOPIFY_API_VERSION}/webhooks.json",
            json={"webhook": {"topic": "orders/create", "address": webhook_url, "format": "json"}},
        )
        response.raise_for_status()

        await client.set_state(
            type="integration",
            name="configuration",
            id=ctx.integration_id,
            payload={"webhookId": str(response.json()["webhook"]["id"])},
        )

        logger.for_bot().info(
            f"Shopify New Order Webhook Created {response.json()['webhook']['id']} "
            f"for Bot with Id {ctx.bot_id}"
        )
    except Exception as e:
        logger.for_bot().error(
            f"'Shopify New Order Webhook Creation' exception {json_stringify(e)}"
        )


async def unregister(*, ctx: Context, client: AsyncClient, logger: Logger) -> None:
    axios.base_url = httpx.URL(f"https://{ctx.configuration['shopName']}.myshopify.com")
    axios.headers["X-Shopify-Access-Token"] = ctx.configuration["access_token"]
    axios.headers["Content-Type"] = "application/json"

    # your code continues here...


def json_stringify(e: BaseException) -> str:
    """``JSON.stringify(e)``: an ``AxiosError`` serialises through its ``toJSON()``, which includes
    the request ``config`` and therefore its headers; any other ``Error`` has no enumerable own
    properties and serialises as ``{}``."""
    if not isinstance(e, httpx.HTTPError):
        return "{}"
    error: dict[str, Any] = {
        "message": str(e),
        "name": "AxiosError",
        "stack": "".join(traceback.format_exception(e)),
        "code": _axios_code(e),
    }
    try:
        request = e.request
    except Exception:  # httpx: no request attached to this exception
        request = None
    if request is not None:
        error["config"] = {
            "headers": dict(request.headers),
            "baseURL": str(axios.base_url),
            "method": request.method.lower(),
            "url": str(request.url),
            "data": request.content.decode("utf-8", "replace") or None,
        }
    if isinstance(e, httpx.HTTPStatusError):
        error["status"] = e.response.status_code
    return json.dumps(error)


def _axios_code(e: httpx.HTTPError) -> str:
    if isinstance(e, httpx.HTTPStatusError):
        return "ERR_BAD_RESPONSE" if e.response.status_code >= 500 else "ERR_BAD_REQUEST"
    if isinstance(e, httpx.TimeoutException):
        return "ECONNABORTED"
    return "ERR_NETWORK"
