"""The platform's state API in memory: :class:`State`, :class:`StateStore` and the records
of the calls it served (:class:`PlatformCall`, :class:`ConfigureCall`)."""

from __future__ import annotations

import copy
import datetime as _dt
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from harness.runtime.clock import Clock, _FixedClock
from harness.runtime.errors import ApiError, InvalidPayloadError, ResourceNotFoundError
from harness.runtime.platform_faults import PlatformFaults

# States and the store
# --------------------------------------------------------------------------------------------

StateType = Literal["integration", "conversation", "user"]
STATE_TYPES: tuple[str, ...] = ("integration", "conversation", "user")
MAX_EXPIRY_MS = 2_592_000_000  # 30 days, runtime-openapi.json setStateBody.expiry
StateKey: TypeAlias = tuple[str, str, str, str, str]  # bot, integration, type, id, name


@dataclass(frozen=True)
class State:
    """A stored state as the client returns it (a copy: mutating it changes nothing stored)."""

    type: str
    id: str
    name: str
    payload: dict[str, Any]
    created_at: _dt.datetime
    updated_at: _dt.datetime
    bot_id: str
    expires_at: _dt.datetime | None = None


@dataclass(frozen=True)
class PlatformCall:
    """One call of the state API, as recorded by the store (for reports and properties)."""

    bot_id: str
    method: str
    type: str
    id: str
    name: str
    error: str | None = None  # the error type name if the call failed
    fault_id: str | None = None


@dataclass(frozen=True)
class ConfigureCall:
    """A ``configure_integration`` call."""

    bot_id: str
    integration_id: str
    identifier: str | None
    schedule_register_call: str | None
    time: _dt.datetime


@dataclass
class _Stored:
    payload: dict[str, Any]
    created_at: _dt.datetime
    updated_at: _dt.datetime
    expiry_ms: int | None


