"""The simulated bot platform: what a hook receives besides HTTP (docs/runtime.md).

Modules, lowest first:

- ``clock``: the clock protocol the runtime reads time from;
- ``errors``: the platform's API errors (``RuntimeError``, ``ResourceNotFoundError``, ...) and
  ``is_api_error``, as ``@botpress/client`` defines them;
- ``store``: the state API in memory (``State``, ``StateStore``) and the records of its calls;
- ``platform_faults``: injectable state-API failures;
- ``clients``: the sync and async clients hooks receive;
- ``logs``: the platform logger, its records and sink, stdlib ``logging`` capture;
- ``context``: the frozen hook context;
- ``vtime``: virtual time (freezegun, virtual sleeps, the virtual event loop, budgets);
- ``netblock``: the network guard; ``sslcache``: cached SSL contexts; ``events``: Shopify event
  delivery to the bots' webhook URLs.

This package re-exports the platform API (the first six modules) so ``from harness import runtime
as rt`` reads like the platform. Imports: the standard library, third-party libraries and
``fake_shopify`` only (and ``harness.common``). The runtime knows nothing of targets, the core,
scenarios, reports, the command line or the plugin (``tests/test_layout.py`` enforces it).
"""

from __future__ import annotations

from harness.runtime.clients import (
    AsyncPlatformClient,
    PlatformClient,
)
from harness.runtime.clock import Clock
from harness.runtime.context import (
    Context,
    ReadOnlyDict,
    default_webhook_url,
)
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
    api_error_for_status,
    is_api_error,
)
from harness.runtime.logs import (
    IGNORED_LOGGERS,
    LEVELS,
    LogRecord,
    LogScope,
    LogSink,
    PlatformLogger,
    capture_stdlib_logs,
    level_at_least,
    stdlib_log_routing,
)
from harness.runtime.platform_faults import (
    ArmedPlatformFault,
    FiredPlatformFault,
    PlatformFaults,
)
from harness.runtime.store import (
    STATE_TYPES,
    ConfigureCall,
    PlatformCall,
    State,
    StateStore,
)

__all__ = [
    "IGNORED_LOGGERS",
    "LEVELS",
    "STATE_TYPES",
    "AlreadyExistsError",
    "ApiError",
    "ArmedPlatformFault",
    "AsyncPlatformClient",
    "Clock",
    "ConfigureCall",
    "Context",
    "FiredPlatformFault",
    "ForbiddenError",
    "InternalError",
    "InvalidPayloadError",
    "LogRecord",
    "LogScope",
    "LogSink",
    "MethodNotFoundError",
    "PayloadTooLargeError",
    "PaymentRequiredError",
    "PlatformCall",
    "PlatformClient",
    "PlatformFaults",
    "PlatformLogger",
    "RateLimitedError",
    "ReadOnlyDict",
    "ResourceNotFoundError",
    "RuntimeError",
    "State",
    "StateStore",
    "UnauthorizedError",
    "UnknownError",
    "api_error_for_status",
    "capture_stdlib_logs",
    "default_webhook_url",
    "is_api_error",
    "level_at_least",
    "stdlib_log_routing",
]
