"""Faults on demand: what goes wrong (effects), for which requests (match), and when (schedules).

The data types here are shared by the fake, the harness's steps and scenario files. The engine
that arms them and decides, request by request, whether one fires lives beside them
(``FaultPlan``, added with the fake's core).

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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

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