class StateStore:
    """The platform's state API, in memory, keyed by (bot, integration, type, id, name).

    Semantics (the Botpress state API, https://github.com/botpress/botpress packages/client): a missing state raises
    :class:`ResourceNotFoundError` ("No State found"); ``set`` replaces the whole payload;
    ``payload=None`` deletes and deleting a missing state is fine; ``patch`` merges top-level
    keys into an existing state; ``get_or_set`` returns the existing state or creates it.

    Expiry [U]: the API says a state "will expire if it is idle". We count idleness from the last
    write (``set``/``patch``); ``refresh_expiry_on_read=True`` also counts reads.
    """

    def __init__(self, *, clock: Clock | None = None, refresh_expiry_on_read: bool = False) -> None:
        self.clock: Clock = clock if clock is not None else _FixedClock()
        self.refresh_expiry_on_read = refresh_expiry_on_read
        self._states: dict[StateKey, _Stored] = {}
        self._lock = threading.RLock()
        self.faults = PlatformFaults(self.clock)
        self.calls: list[PlatformCall] = []
        self.configure_calls: list[ConfigureCall] = []

    # -- the API -------------------------------------------------------------------------------

    def get(self, bot_id: str, integration_id: str, type: str, id: str, name: str) -> State:
        with self._call(bot_id, "get_state", type, id, name):
            key = self._key(bot_id, integration_id, type, id, name)
            stored = self._live(key)
            if stored is None:
                raise ResourceNotFoundError("No State found")
            if self.refresh_expiry_on_read:
                stored.updated_at = self.clock.now()
            return self._state(key, stored)

    def set(
        self,
        bot_id: str,
        integration_id: str,
        type: str,
        id: str,
        name: str,
        payload: Mapping[str, Any] | None,
        *,
        expiry: int | None = None,
    ) -> State | None:
        with self._call(bot_id, "set_state", type, id, name):
            key = self._key(bot_id, integration_id, type, id, name)
            if payload is None:
                self._states.pop(key, None)
                return None
            data = _payload(payload)
            now = self.clock.now()
            previous = self._live(key)
            stored = _Stored(data, previous.created_at if previous else now, now, _expiry(expiry))
            self._states[key] = stored
            return self._state(key, stored)

    def get_or_set(
        self,
        bot_id: str,
        integration_id: str,
        type: str,
        id: str,
        name: str,
        payload: Mapping[str, Any],
        *,
        expiry: int | None = None,
    ) -> tuple[State, bool]:
        """The existing state and ``False``, or the newly created one and ``True``."""
        with self._call(bot_id, "get_or_set_state", type, id, name):
            key = self._key(bot_id, integration_id, type, id, name)
            stored = self._live(key)
            if stored is not None:
                return self._state(key, stored), False
            now = self.clock.now()
            stored = _Stored(_payload(payload), now, now, _expiry(expiry))
            self._states[key] = stored
            return self._state(key, stored), True

    def patch(
        self,
        bot_id: str,
        integration_id: str,
        type: str,
        id: str,
        name: str,
        payload: Mapping[str, Any],
    ) -> State:
        # Merge depth is unverified [U]; the schema describes setting the parameters passed, so
        # top-level keys are replaced, nested objects are not merged.
        with self._call(bot_id, "patch_state", type, id, name):
            key = self._key(bot_id, integration_id, type, id, name)
            stored = self._live(key)
            if stored is None:
                raise ResourceNotFoundError("No State found")
            stored.payload = {**stored.payload, **_payload(payload)}
            stored.updated_at = self.clock.now()
            return self._state(key, stored)

    def configure(
        self,
        bot_id: str,
        integration_id: str,
        *,
        identifier: str | None,
        schedule_register_call: str | None,
    ) -> None:
        with self._call(bot_id, "configure_integration", "", "", ""):
            self.configure_calls.append(
                ConfigureCall(
                    bot_id, integration_id, identifier, schedule_register_call, self.clock.now()
                )
            )

    # -- inspection (no faults, not recorded) ---------------------------------------------------

    def states(self, bot_id: str) -> dict[tuple[str, str, str], State]:
        """The live states of ``bot_id`` by (type, id, name), for every integration."""
        with self._lock:
            return {
                (key[2], key[3], key[4]): self._state(key, stored)
                for key, stored in sorted(self._states.items())
                if key[0] == bot_id and self._live(key) is not None
            }

    def wipe(self, bot_id: str) -> None:
        """Forget every state of ``bot_id`` (the ``lose_state`` step)."""
        with self._lock:
            for key in [k for k in self._states if k[0] == bot_id]:
                del self._states[key]

    # -- internals -----------------------------------------------------------------------------

    @contextmanager
    def _call(self, bot_id: str, method: str, type: str, id: str, name: str) -> Iterator[None]:
        with self._lock:
            fired = self.faults.check(method, bot_id)
            if fired is not None:
                fault_id, error = fired
                self.calls.append(
                    PlatformCall(bot_id, method, type, id, name, error.type, fault_id)
                )
                raise error
            try:
                yield
            except ApiError as exc:
                self.calls.append(PlatformCall(bot_id, method, type, id, name, exc.type))
                raise
            self.calls.append(PlatformCall(bot_id, method, type, id, name))

    @staticmethod
    def _key(bot_id: str, integration_id: str, type: str, id: str, name: str) -> StateKey:
        if type not in STATE_TYPES:
            raise InvalidPayloadError(
                f"invalid state type {type!r}: an integration's states are one of "
                f"{', '.join(STATE_TYPES)}"
            )
        for label, value in (("id", id), ("name", name)):
            if not isinstance(value, str) or not value:
                raise InvalidPayloadError(
                    f"state {label} must be a non-empty string, got {value!r}"
                )
        return (bot_id, integration_id, type, id, name)

    def _live(self, key: StateKey) -> _Stored | None:
        stored = self._states.get(key)
        if stored is None:
            return None
        if stored.expiry_ms is not None:
            idle = self.clock.now() - stored.updated_at
            if idle >= _dt.timedelta(milliseconds=stored.expiry_ms):
                del self._states[key]
                return None
        return stored

    @staticmethod
    def _state(key: StateKey, stored: _Stored) -> State:
        expires = (
            stored.updated_at + _dt.timedelta(milliseconds=stored.expiry_ms)
            if stored.expiry_ms is not None
            else None
        )
        return State(
            type=key[2],
            id=key[3],
            name=key[4],
            payload=copy.deepcopy(stored.payload),
            created_at=stored.created_at,
            updated_at=stored.updated_at,
            bot_id=key[0],
            expires_at=expires,
        )


def _payload(payload: object) -> dict[str, Any]:
    if not isinstance(payload, Mapping):
        raise InvalidPayloadError(
            f"a state payload must be an object (a mapping), got {type(payload).__name__}"
        )
    return copy.deepcopy(dict(payload))


def _expiry(expiry: int | None) -> int | None:
    if expiry is None:
        return None
    if isinstance(expiry, bool) or not isinstance(expiry, int) or not 1 <= expiry <= MAX_EXPIRY_MS:
        raise InvalidPayloadError(
            f"state expiry is in milliseconds, 1 to {MAX_EXPIRY_MS} (30 days); got {expiry!r}"
        )
    return expiry
