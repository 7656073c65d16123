"""The sync and async platform clients the hooks receive, over one :class:`StateStore`."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from harness.runtime.store import State, StateStore

_real_sleep0 = asyncio.sleep  # captured before VirtualTime patches asyncio.sleep


# --------------------------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------------------------


class _ClientBase:
    def __init__(
        self,
        store: StateStore,
        *,
        bot_id: str,
        integration_id: str,
        integration_alias: str | None = None,
    ) -> None:
        self.store = store
        self.bot_id = bot_id
        self.integration_id = integration_id
        self.integration_alias = integration_alias

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(bot_id={self.bot_id!r}, integration_id={self.integration_id!r})"
        )


class PlatformClient(_ClientBase):
    """The bot-platform client handed to plain (sync) hooks."""

    def get_state(self, type: str, id: str, name: str) -> State:
        """The state; :class:`ResourceNotFoundError` ("No State found") if there is none."""
        return self.store.get(self.bot_id, self.integration_id, type, id, name)

    def set_state(
        self,
        type: str,
        id: str,
        name: str,
        payload: Mapping[str, Any] | None,
        *,
        expiry: int | None = None,
    ) -> State | None:
        """Replace the whole payload; ``payload=None`` deletes (a missing state is fine)."""
        return self.store.set(
            self.bot_id, self.integration_id, type, id, name, payload, expiry=expiry
        )

    def get_or_set_state(
        self,
        type: str,
        id: str,
        name: str,
        payload: Mapping[str, Any],
        *,
        expiry: int | None = None,
    ) -> State:
        """The existing state, or a new one holding ``payload``."""
        state, _ = self.store.get_or_set(
            self.bot_id, self.integration_id, type, id, name, payload, expiry=expiry
        )
        return state

    def patch_state(self, type: str, id: str, name: str, payload: Mapping[str, Any]) -> State:
        """Merge ``payload``'s top-level keys into an existing state."""
        return self.store.patch(self.bot_id, self.integration_id, type, id, name, payload)

    def configure_integration(
        self, *, identifier: str | None = None, schedule_register_call: str | None = None
    ) -> None:
        """Recorded in ``store.configure_calls``; nothing else happens."""
        self.store.configure(
            self.bot_id,
            self.integration_id,
            identifier=identifier,
            schedule_register_call=schedule_register_call,
        )


class AsyncPlatformClient(_ClientBase):
    """The bot-platform client handed to ``async def`` hooks; same store as the sync one.

    Each call yields to the event loop once before it is served, as a network call would, so
    concurrent hooks interleave between a read and the write that follows it.
    """

    def __init__(
        self,
        store: StateStore,
        *,
        bot_id: str,
        integration_id: str,
        integration_alias: str | None = None,
    ) -> None:
        super().__init__(
            store, bot_id=bot_id, integration_id=integration_id, integration_alias=integration_alias
        )
        self._sync = PlatformClient(
            store, bot_id=bot_id, integration_id=integration_id, integration_alias=integration_alias
        )

    async def get_state(self, type: str, id: str, name: str) -> State:
        await _real_sleep0(0)
        return self._sync.get_state(type, id, name)

    async def set_state(
        self,
        type: str,
        id: str,
        name: str,
        payload: Mapping[str, Any] | None,
        *,
        expiry: int | None = None,
    ) -> State | None:
        await _real_sleep0(0)
        return self._sync.set_state(type, id, name, payload, expiry=expiry)

    async def get_or_set_state(
        self,
        type: str,
        id: str,
        name: str,
        payload: Mapping[str, Any],
        *,
        expiry: int | None = None,
    ) -> State:
        await _real_sleep0(0)
        return self._sync.get_or_set_state(type, id, name, payload, expiry=expiry)

    async def patch_state(self, type: str, id: str, name: str, payload: Mapping[str, Any]) -> State:
        await _real_sleep0(0)
        return self._sync.patch_state(type, id, name, payload)

    async def configure_integration(
        self, *, identifier: str | None = None, schedule_register_call: str | None = None
    ) -> None:
        await _real_sleep0(0)
        self._sync.configure_integration(
            identifier=identifier, schedule_register_call=schedule_register_call
        )
