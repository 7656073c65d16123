"""The platform's API errors, as ``@botpress/client`` defines them (the Botpress SDK's handling of a throwing hook, https://github.com/botpress/botpress packages/sdk).

Errors mirror ``@botpress/client``'s API errors (the Botpress SDK's handling of a throwing hook, https://github.com/botpress/botpress packages/sdk)::

    Exception
     └── ApiError                    is_api_error = True; code, type, message, to_dict()
          ├── RuntimeError           400 Runtime        (the user-facing failure of a hook)
          ├── InvalidPayloadError    400 InvalidPayload
          ├── UnauthorizedError      401 Unauthorized
          ├── PaymentRequiredError   402 PaymentRequired
          ├── ForbiddenError         403 Forbidden
          ├── ResourceNotFoundError  404 ResourceNotFound ("No State found")
          ├── MethodNotFoundError    405 MethodNotFound
          ├── AlreadyExistsError     409 AlreadyExists
          ├── PayloadTooLargeError   413 PayloadTooLarge
          ├── RateLimitedError       429 RateLimited
          ├── InternalError          500 Internal
          └── UnknownError           500 Unknown (any other status; keeps the status as code)


Like the SDK, code recognises an API error by duck typing (:func:`is_api_error`), not by class.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

# --------------------------------------------------------------------------------------------
# API errors
# --------------------------------------------------------------------------------------------


class ApiError(Exception):
    """An error of the platform's API, shaped like ``BaseApiError`` of ``@botpress/client``."""

    is_api_error: ClassVar[bool] = True
    default_code: ClassVar[int] = 500
    error_type: ClassVar[str] = "Unknown"
    description: ClassVar[str] = "An unknown error occurred"

    def __init__(
        self,
        message: str,
        error: BaseException | None = None,
        id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error = error  # the inner error; like the SDK, never serialised
        self.id = id
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.code = self.default_code if code is None else code
        # ``type`` mirrors the SDK's field name; the class attribute avoids shadowing builtins.
        self.type = self.error_type

    def to_dict(self) -> dict[str, Any]:
        """The SDK's ``toJSON()``: ``{id, code, type, message, metadata}``."""
        return {
            "id": self.id,
            "code": self.code,
            "type": self.type,
            "message": self.message,
            "metadata": dict(self.metadata),
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class RuntimeError(ApiError):  # the SDK's name, exported on purpose (shadows the builtin)
    """Raise this from a hook to fail it with a message shown to the user."""

    default_code = 400
    error_type = "Runtime"
    description = "An error happened during the execution of a runtime (bot or integration)."


class InvalidPayloadError(ApiError):
    default_code = 400
    error_type = "InvalidPayload"
    description = "The request payload is invalid."


class UnauthorizedError(ApiError):
    default_code = 401
    error_type = "Unauthorized"
    description = "The request requires to be authenticated."


class PaymentRequiredError(ApiError):
    default_code = 402
    error_type = "PaymentRequired"
    description = "A payment is required to perform this request."


class ForbiddenError(ApiError):
    default_code = 403
    error_type = "Forbidden"
    description = "The requested action can't be performed by this resource."


class ResourceNotFoundError(ApiError):
    default_code = 404
    error_type = "ResourceNotFound"
    description = "The requested resource does not exist."


class MethodNotFoundError(ApiError):
    default_code = 405
    error_type = "MethodNotFound"
    description = "The requested method does not exist."


class AlreadyExistsError(ApiError):
    default_code = 409
    error_type = "AlreadyExists"
    description = "The record attempted to be created already exists."


class PayloadTooLargeError(ApiError):
    default_code = 413
    error_type = "PayloadTooLarge"
    description = "The request payload is too large."


class RateLimitedError(ApiError):
    default_code = 429
    error_type = "RateLimited"
    description = "The request has been rate limited."


class InternalError(ApiError):
    default_code = 500
    error_type = "Internal"
    description = "An internal error occurred"


class UnknownError(ApiError):
    default_code = 500
    error_type = "Unknown"


_BY_STATUS: dict[int, type[ApiError]] = {
    cls.default_code: cls
    for cls in (
        InvalidPayloadError,
        UnauthorizedError,
        PaymentRequiredError,
        ForbiddenError,
        ResourceNotFoundError,
        MethodNotFoundError,
        AlreadyExistsError,
        PayloadTooLargeError,
        RateLimitedError,
        InternalError,
    )
}


def api_error_for_status(status: int, message: str | None = None) -> ApiError:
    """The API error the platform client raises for an HTTP ``status``."""
    cls = _BY_STATUS.get(status, UnknownError)
    text = message or f"{cls.description} (HTTP {status})"
    return cls(text, code=status)


def is_api_error(thing: object) -> bool:
    """The SDK's ``isApiError``: duck typing on ``is_api_error`` (or JS-style ``isApiError``)."""
    return (
        getattr(thing, "is_api_error", False) is True or getattr(thing, "isApiError", False) is True
    )


# --------------------------------------------------------------------------------------------
