"""The Python target: an integration is any object with ``register`` and ``unregister`` (a module,
a class instance, a namespace), named as ``package.module``, ``package.module:attribute`` or a
path to a ``.py`` file (docs/runtime.md), and called in-process.

- ``loading``: finding and checking the integration (:func:`load_integration`), with errors that
  say what was found and what was expected;
- ``calls``: calling its hooks as the platform does (:func:`call_hook`,
  :func:`call_hooks_concurrently`): parameters injected by name, the SDK's failure mapping, the
  virtual-time budget and the wall-time watchdog, into a :class:`HookOutcome`;
- ``locations``: where a function is and where a stuck hook is stuck, for messages.
"""

from __future__ import annotations

from harness.runtime.sslcache import cached_ssl_contexts
from harness.runtime.vtime import HookTimeout
from harness.targets.python.calls import (
    DEFAULT_BUDGET_SECONDS,
    DEFAULT_WALL_TIMEOUT,
    UNEXPECTED_ERROR_MESSAGE,
    HookCrash,
    HookInvocation,
    HookOutcome,
    call_hook,
    call_hooks_concurrently,
    call_label,
)
from harness.targets.python.loading import (
    ALLOWED_PARAMETERS,
    HOOK_NAMES,
    Hook,
    HookMissingError,
    HookNotCallableError,
    HookSignatureError,
    Integration,
    IntegrationLoadError,
    TargetImportError,
    inspect_integration,
    load_integration,
)

__all__ = [
    "ALLOWED_PARAMETERS",
    "DEFAULT_BUDGET_SECONDS",
    "DEFAULT_WALL_TIMEOUT",
    "HOOK_NAMES",
    "UNEXPECTED_ERROR_MESSAGE",
    "Hook",
    "HookCrash",
    "HookInvocation",
    "HookMissingError",
    "HookNotCallableError",
    "HookOutcome",
    "HookSignatureError",
    "HookTimeout",
    "Integration",
    "IntegrationLoadError",
    "TargetImportError",
    "cached_ssl_contexts",
    "call_hook",
    "call_hooks_concurrently",
    "call_label",
    "inspect_integration",
    "load_integration",
]
