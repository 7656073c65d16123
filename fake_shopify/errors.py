"""Errors of the fake Shopify.

Domain errors are data: each class carries the HTTP status Shopify answers with, and the wire
layer alone renders them into Shopify's bodies. The state layer raises them; it never sees HTTP.

::

    FakeShopifyError
     ├── ShopifyError                 a Shopify-side refusal, rendered as Shopify's answer
     │    ├── BadRequestError         400  {"errors": {param: message}}
     │    ├── InvalidJsonError        400  the body is not JSON
     │    ├── AuthenticationError     401  invalid, missing or revoked access token
     │    ├── ForbiddenError          403  missing access scope
     │    ├── NotFoundError           404  {"errors": "Not Found"}
     │    ├── MethodNotAllowedError   405
     │    ├── NotAcceptableError      406
     │    ├── ValidationError         422  {"errors": {field: [messages]}}
     │    └── ThrottledError          429  leaky bucket overflow (Retry-After)
     ├── NotImplementedByFakeError    a real Shopify endpoint this fake does not serve (501)
     ├── UnservedRequestError         a request to a host no fake serves (never sent anywhere)
     └── FakeUsageError               the fake's own API misused (unknown shop, app, token ...)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import httpx

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "FakeShopifyError",
    "FakeUsageError",
    "ForbiddenError",
    "InvalidJsonError",
    "MethodNotAllowedError",
    "NotAcceptableError",
    "NotFoundError",
    "NotImplementedByFakeError",
    "ShopifyError",
    "ThrottledError",
    "UnservedRequestError",
    "ValidationError",
]

INVALID_TOKEN_MESSAGE = (
    "[API] Invalid API key or access token (unrecognized login or wrong password)"
)


class FakeShopifyError(Exception):
    """Root of every error the fake raises."""


class ShopifyError(FakeShopifyError):
    """A refusal Shopify itself would answer with; ``body`` is Shopify's JSON for it."""

    status: ClassVar[int] = 400
    default_message: ClassVar[str] = "Bad Request"

    def __init__(self, message: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(self.message)

    @property
    def body(self) -> object:
        """The JSON body Shopify sends for this error."""
        return {"errors": self.message}


class BadRequestError(ShopifyError):
    """400: a parameter is missing or invalid (``{"errors": {param: message}}``)."""

    status = 400
    default_message = "Required parameter missing or invalid"

    def __init__(self, param: str, message: str | None = None) -> None:
        self.param = param
        super().__init__(message)

    @property
    def body(self) -> object:
        return {"errors": {self.param: self.message}}


class InvalidJsonError(ShopifyError):
    """400: the body is not JSON at all (Shopify's exact body is unverified [U])."""

    status = 400
    default_message = "Bad Request: the request body is not valid JSON"


class AuthenticationError(ShopifyError):
    """401: missing, invalid or revoked access token."""

    status = 401
    default_message = INVALID_TOKEN_MESSAGE


class ForbiddenError(ShopifyError):
    """403: the token's app lacks the access scope the action needs."""

    status = 403
    default_message = "[API] This action requires merchant approval for {scope} scope."

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__(self.default_message.format(scope=scope))


class NotFoundError(ShopifyError):
    """404: unknown resource, another app's resource, or a path Shopify does not have."""

    status = 404
    default_message = "Not Found"


class MethodNotAllowedError(ShopifyError):
    """405: the path exists but not with this method (body unverified, [U])."""

    status = 405
    default_message = "Method Not Allowed"

    def __init__(self, method: str, allowed: Sequence[str]) -> None:
        self.method = method
        self.allowed = tuple(allowed)
        super().__init__()


class NotAcceptableError(ShopifyError):
    """406: the Accept header asks for something other than JSON (body unverified, [U])."""

    status = 406
    default_message = "Not Acceptable"


class ValidationError(ShopifyError):
    """422: Rails-style validation errors, ``{field: [attribute messages]}``.

    ``errors`` keeps the attribute messages (``"can't be blank"``); ``full_messages()`` gives the
    Rails full messages (``"Address can't be blank"``) that GraphQL ``userErrors`` carry.
    """

    status = 422
    default_message = "Unprocessable Entity"

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items()}
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in self.errors.items()))

    @property
    def body(self) -> object:
        return {"errors": {k: list(v) for k, v in self.errors.items()}}

    def full_messages(self) -> list[tuple[str, str]]:
        """``(field, "Field message")`` pairs, in order, as Rails' ``full_messages``."""
        out: list[tuple[str, str]] = []
        for field, messages in self.errors.items():
            label = field.replace("_", " ").capitalize()
            for message in messages:
                # Messages that already read as sentences (the topic one) are not prefixed.
                full = message if message[:1].isupper() else f"{label} {message}"
                out.append((field, full))
        return out


class ThrottledError(ShopifyError):
    """429: the REST leaky bucket is full."""

    status = 429
    default_message = (
        "Exceeded 2 calls per second for api client. "
        "Reduce request rates to resume uninterrupted service."
    )

    def __init__(self, message: str | None = None, *, retry_after: float = 2.0) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class NotImplementedByFakeError(FakeShopifyError):
    """A real Shopify Admin API endpoint that this fake does not implement.

    Rendered as a loud 501 naming the method and path (never a plausible 404), so that a test
    failing on it says what to implement.
    """

    status: ClassVar[int] = 501

    def __init__(self, method: str, path: str) -> None:
        self.method = method
        self.path = path
        super().__init__(
            f"fake_shopify does not implement {method} {path}: it is a real Shopify Admin API "
            "endpoint, but only webhooks, shop and access scopes are faked."
        )

    @property
    def body(self) -> object:
        return {"errors": str(self)}


class UnservedRequestError(FakeShopifyError):
    """A request to a host that no fake serves. It was not sent to the network."""

    def __init__(
        self, request: httpx.Request, *, served: Sequence[str] = (), reason: str | None = None
    ) -> None:
        self.request = request
        self.served = tuple(served)
        hint = (
            "fake_shopify intercepts https://*.myshopify.com only. To answer other hosts, mock "
            "them with respx (respx.mock routes are honoured beside the fake, started before or "
            "after it) or pass intercept(other_hosts=handler) with a handler that returns an "
            "httpx.Response."
        )
        shops = f" Shops known to the fake: {', '.join(self.served)}." if self.served else ""
        why = reason or f"no fake serves host {request.url.host!r}"
        super().__init__(
            f"Unserved request: {request.method} {request.url} was not sent to the network, "
            f"because {why}.{shops}\n{hint}"
        )


class FakeUsageError(FakeShopifyError, ValueError):
    """The fake's seeding or inspection API was called with something it does not know."""
