"""Faults on demand: what goes wrong (effects), for which requests (match), and when (schedules).

The data types here are shared by the fake, the harness's steps and scenario files. The engine
that arms them and decides, request by request, whether one fires lives beside them
(``FaultPlan``; ``FakeShopify.faults`` is one).

Effects::

    FaultEffect
     ├── HttpError        an HTTP status with Shopify's body (429 carries Retry-After)
     ├── TransportError   a real httpx exception raised before the fake sees the request
     ├── LostResponse     the change is applied, then the response is lost (httpx exception)
     ├── Latency          the clock moves forward before the request is served
     └── Raise            raise an arbitrary exception (the harness's uncatchable crash)

Schedules: ``Nth(n)`` the n-th matching request only, ``Next(k)`` the next k matching requests,
``Always()`` every matching request, ``Probability(p, seed)`` a seeded coin per matching request.
"""

from __future__ import annotations

import contextlib
import fnmatch
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

import httpx

TransportErrorKind = Literal[
    "connect_error", "connect_timeout", "read_timeout", "remote_protocol_error"
]
LostResponseKind = Literal["read_timeout", "remote_protocol_error"]


@dataclass(frozen=True)
class HttpError:
    """Answer with ``status`` and Shopify's body for it instead of serving the request."""

    status: int
    retry_after: float | None = None  # seconds; 429 defaults to Shopify's 2.0
    body: object | None = None  # None: Shopify's own body for the status


@dataclass(frozen=True)
class TransportError:
    """Raise a real httpx exception carrying the request; nothing reaches the fake's state."""

    kind: TransportErrorKind = "connect_error"


@dataclass(frozen=True)
class LostResponse:
    """Serve the request (the change is applied), then raise instead of returning the response."""

    kind: LostResponseKind = "read_timeout"


@dataclass(frozen=True)
class Latency:
    """Advance the fake's clock by ``seconds`` before serving the request normally."""

    seconds: float


@dataclass(frozen=True)
class Raise:
    """Raise ``factory(request)``; used by the harness for crashes no ``except Exception`` catches."""

    factory: Callable[[httpx.Request], BaseException]


FaultEffect = HttpError | TransportError | LostResponse | Latency | Raise

_TAG = "_fake_shopify_fault"
_Tagged = TypeVar("_Tagged")


def tag_fault(carrier: _Tagged, effect: FaultEffect) -> _Tagged:
    """Mark the exception or response a fault produced with its effect, so that a transport
    can turn it into the event it names (the served mode: reset, close, delay)."""
    with contextlib.suppress(AttributeError, TypeError):  # a slotted exception from a factory
        setattr(carrier, _TAG, effect)
    return carrier


def fault_of(carrier: object) -> FaultEffect | None:
    """The effect :func:`tag_fault` marked ``carrier`` with, or ``None``."""
    effect = getattr(carrier, _TAG, None)
    return (
        effect
        if isinstance(effect, HttpError | TransportError | LostResponse | Latency | Raise)
        else None
    )


@dataclass(frozen=True)
class Match:
    """Which requests a fault applies to; ``None`` matches anything.

    ``path`` is an ``fnmatch`` glob over the URL path (``/admin/api/*/webhooks.json``);
    ``action`` is the route's action stem (``create_webhook``) or a GraphQL operation name.
    """

    method: str | None = None
    path: str | None = None
    action: str | None = None
    shop: str | None = None


@dataclass(frozen=True)
class Nth:
    """Fire on the n-th matching request (1-based), once."""

    n: int = 1


@dataclass(frozen=True)
class Next:
    """Fire on each of the next ``k`` matching requests."""

    k: int = 1


@dataclass(frozen=True)
class Always:
    """Fire on every matching request until cleared."""


@dataclass(frozen=True)
class Probability:
    """Fire on each matching request with probability ``p``, drawn from ``random.Random(seed)``."""

    p: float
    seed: int = 0


Schedule = Nth | Next | Always | Probability


# -- the engine -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArmedFault:
    """A fault waiting for requests: ``id`` is ``"fault-1"``, ``"fault-2"`` ... per plan."""

    id: str
    effect: FaultEffect
    match: Match
    schedule: Schedule


@dataclass(frozen=True)
class FiredFault:
    """A fault that fired on one request (``exchange_index`` indexes the fake's journal)."""

    fault_id: str
    exchange_index: int
    time: datetime
    effect: FaultEffect
    method: str
    path: str
    action: str | None


