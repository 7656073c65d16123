"""What the example integrations need from the platform, as structural types.

The examples are integrations like any user's: they receive ``ctx``, ``client`` and ``logger``
from the harness's platform runtime (``harness.platform``) by name. These protocols name only the
members the examples use, so the examples type-check on their own and document the contract of
DESIGN.md section 2 from the integration's side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class Context(Protocol):
    """The frozen context of one hook call."""

    @property
    def bot_id(self) -> str: ...

    @property
    def integration_id(self) -> str: ...

    @property
    def configuration(self) -> Mapping[str, Any]: ...


class State(Protocol):
    """A platform state as ``get_state`` returns it."""

    @property
    def payload(self) -> Mapping[str, Any]: ...


class AsyncStateClient(Protocol):
    """The platform client handed to ``async def`` hooks (state API only)."""

    async def get_state(self, *, type: str, id: str, name: str) -> State: ...

    async def get_or_set_state(
        self, *, type: str, id: str, name: str, payload: Mapping[str, Any]
    ) -> State: ...

    async def set_state(
        self, *, type: str, id: str, name: str, payload: Mapping[str, Any] | None
    ) -> object: ...


class SyncStateClient(Protocol):
    """The platform client handed to plain hooks (state API only)."""

    def get_state(self, *, type: str, id: str, name: str) -> State: ...

    def set_state(
        self, *, type: str, id: str, name: str, payload: Mapping[str, Any] | None
    ) -> object: ...


class Logger(Protocol):
    """The platform logger: stdlib-style formatting, scoped with ``for_bot()``."""

    def for_bot(self) -> Logger: ...

    def debug(self, msg: str, *args: object) -> None: ...

    def info(self, msg: str, *args: object) -> None: ...

    def warning(self, msg: str, *args: object) -> None: ...

    def error(self, msg: str, *args: object) -> None: ...
