"""The frozen hook context (:class:`Context`) and the default ``webhook_url``."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

# --------------------------------------------------------------------------------------------
# Context
# --------------------------------------------------------------------------------------------


class ReadOnlyDict(dict[str, Any]):
    """A dict that refuses changes; still a dict, so ``json.dumps`` and ``**`` work on it."""

    def _refuse(self, *args: object, **kwargs: object) -> Any:
        raise TypeError("ctx.configuration is read-only")

    __setitem__ = _refuse
    __delitem__ = _refuse
    __ior__ = _refuse
    clear = _refuse
    pop = _refuse
    popitem = _refuse
    setdefault = _refuse
    update = _refuse

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, object]) -> dict[str, Any]:
        return copy.deepcopy(dict(self), memo)

    def __reduce__(self) -> Any:
        return (dict, (dict(self),))


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        frozen = ReadOnlyDict()
        for key, item in value.items():
            dict.__setitem__(frozen, str(key), _freeze(item))
        return frozen
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def default_webhook_url(webhook_id: str) -> str:
    """The platform's global webhook endpoint for a bot's integration."""
    return f"https://webhook.botpress.cloud/{webhook_id}"


@dataclass(frozen=True)
class Context:
    """The frozen ``ctx`` of a hook call (docs/runtime.md)."""

    bot_id: str
    integration_id: str
    webhook_id: str
    configuration: Mapping[str, Any] = field(default_factory=dict)
    operation: str = "register"
    bot_user_id: str = ""
    integration_alias: str = "shopify"
    configuration_type: str | None = None

    def __post_init__(self) -> None:
        # A copy, frozen all the way down: the integration cannot change what the harness gave.
        object.__setattr__(self, "configuration", _freeze(self.configuration))
        if not self.bot_user_id:
            object.__setattr__(self, "bot_user_id", f"user_{self.bot_id}")

    def for_operation(self, operation: str) -> Context:
        return replace(self, operation=operation)
