"""Per-client cost of ``httpx.AsyncClient()`` / ``httpx.Client()``, without and with the
harness's SSL-context cache (harness.runtime.sslcache.cached_ssl_contexts).

Prints medians (ms per client, construct + close) and the ratio before / after.
Run: PYTHONPATH=. python bench/bench_ssl.py [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable

import httpx

from harness.runtime.sslcache import cached_ssl_contexts


def _sync_client_ms() -> float:
    start = time.perf_counter()
    client = httpx.Client()
    client.close()
    return (time.perf_counter() - start) * 1000


def _async_client_ms(loop: asyncio.AbstractEventLoop) -> float:
    async def once() -> float:
        start = time.perf_counter()
        client = httpx.AsyncClient()
        await client.aclose()
        return (time.perf_counter() - start) * 1000

    return loop.run_until_complete(once())


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args()
    loop = asyncio.new_event_loop()
    try:
        _sync_client_ms()  # warm imports (certifi, httpcore) out of the first sample
        rows = []
        cases: list[tuple[str, Callable[[], float]]] = [
            ("httpx.AsyncClient()", lambda: _async_client_ms(loop)),
            ("httpx.Client()", _sync_client_ms),
        ]
        for name, make in cases:
            before = [make() for _ in range(args.rounds)]
            with cached_ssl_contexts():
                after = [make() for _ in range(args.rounds * 4)]
            rows.append((name, _median(before), _median(after)))
    finally:
        loop.close()
    print(f"{'client':<22}{'before ms':>12}{'after ms':>12}{'ratio':>10}")
    for name, before_ms, after_ms in rows:
        print(f"{name:<22}{before_ms:>12.3f}{after_ms:>12.4f}{before_ms / after_ms:>9.0f}x")


if __name__ == "__main__":
    main()
