"""No real network while a simulator runs: the harness's side of ``fake_shopify.network``.

httpx is intercepted at its transports. Every other HTTP stack (``requests``, ``urllib3``,
``urllib``, ``http.client``, ``aiohttp``, ``ShopifyAPI``, raw sockets) meets the socket-level
:class:`fake_shopify.network.NetworkGuard`: ``*.myshopify.com`` reaches the served fake over
loopback TLS (the test CA trusted for those connections only), loopback and Unix-domain sockets
are left alone, and any other host is refused at once with :class:`NetworkBlockedError` (host,
port and calling stack in the message). Each refusal is reported as a :class:`SocketAttempt`
(with the request's URL when a frame of the caller holds it) so the simulator records it as a
refused request, where ``no_secret_leak`` sees a token in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fake_shopify.network import BlockedConnection, NetworkBlockedError, NetworkGuard

if TYPE_CHECKING:
    from fake_shopify.served import ServedShopify

__all__ = ["NetworkBlockedError", "SocketAttempt", "blocked_network"]


@dataclass(frozen=True)
class SocketAttempt:
    """One refused connection: where it went, and the request if it could be known."""

    host: str
    port: int | None
    url: str | None
    method: str | None
    via: str  # "connect" | "connect_ex" | "getaddrinfo" | "gethostbyname"
    stack: str = ""


OnAttempt = Callable[[SocketAttempt], None]


@contextmanager
def blocked_network(
    on_attempt: OnAttempt, *, serve: Callable[[], ServedShopify] | None = None
) -> Iterator[NetworkGuard]:
    """Refuse non-loopback connections until the block exits; ``on_attempt`` hears of each.

    ``serve`` builds the served Shopify fake that ``*.myshopify.com`` connections reach (on
    first use); without it they are refused like any other host.
    """

    def report(blocked: BlockedConnection) -> None:
        on_attempt(
            SocketAttempt(
                host=blocked.host,
                port=blocked.port,
                url=blocked.url,
                method=blocked.method,
                via=blocked.via,
                stack=blocked.stack,
            )
        )

    # The run records refusals as requests the properties judge; it does not also raise at exit.
    with NetworkGuard(serve, on_blocked=report, check_on_exit=False) as guard:
        yield guard
