"""The simulated bot-platform runtime: what a hook receives besides HTTP (DESIGN.md section 2).

Errors mirror ``@botpress/client``'s API errors (platform-lifecycle.md section 1.4)::

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

The rest: :class:`State` and :class:`StateStore` (the state API's semantics), injectable
platform-client faults (:class:`PlatformFaults`), the sync and async clients over one store,
:class:`PlatformLogger` writing :class:`LogRecord` s into a :class:`LogSink`,
:func:`capture_stdlib_logs`, and the frozen :class:`Context`.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import datetime as _dt
import logging
import random
import sys
import threading
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, ClassVar, Literal, Protocol, TypeAlias

from fake_shopify.faults import Always, Next, Nth, Probability, Schedule

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

_real_sleep0 = asyncio.sleep  # captured before VirtualTime patches asyncio.sleep


class Clock(Protocol):
    """What the store reads time from (``VirtualTime`` and fake_shopify's clocks fit)."""

    def now(self) -> _dt.datetime: ...


class _FixedClock:
    def __init__(self) -> None:
        self._now = _dt.datetime(2026, 1, 5, 9, 0, 0, tzinfo=_dt.UTC)

    def now(self) -> _dt.datetime:
        return self._now


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


@dataclass(frozen=True)
class ArmedPlatformFault:
    id: str
    status: int
    method: str
    schedule: Schedule
    bot_id: str | None = None


@dataclass(frozen=True)
class FiredPlatformFault:
    fault_id: str
    method: str
    status: int
    bot_id: str
    time: _dt.datetime


class PlatformFaults:
    """Platform-client faults: the state API answers an error status instead of serving a call.

    Same schedules as ``fake_shopify.faults``: ``Nth(n)`` the n-th matching call once,
    ``Next(k)`` the next k, ``Always()``, ``Probability(p, seed)`` a seeded coin per call.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._armed: list[_ArmedState] = []
        self._all: list[ArmedPlatformFault] = []
        self._counter = 0
        self.fired: list[FiredPlatformFault] = []

    def arm(
        self,
        status: int,
        *,
        method: str = "any",
        schedule: Schedule | None = None,
        bot_id: str | None = None,
    ) -> ArmedPlatformFault:
        """Arm a fault; ``method`` is a client method name or ``"any"`` (state methods)."""
        if method != "any" and method not in _FAULTABLE:
            raise ValueError(
                f"unknown platform method {method!r}; expected 'any' or one of {_FAULTABLE}"
            )
        if not 400 <= status <= 599:
            raise ValueError(f"a platform fault needs an error status (400-599), got {status}")
        # The same checks as fake_shopify's FaultPlan.arm, so a scenario means the same on both.
        if isinstance(schedule, Nth) and schedule.n < 1:
            raise ValueError(f"Nth(n) is 1-based, got n={schedule.n}")
        if isinstance(schedule, Next) and schedule.k < 1:
            raise ValueError(f"Next(k) needs k >= 1, got k={schedule.k}")
        if isinstance(schedule, Probability) and not 0.0 <= schedule.p <= 1.0:
            raise ValueError(f"Probability(p) needs 0 <= p <= 1, got p={schedule.p}")
        self._counter += 1
        armed = ArmedPlatformFault(
            f"pfault-{self._counter}", status, method, schedule or Next(1), bot_id
        )
        self._armed.append(_ArmedState(armed))
        self._all.append(armed)
        return armed

    def armed(self) -> list[ArmedPlatformFault]:
        """Faults that can still fire, in arming order."""
        return [a.fault for a in self._armed]

    def disarm(self, fault: ArmedPlatformFault) -> None:
        """Stop ``fault`` from firing again."""
        self._armed = [a for a in self._armed if a.fault.id != fault.id]

    def unfired(self) -> list[ArmedPlatformFault]:
        """Faults armed since the last ``clear()`` that never fired (any schedule)."""
        fired = {f.fault_id for f in self.fired}
        return [a for a in self._all if a.id not in fired]

    def clear(self) -> None:
        """Disarm everything (what fired stays recorded in ``fired``)."""
        self._armed.clear()
        self._all.clear()

    def check(self, method: str, bot_id: str) -> tuple[str, ApiError] | None:
        """If an armed fault fires for this call, record it and return (fault id, error)."""
        for state in list(self._armed):
            fault = state.fault
            if fault.method not in ("any", method) or fault.bot_id not in (None, bot_id):
                continue
            state.seen += 1
            if not state.fires():
                continue
            if state.exhausted():
                self._armed.remove(state)
            self.fired.append(
                FiredPlatformFault(fault.id, method, fault.status, bot_id, self._clock.now())
            )
            error = api_error_for_status(
                fault.status, f"injected platform fault {fault.id}: HTTP {fault.status}"
            )
            return fault.id, error
        return None


_FAULTABLE = ("get_state", "set_state", "get_or_set_state", "patch_state", "configure_integration")


class _ArmedState:
    def __init__(self, fault: ArmedPlatformFault) -> None:
        self.fault = fault
        self.seen = 0  # matching calls so far
        self.fires_left = fault.schedule.k if isinstance(fault.schedule, Next) else 1
        schedule = fault.schedule
        self._random = random.Random(schedule.seed) if isinstance(schedule, Probability) else None

    def fires(self) -> bool:
        schedule = self.fault.schedule
        if isinstance(schedule, Nth):
            return self.seen == schedule.n
        if isinstance(schedule, Next):
            if self.fires_left <= 0:
                return False
            self.fires_left -= 1
            return True
        if isinstance(schedule, Always):
            return True
        assert self._random is not None
        return self._random.random() < schedule.p

    def exhausted(self) -> bool:
        schedule = self.fault.schedule
        if isinstance(schedule, Nth):
            return True
        if isinstance(schedule, Next):
            return self.fires_left <= 0
        return False


@dataclass
class _Stored:
    payload: dict[str, Any]
    created_at: _dt.datetime
    updated_at: _dt.datetime
    expiry_ms: int | None


class StateStore:
    """The platform's state API, in memory, keyed by (bot, integration, type, id, name).

    Semantics (platform-lifecycle.md section 2): a missing state raises
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


# --------------------------------------------------------------------------------------------
# Logging
# --------------------------------------------------------------------------------------------

Level = Literal["debug", "info", "warn", "error"]
LEVELS: dict[str, int] = {"debug": 10, "info": 20, "warn": 30, "error": 40}
LogSource = Literal["platform", "stdlib", "runtime"]


def level_at_least(level: str, floor: str) -> bool:
    """Whether ``level`` is ``floor`` or more severe (``"warning"`` is ``"warn"``)."""
    return LEVELS[_norm_level(level)] >= LEVELS[_norm_level(floor)]


def _norm_level(level: str) -> str:
    return "warn" if level == "warning" else level


@dataclass(frozen=True)
class LogScope:
    """Who sees a record, as the SDK's logger options say (integration-logger.ts)."""

    visible_to_bot_owner: bool = False  # for_bot()
    hidden_to_integration_owner: bool = False  # for_bot_only()
    user_id: str | None = None
    conversation_id: str | None = None


@dataclass(frozen=True)
class LogRecord:
    """One log line of a hook call."""

    level: str  # "debug" | "info" | "warn" | "error"
    message: str
    scope: LogScope
    exc_text: str | None = None  # formatted traceback (exception(), exc_info, escaped errors)
    source: str = "platform"  # "platform" | "stdlib" | "runtime"
    bot_id: str | None = None
    logger_name: str | None = None  # the stdlib logger's name for source="stdlib"
    time: _dt.datetime | None = None

    def text(self) -> str:
        """Message and traceback together (what a secret scan must read)."""
        return self.message if not self.exc_text else f"{self.message}\n{self.exc_text}"


class LogSink:
    """Where a run's log records go. Thread-safe appends."""

    def __init__(self, *, clock: Clock | None = None) -> None:
        self.records: list[LogRecord] = []
        self.clock = clock
        self._lock = threading.Lock()

    def emit(self, record: LogRecord) -> None:
        if record.time is None and self.clock is not None:
            record = replace(record, time=self.clock.now())
        with self._lock:
            self.records.append(record)

    def mark(self) -> int:
        """A position; :meth:`since` returns the records appended after it."""
        return len(self.records)

    def since(self, mark: int) -> list[LogRecord]:
        return self.records[mark:]

    def for_bot(self, bot_id: str) -> list[LogRecord]:
        return [r for r in self.records if r.bot_id == bot_id]

    def clear(self) -> None:
        with self._lock:
            self.records.clear()


ExcInfo: TypeAlias = (
    bool
    | BaseException
    | tuple[type[BaseException], BaseException, TracebackType | None]
    | tuple[None, None, None]
    | None
)


class PlatformLogger:
    """The platform logger handed to hooks (``IntegrationLogger`` of the SDK).

    Messages are formatted like the stdlib (``"%s", arg``); like Node's ``util.format``, which
    the platform uses, arguments left over (no placeholder for them) are appended, separated by
    spaces. Formatting never raises: a bad format string is logged as is, arguments appended.
    """

    def __init__(self, sink: LogSink, *, bot_id: str, scope: LogScope | None = None) -> None:
        self.sink = sink
        self.bot_id = bot_id
        self.scope = scope or LogScope()

    def _with(self, **changes: Any) -> PlatformLogger:
        return PlatformLogger(self.sink, bot_id=self.bot_id, scope=replace(self.scope, **changes))

    # scoping ----------------------------------------------------------------------------------

    def for_bot(self) -> PlatformLogger:
        """Visible to the bot owner (and the integration owner)."""
        return self._with(visible_to_bot_owner=True)

    def for_bot_only(self) -> PlatformLogger:
        """Visible to the bot owner only."""
        return self._with(visible_to_bot_owner=True, hidden_to_integration_owner=True)

    def with_user_id(self, user_id: str) -> PlatformLogger:
        return self._with(user_id=user_id)

    def with_conversation_id(self, conversation_id: str) -> PlatformLogger:
        return self._with(conversation_id=conversation_id)

    def with_visible_to_bot_owners(self, visible: bool) -> PlatformLogger:
        return self._with(visible_to_bot_owner=visible)

    def with_hidden_to_integration_owners(self, hidden: bool) -> PlatformLogger:
        return self._with(hidden_to_integration_owner=hidden)

    # levels -----------------------------------------------------------------------------------

    def debug(self, msg: object, *args: object, exc_info: ExcInfo = None) -> None:
        self._log("debug", msg, args, exc_info)

    def info(self, msg: object, *args: object, exc_info: ExcInfo = None) -> None:
        self._log("info", msg, args, exc_info)

    def warn(self, msg: object, *args: object, exc_info: ExcInfo = None) -> None:
        self._log("warn", msg, args, exc_info)

    warning = warn

    def error(self, msg: object, *args: object, exc_info: ExcInfo = None) -> None:
        self._log("error", msg, args, exc_info)

    def exception(self, msg: object, *args: object, exc_info: ExcInfo = True) -> None:
        """``error`` with the traceback of the exception being handled, as in the stdlib."""
        self._log("error", msg, args, exc_info)

    def _log(self, level: str, msg: object, args: tuple[object, ...], exc_info: ExcInfo) -> None:
        self.sink.emit(
            LogRecord(
                level=level,
                message=format_message(msg, args),
                scope=self.scope,
                exc_text=_exc_text(exc_info),
                source="platform",
                bot_id=self.bot_id,
            )
        )


def format_message(msg: object, args: tuple[object, ...]) -> str:
    """stdlib ``%`` formatting; leftover arguments appended like Node's ``util.format``."""
    if not args:
        return str(msg)
    if not isinstance(msg, str):
        return " ".join(_arg_text(a) for a in (msg, *args))
    if len(args) == 1 and isinstance(args[0], Mapping) and args[0]:
        # The stdlib's rule: a single non-empty mapping feeds "%(name)s" placeholders.
        try:
            return msg % args[0]
        except (TypeError, ValueError, KeyError):
            pass
    for used in range(len(args), -1, -1):
        try:
            head = msg % args[:used] if used else _no_placeholders(msg)
        except (TypeError, ValueError, KeyError):
            continue
        rest = args[used:]
        return " ".join([head, *(_arg_text(a) for a in rest)])
    return " ".join([msg, *(_arg_text(a) for a in args)])


def _no_placeholders(msg: str) -> str:
    # Raise if msg has a placeholder that needs an argument (so the caller tries more args);
    # "%%" alone still formats to "%", as util.format does.
    return msg % ()


def _arg_text(arg: object) -> str:
    if isinstance(arg, str):
        return arg
    if isinstance(arg, BaseException):
        # util.inspect(err) prints the stack; the closest Python rendering is the traceback.
        return "".join(traceback.format_exception(arg)).rstrip()
    return repr(arg)


def _exc_text(exc_info: ExcInfo) -> str | None:
    if not exc_info:
        return None
    if isinstance(exc_info, BaseException):
        return "".join(traceback.format_exception(exc_info)).rstrip()
    if isinstance(exc_info, tuple):
        if exc_info[1] is None:
            return None
        return "".join(traceback.format_exception(exc_info[1])).rstrip()
    current = sys.exc_info()[1]
    if current is None:
        return None
    return "".join(traceback.format_exception(current)).rstrip()


# --------------------------------------------------------------------------------------------
# stdlib logging capture
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CaptureTarget:
    sink: LogSink
    bot_id: str


_capture_target: contextvars.ContextVar[_CaptureTarget | None] = contextvars.ContextVar(
    "lifecycle_harness_log_capture", default=None
)


IGNORED_LOGGERS: frozenset[str] = frozenset(
    {"httpx", "httpcore", "hpack", "h11", "h2", "asyncio", "hypothesis", "respx"}
)
"""Loggers whose records are not captured: the HTTP stack (httpx logs every request at info,
which would read as the integration's own words) and the harness's machinery. Matched on the
top-level name (``"httpx"`` also drops ``"httpx._client"``, not ``"httpx_retry"``)."""


class _RoutingHandler(logging.Handler):
    """Sends a record to the sink of the hook call whose context logged it."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        target = _capture_target.get()
        if target is None or record.name.partition(".")[0] in IGNORED_LOGGERS:
            return
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format in the integration must not break the run
            message = f"{record.msg!s} {record.args!r}"
        exc_text = None
        if record.exc_info and record.exc_info[1] is not None:
            exc_text = self._formatter.formatException(record.exc_info)
        if record.stack_info:
            exc_text = f"{exc_text}\n{record.stack_info}" if exc_text else record.stack_info
        level = (
            "error"
            if record.levelno >= logging.ERROR
            else "warn"
            if record.levelno >= logging.WARNING
            else "info"
            if record.levelno >= logging.INFO
            else "debug"
        )
        target.sink.emit(
            LogRecord(
                level=level,
                message=message,
                scope=LogScope(),
                exc_text=exc_text,
                source="stdlib",
                bot_id=target.bot_id,
                logger_name=record.name,
            )
        )


class _StdlibCapture:
    """Installs one routing handler on the root logger while any capture is open."""

    lock = threading.Lock()
    depth = 0
    handler: _RoutingHandler | None = None
    saved_level = logging.WARNING


@contextmanager
def stdlib_log_routing(*, level: int = logging.DEBUG) -> Iterator[None]:
    """Install the routing handler (and lower the root logger to ``level``) while open.

    :func:`capture_stdlib_logs` does this itself; holding it open around a whole run saves
    re-installing per hook call (``Logger.setLevel`` clears every logger's cache). Reentrant.
    """
    state = _StdlibCapture
    root = logging.getLogger()
    with state.lock:
        if state.depth == 0:
            state.handler = _RoutingHandler()
            state.saved_level = root.level
            root.addHandler(state.handler)
            if root.level == logging.NOTSET or root.level > level:
                root.setLevel(level)
        state.depth += 1
    try:
        yield
    finally:
        with state.lock:
            state.depth -= 1
            if state.depth == 0 and state.handler is not None:
                root.removeHandler(state.handler)
                if root.level != state.saved_level:
                    root.setLevel(state.saved_level)
                state.handler = None


@contextmanager
def capture_stdlib_logs(
    sink: LogSink, *, bot_id: str, level: int = logging.DEBUG
) -> Iterator[None]:
    """Capture stdlib ``logging`` records emitted in this context into ``sink``.

    The root logger's level is lowered to ``level`` while any capture is open (and restored
    after), so ``logging.getLogger(__name__).info(...)`` reaches us as the platform's
    ``info`` would. Records from threads the hook starts itself are captured only if those
    threads run in a copy of the hook's context. Records of the HTTP stack and of the harness's
    own machinery (``IGNORED_LOGGERS``) are not the integration's words and are left out.
    """
    with stdlib_log_routing(level=level):
        token = _capture_target.set(_CaptureTarget(sink, bot_id))
        try:
            yield
        finally:
            _capture_target.reset(token)


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
    """The frozen ``ctx`` of a hook call (DESIGN.md section 2)."""

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