class _Slot:
    """Mutable schedule state of one armed fault."""

    __slots__ = ("armed", "exhausted", "fired", "rng", "seen")

    def __init__(self, armed: ArmedFault) -> None:
        self.armed = armed
        self.seen = 0  # matching requests offered so far
        self.fired = 0
        self.exhausted = False
        schedule = armed.schedule
        self.rng = random.Random(schedule.seed) if isinstance(schedule, Probability) else None

    def offer(self) -> bool:
        """Count one matching request; whether the fault fires on it."""
        self.seen += 1
        schedule = self.armed.schedule
        if isinstance(schedule, Nth):
            fire = self.seen == schedule.n
            self.exhausted = self.seen >= schedule.n
        elif isinstance(schedule, Next):
            fire = True
            self.exhausted = self.fired + 1 >= schedule.k
        elif isinstance(schedule, Always):
            fire = True
        else:
            assert self.rng is not None
            fire = self.rng.random() < schedule.p
        if fire:
            self.fired += 1
        return fire


def _matches(
    match: Match,
    method: str,
    path: str,
    action: str | None,
    shop: str | None,
    aliases: tuple[str, ...] = (),
) -> bool:
    if match.method is not None and match.method.upper() != method:
        return False
    if match.action is not None and match.action != action and match.action not in aliases:
        return False
    if match.shop is not None and match.shop != shop:
        return False
    return match.path is None or fnmatch.fnmatchcase(path, match.path)


class FaultPlan:
    """Arms faults and decides, request by request, which one fires.

    Each request is offered to the active faults in arming order; every fault whose
    :class:`Match` matches counts it toward its schedule, and the first whose schedule fires
    takes the request (later faults do not see it). Everything is deterministic: counters and,
    for :class:`Probability`, a ``random.Random(seed)`` per fault.
    """

    def __init__(self) -> None:
        self._slots: list[_Slot] = []
        self._all: list[ArmedFault] = []
        self._counter = 0
        self.fired: list[FiredFault] = []

    @property
    def active(self) -> bool:
        """Whether any armed fault can still fire (cheap check on the hot path)."""
        return bool(self._slots)

    def arm(
        self,
        effect: FaultEffect,
        *,
        match: Match | None = None,
        schedule: Schedule | None = None,
    ) -> ArmedFault:
        """Arm ``effect`` for requests matching ``match`` (default: any) on ``schedule``
        (default: the next one)."""
        if isinstance(schedule, Nth) and schedule.n < 1:
            raise ValueError(f"Nth(n) is 1-based, got n={schedule.n}")
        if isinstance(schedule, Next) and schedule.k < 1:
            raise ValueError(f"Next(k) needs k >= 1, got k={schedule.k}")
        if isinstance(schedule, Probability) and not 0.0 <= schedule.p <= 1.0:
            raise ValueError(f"Probability(p) needs 0 <= p <= 1, got p={schedule.p}")
        self._counter += 1
        armed = ArmedFault(
            id=f"fault-{self._counter}",
            effect=effect,
            match=match if match is not None else Match(),
            schedule=schedule if schedule is not None else Next(1),
        )
        self._slots.append(_Slot(armed))
        self._all.append(armed)
        return armed

    def select(
        self,
        method: str,
        path: str,
        action: str | None,
        shop: str | None,
        *,
        aliases: tuple[str, ...] = (),
    ) -> ArmedFault | None:
        """The fault that takes this request, if any (advances the schedules it touches).

        ``aliases``: other names ``Match.action`` may use for this request (a GraphQL request's
        operation name and root fields).
        """
        chosen: ArmedFault | None = None
        for slot in self._slots:
            if not _matches(slot.armed.match, method, path, action, shop, aliases):
                continue
            if slot.offer():
                chosen = slot.armed
                break
        if any(slot.exhausted for slot in self._slots):
            self._slots = [slot for slot in self._slots if not slot.exhausted]
        return chosen

    def record(
        self,
        fault: ArmedFault,
        *,
        exchange_index: int,
        time: datetime,
        method: str,
        path: str,
        action: str | None,
    ) -> FiredFault:
        fired = FiredFault(fault.id, exchange_index, time, fault.effect, method, path, action)
        self.fired.append(fired)
        return fired

    def armed(self) -> list[ArmedFault]:
        """Faults that can still fire, in arming order."""
        return [slot.armed for slot in self._slots]

    def unfired(self) -> list[ArmedFault]:
        """Faults armed since the last ``clear()`` that never fired (schedules of any kind)."""
        fired_ids = {f.fault_id for f in self.fired}
        return [a for a in self._all if a.id not in fired_ids]

    def disarm(self, fault: ArmedFault) -> None:
        """Stop ``fault`` from firing again."""
        self._slots = [slot for slot in self._slots if slot.armed.id != fault.id]

    def clear(self) -> None:
        """Disarm everything and forget what fired (ids keep counting)."""
        self._slots = []
        self._all = []
        self.fired = []
