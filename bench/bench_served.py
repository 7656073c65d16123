"""The served mode's round trip, as a ratio to the bare ``httpx.MockTransport`` round trip.

Run: ``PYTHONPATH=. python bench/bench_served.py [--requests N] [--rounds R]``. Every case sends
``GET webhooks/count.json`` with the shop's token; the baseline's handler returns a prebuilt
response through a reused ``httpx.Client``. The served cases reach ``ServedShopify`` over
loopback TLS with a keep-alive client (one connection for the whole run): the standard
library's ``http.client`` (the target case) and ``httpx.Client`` (its own client cost included).
Cases are interleaved round by round; figures are medians of wall-clock time per request (a
round trip spans two threads and a socket, so CPU time would miss the waits).
"""

from __future__ import annotations

import argparse
import functools
import http.client
import socket
from collections.abc import Callable

import httpx
from _baseline import WALL, interleaved, prebuilt_client, print_table, seeded_fake

from fake_shopify import FakeShopify
from fake_shopify.served import ServedShopify

PATH = "/admin/api/2026-10/webhooks/count.json"
URL = f"https://acme.myshopify.com{PATH}"
TARGET = 4.0


def _fake() -> tuple[FakeShopify, dict[str, str]]:
    return seeded_fake(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100, help="requests per case per round")
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()

    fake_local, headers = _fake()
    bare = prebuilt_client(httpx.Response(200, json={"count": 5}), headers=headers)
    in_process = httpx.Client(transport=fake_local.transport(), headers=headers)
    fake_served, served_headers = _fake()
    with ServedShopify(fake_served) as served:
        sock = socket.create_connection(served.address)
        conn = http.client.HTTPSConnection("acme.myshopify.com", context=served.client_context())
        conn.sock = served.client_context().wrap_socket(sock, server_hostname="acme.myshopify.com")

        def stdlib_get() -> bytes:
            conn.request("GET", PATH, headers=served_headers)
            return conn.getresponse().read()

        wire = httpx.Client(verify=served.client_context(), headers=served_headers)
        wire_url = f"https://127.0.0.1:{served.port}{PATH}"
        wire_get = functools.partial(
            wire.get,
            wire_url,
            headers={"Host": "acme.myshopify.com"},
            extensions={"sni_hostname": "acme.myshopify.com"},
        )
        assert bare.get(URL).json() == in_process.get(URL).json() == {"count": 5}
        assert stdlib_get() == b'{"count":5}'
        assert wire_get().json() == {"count": 5}

        cases: dict[str, Callable[[], object]] = {
            "bare MockTransport": functools.partial(bare.get, URL),
            "in-process fake.transport()": functools.partial(in_process.get, URL),
            "served, http.client keep-alive": stdlib_get,
            "served, httpx.Client keep-alive": wire_get,
        }
        samples = interleaved(cases, rounds=args.rounds, n=args.requests, clock=WALL)
        conn.close()
        wire.close()
    assert fake_served.journal.total >= args.rounds * args.requests * 2

    print(
        f"{args.rounds} rounds x {args.requests} requests per case; GET webhooks/count.json; "
        "wall-clock medians"
    )
    print_table(
        samples,
        {name: "bare MockTransport" for name in cases if name != "bare MockTransport"},
        targets={"served, http.client keep-alive": TARGET},
        width=34,
    )


if __name__ == "__main__":
    main()
