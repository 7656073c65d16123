"""``lifecycle-harness serve``: the fakes on loopback for code in any language.

Starts the Shopify fake over TLS (a test CA made at start-up) and the platform's state API over
plain HTTP, both on 127.0.0.1, seeded from a scenario file's world or from flags, prints where
they are (human-readable, or one JSON object with ``--json``), and serves until Ctrl-C (or
SIGTERM), which stops both cleanly. ``--port 0`` (the default) picks free ports.

Time is the wall clock here (rate-limit buckets leak, states expire, timestamps move): there is
no simulator driving a virtual one.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import signal
import threading
from collections.abc import Sequence
from typing import IO, Any

from fake_shopify import FakeShopify
from fake_shopify.served import ServedShopify
from harness.runtime.platform_api import ServedPlatformAPI
from harness.runtime.store import StateStore
from harness.world import Tenant, WorldSpec, default_world, derived_token, provision

__all__ = ["WallClock", "add_serve_parser", "serve"]


class WallClock:
    """The real time, plus whatever ``advance`` added (latency faults move it forward)."""

    def __init__(self) -> None:
        self._offset = _dt.timedelta()
        self._lock = threading.Lock()

    def now(self) -> _dt.datetime:
        with self._lock:
            return _dt.datetime.now(_dt.UTC) + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"a clock only moves forward; got advance({seconds!r})")
        with self._lock:
            self._offset += _dt.timedelta(seconds=seconds)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535 (0 picks a free one), got {value}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_serve_parser(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the Shopify fake and the platform API on loopback for any language",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    p.add_argument(
        "--scenario",
        metavar="FILE",
        help="seed from this scenario file's world (shops, bots, crowd, configuration)",
    )
    p.add_argument("--shop", metavar="HANDLE", help="the first shop's handle (default acme)")
    p.add_argument("--shops", type=_count, default=1, metavar="N", help="shops (default 1)")
    p.add_argument("--bots", type=_count, default=1, metavar="N", help="bots (default 1)")
    p.add_argument(
        "--port", type=_port, default=0, help="the Shopify fake's port (default 0: a free one)"
    )
    p.add_argument(
        "--platform-port",
        type=_port,
        default=0,
        help="the platform API's port (default 0: a free one)",
    )
    p.add_argument(
        "--platform-token",
        metavar="TOKEN",
        help="the bearer token the platform API accepts (default: a generated one)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object, then serve")


def _world(args: argparse.Namespace) -> WorldSpec:
    if args.scenario:
        from harness.scenarios.loader import load_scenario
        from harness.scenarios.replay import world_spec

        return world_spec(load_scenario(args.scenario))
    configuration = {"shopName": args.shop} if args.shop else None
    return default_world(configuration, bots=args.bots, shops=args.shops)


def describe(
    served: ServedShopify,
    api: ServedPlatformAPI,
    spec: WorldSpec,
    tokens: dict[str, str],
    tenants: Sequence[Tenant],
) -> dict[str, Any]:
    """What a client needs, as data (the ``--json`` output)."""
    host, port = served.address
    return {
        "shopify": {
            "address": [host, port],
            "url": f"https://{host}:{port}",
            "ca_cert": str(served.ca_cert_path),
            "connect": "TLS to the address with SNI and Host {shop}.myshopify.com",
            "shops": [
                {
                    "shop": shop.handle,
                    "domain": f"{shop.handle}.myshopify.com",
                    "token": tokens[shop.handle],
                }
                for shop in spec.shops
            ],
        },
        "platform": {
            "url": api.url,
            "token": api.token,
            "headers": "Authorization: Bearer <token>, x-bot-id, x-integration-id",
            "bots": [
                {
                    "bot": t.name,
                    "bot_id": t.bot_id,
                    "integration_id": t.integration_id,
                    "shop": t.shop,
                }
                for t in tenants
            ],
        },
    }


def _print_human(info: dict[str, Any], out: IO[str]) -> None:
    shopify, platform = info["shopify"], info["platform"]
    print(f"Shopify fake    {shopify['url']}  (TLS; {shopify['connect']})", file=out)
    print(f"CA certificate  {shopify['ca_cert']}", file=out)
    for shop in shopify["shops"]:
        print(f"  shop {shop['domain']:<34} token {shop['token']}", file=out)
    print(f"Platform API    {platform['url']}  (BP_API_URL)", file=out)
    print(f"  bearer token  {platform['token']}  (BP_TOKEN)", file=out)
    for bot in platform["bots"]:
        print(
            f"  bot {bot['bot']} on {bot['shop']}: x-bot-id {bot['bot_id']}, "
            f"x-integration-id {bot['integration_id']}",
            file=out,
        )
    print("Serving until Ctrl-C.", file=out, flush=True)


def serve(args: argparse.Namespace, out: IO[str], *, stop: threading.Event | None = None) -> int:
    """Run the servers until ``stop`` is set (Ctrl-C / SIGTERM set it). Returns the exit code."""
    spec = _world(args)
    clock = WallClock()
    fake = FakeShopify(clock=clock)
    tenants = provision(fake, spec)
    tokens = {shop.handle: derived_token(shop.handle, spec.app) for shop in spec.shops}
    tokens.update({t.shop: str(t.token) for t in tenants})  # a configuration's own token
    store = StateStore(clock=clock)
    stop = stop if stop is not None else threading.Event()
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        with (
            ServedShopify(fake, port=args.port) as served,
            ServedPlatformAPI(store, token=args.platform_token, port=args.platform_port) as api,
        ):
            info = describe(served, api, spec, tokens, tenants)
            if args.json:
                print(json.dumps(info), file=out, flush=True)
            else:
                _print_human(info, out)
            while not stop.wait(0.2):
                pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if not args.json:
        print("Stopped.", file=out, flush=True)
    return 0
