"""The bare ``httpx.MockTransport`` baseline the benches compare against, and their rounds.

- :func:`prebuilt_client`: an ``httpx.Client`` on a ``MockTransport`` whose handler returns
  prebuilt responses (the floor of a request through httpx);
- :func:`bare_round_trip`: the median of single GETs through a bare ``MockTransport`` whose
  handler builds its response (for benches that measure something else per request);
- :func:`timed` and :func:`interleaved`: cases timed in short rounds, interleaved, so a burst of
  load from elsewhere hits every case alike and the medians drop the rounds it spoiled;
- :func:`ratio` (the median of per-round ratios to a baseline case) and :func:`print_table`;
- :func:`seeded_fake`: the fake the benches measure (one shop, one installed app, N
  subscriptions, a frozen clock, rate limits off).

Clocks: :data:`CPU` (the process's CPU time: on a shared machine the wall clock also counts
the time other processes hold the CPU, which would dilute every ratio toward 1) or :data:`WALL`
(for round trips that span threads and sockets, where CPU time would miss the waits).
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import httpx

from fake_shopify import FakeShopify, ManualClock

__all__ = [
    "CPU",
    "WALL",
    "bare_round_trip",
    "interleaved",
    "prebuilt_client",
    "print_table",
    "ratio",
    "seeded_fake",
    "timed",
    "verdict",
]

Clock = Callable[[], float]
CPU: Clock = time.process_time
WALL: Clock = time.perf_counter  # captured at import: freezegun replaces time's functions


def seeded_fake(
    webhooks: int = 0,
    *,
    topics: tuple[str, ...] = ("orders/create",),
    address: str = "https://h.example/{}",
    journal_limit: int | None = 100,
    **options: Any,
) -> tuple[FakeShopify, dict[str, str]]:
    """Shop ``acme`` with app ``bot`` installed and ``webhooks`` subscriptions (topics taken in
    turn, ``address`` formatted with the index), the clock frozen at 2026-11-01 and rate limits
    off (a bench sends thousands of requests at one frozen instant); with the token header."""
    fake = FakeShopify(
        clock=ManualClock(datetime(2026, 11, 1, tzinfo=UTC)),
        journal_limit=journal_limit,
        rate_limits=False,
        **options,
    )
    fake.add_shop("acme")
    fake.add_app("bot")
    token = fake.install("acme", "bot").access_token
    for i in range(webhooks):
        fake.add_webhook("acme", "bot", topic=topics[i % len(topics)], address=address.format(i))
    return fake, {"X-Shopify-Access-Token": token}


def prebuilt_client(
    *responses: httpx.Response,
    pick: Callable[[httpx.Request], int] | None = None,
    **client_options: Any,
) -> httpx.Client:
    """A client whose transport answers ``responses[pick(request)]`` (the first without
    ``pick``), built once. The client wraps a response's stream on every send: each is reset,
    or with one response object reused the wrappers would nest without end and GC would slow
    the baseline down."""
    streams = [response.stream for response in responses]

    def handler(request: httpx.Request) -> httpx.Response:
        index = pick(request) if pick is not None else 0
        response = responses[index]
        response.stream = streams[index]
        return response

    return httpx.Client(transport=httpx.MockTransport(handler), **client_options)


def bare_round_trip(rounds: int = 2000, clock: Clock = WALL) -> float:
    """Median seconds of one GET through a bare ``MockTransport`` (client reused)."""
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"webhooks": []}))
    samples = []
    with httpx.Client(transport=transport) as client:
        for _ in range(rounds):
            start = clock()
            client.get("https://acme.myshopify.com/admin/api/2025-10/webhooks.json")
            samples.append(clock() - start)
    return statistics.median(samples)


def timed(send: Callable[[], object], n: int, clock: Clock = CPU) -> float:
    """Seconds per call of ``send``, over ``n`` calls."""
    start = clock()
    for _ in range(n):
        send()
    return (clock() - start) / n


def interleaved(
    cases: Mapping[str, Callable[[], object]],
    *,
    rounds: int,
    n: int,
    clock: Clock = CPU,
    around: Mapping[str, Callable[[], AbstractContextManager[object]]] | None = None,
    per_call: Mapping[str, int] | None = None,
) -> dict[str, list[float]]:
    """Seconds per request of each case, one sample per round; every round times each case
    (``n`` calls) in order. ``around[name]`` is entered around that case's calls only (an
    interception that would capture the other cases too); ``per_call[name]`` requests are
    made by one call of that case."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, send in cases.items():
            context = around.get(name) if around else None
            with context() if context is not None else _nothing():
                took = timed(send, n, clock)
            samples[name].append(took / (per_call.get(name, 1) if per_call else 1))
    return samples


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield


def ratio(samples: Mapping[str, list[float]], name: str, base: str) -> float:
    """The median over rounds of ``name``'s time over ``base``'s in the same round."""
    return statistics.median(
        took / floor for took, floor in zip(samples[name], samples[base], strict=True)
    )


def verdict(value: float, target: float) -> str:
    return f"target <= {target}x: {'ok' if value <= target else 'MISSED'}"


def print_table(
    samples: Mapping[str, list[float]],
    bases: Mapping[str, str],
    *,
    labels: Mapping[str, str] | None = None,
    targets: Mapping[str, float] | None = None,
    best: bool = False,
    width: int = 26,
) -> None:
    """One line per case of ``samples``: its median (us), and its ratio to ``bases[name]``
    (a case without a base is a baseline, 1.00x). With ``best``, also the best round and the
    ratio of the bests, and a target must hold for both."""
    header = f"{'case':>{width}}  {'median':>9}  {'ratio (median of rounds)':>24}"
    if best:
        header += f"  {'best':>9}  {'ratio (best)':>12}"
    print(header)
    for name, values in samples.items():
        base = bases.get(name)
        value = ratio(samples, name, base) if base is not None else 1.0
        line = (
            f"{(labels or {}).get(name, name):>{width}}  {statistics.median(values) * 1e6:7.1f}us"
        )
        line += f"  {value:23.2f}x"
        checked = value
        if best:
            best_ratio = min(values) / min(samples[base]) if base is not None else 1.0
            line += f"  {min(values) * 1e6:7.1f}us  {best_ratio:11.2f}x"
            checked = max(value, best_ratio)
        target = (targets or {}).get(name)
        if target is not None:
            line += f"  {verdict(checked, target)}"
        print(line)
