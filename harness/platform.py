"""What an integration's hooks receive from the platform, for integration authors.

Import from here, not from the harness's internals::

    from harness.platform import RuntimeError, ResourceNotFoundError, Context, AsyncClient, Logger

    async def register(ctx: Context, client: AsyncClient, logger: Logger, webhook_url: str):
        ...
        raise RuntimeError("the access token was refused: check the app's scopes")

- The errors mirror ``@botpress/client``'s API errors. Raise :class:`RuntimeError` (this module's,
  which shadows the builtin on purpose, as the SDK's does) for a failure the user should read:
  the platform shows "registration failed: <message>". Any other escaping exception is an
  unexpected failure; the runtime logs every escaped exception at error level. Code recognises an
  API error by duck typing (:func:`is_api_error`), as the SDK does, so an integration need not
  import this module at all.
- ``Context``, ``Client``, ``AsyncClient`` and ``Logger`` are typing protocols of what the hooks
  receive (``docs/runtime.md`` is the full contract): plain hooks get a
  ``Client``, ``async def`` hooks an ``AsyncClient``, over one state store.

This module is a thin, stable façade over :mod:`harness.runtime`; it imports nothing else.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any, Protocol

from harness.runtime.errors import (
    AlreadyExistsError,
    ApiError,
    ForbiddenError,
    InternalError,
    InvalidPayloadError,
    MethodNotFoundError,
    PayloadTooLargeError,
    PaymentRequiredError,
    RateLimitedError,
    ResourceNotFoundError,
    RuntimeError,
    UnauthorizedError,
    UnknownError,
    is_api_error,
)

__all__ = [
    "AlreadyExistsError",
    "ApiError",
    "AsyncClient",
    "Client",
    "Context",
    "ForbiddenError",
    "InternalError",
    "InvalidPayloadError",
    "Logger",
    "MethodNotFoundError",
    "PayloadTooLargeError",
    "PaymentRequiredError",
    "RateLimitedError",
    "ResourceNotFoundError",
    "RuntimeError",
    "State",
    "UnauthorizedError",
    "UnknownError",
    "is_api_error",
]


class Context(Protocol):
    """The frozen ``ctx`` of one hook call."""

    @property
    def bot_id(self) -> str: ...

    @property
    def bot_user_id(self) -> str: ...

    @property
    def integration_id(self) -> str: ...

    @property
    def integration_alias(self) -> str: ...

    @property
    def webhook_id(self) -> str: ...

    @property
    def operation(self) -> str:
        """``"register"`` or ``"unregister"``."""
        ...

    @property
    def configuration_type(self) -> str | None:
        """``None`` for the default configuration."""
        ...

    @property
    def configuration(self) -> Mapping[str, Any]:
        """Read-only, e.g. ``{"shopName": "acme", "access_token": "shpat_..."}``."""
        ...


class State(Protocol):
    """A stored state as the client returns it (a copy)."""

    @property
    def payload(self) -> Mapping[str, Any]: ...

    @property
    def created_at(self) -> _dt.datetime: ...

    @property
    def updated_at(self) -> _dt.datetime: ...


class Client(Protocol):
    """The platform client of plain (``def``) hooks: the state API and
    ``configure_integration``. ``get_state`` of a missing state raises
    :class:`ResourceNotFoundError`; ``set_state(payload=None)`` deletes (missing is fine)."""

    def get_state(self, *, type: str, id: str, name: str) -> State: ...

    def set_state(
        self,
        *,
        type: str,
        id: str,
        name: str,
        payload: Mapping[str, Any] | None,
        expiry: int | None = None,
    ) -> State | None: ...

    def get_or_set_state(
        self, *, type: str, id: str, name: str, payload: Mapping[str, Any]
    ) -> State: ...

    def patch_state(
        self, *, type: str, id: str, name: str, payload: Mapping[str, Any]
    ) -> State: ...


class AsyncClient(Protocol):
    """The platform client of ``async def`` hooks: :class:`Client`'s calls, awaited."""

    async def get_state(self, *, type: str, id: str, name: str) -> State: ...

    async def set_state(
        self,
        *,
        type: str,
        id: str,
        name: str,
        payload: Mapping[str, Any] | None,
        expiry: int | None = None,
    ) -> State | None: ...

    async def get_or_set_state(
        self, *, type: str, id: str, name: str, payload: Mapping[str, Any]
    ) -> State: ...

    async def patch_state(
        self, *, type: str, id: str, name: str, payload: Mapping[str, Any]
    ) -> State: ...


class Logger(Protocol):
    """The platform logger: stdlib-style formatting (``"%s", arg``), scoped loggers returned by
    ``for_bot()`` / ``for_bot_only()`` / ``with_user_id()`` / ``with_conversation_id()``."""

    def for_bot(self) -> Logger: ...

    def for_bot_only(self) -> Logger: ...

    def with_user_id(self, user_id: str) -> Logger: ...

    def with_conversation_id(self, conversation_id: str) -> Logger: ...

    def debug(self, msg: object, *args: object) -> None: ...

    def info(self, msg: object, *args: object) -> None: ...

    def warn(self, msg: object, *args: object) -> None: ...

    def warning(self, msg: object, *args: object) -> None: ...

    def error(self, msg: object, *args: object) -> None: ...

    def exception(self, msg: object, *args: object) -> None: ...
