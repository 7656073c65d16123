"""No real network while a simulator runs: socket connections that bypass httpx are refused.

httpx is intercepted at its transports; ``urllib``, ``http.client``, ``requests`` and raw sockets
are not. For the duration of a simulator's run, ``socket.socket.connect``/``connect_ex``,
``socket.create_connection`` and ``socket.getaddrinfo`` refuse internet addresses (as
pytest-socket does) with :class:`NetworkBlockedError`, and report each attempt (host, port and
the URL when a frame of the caller holds it) so the simulator can record it as a refused request,
where ``no_secret_leak`` sees a token in it. Unix-domain sockets stay allowed (local IPC only).
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any


class NetworkBlockedError(ConnectionRefusedError):
    """A connection to a host no fake serves; nothing was sent.

    A ``ConnectionRefusedError`` so integrations and their HTTP libraries handle it like a
    refused connection (``urllib`` wraps it in ``URLError``).
    """


@dataclass(frozen=True)
class SocketAttempt:
    """One refused connection: where it went, and the request if it could be known."""

    host: str
    port: int | None
    url: str | None
    method: str | None
    via: str  # "connect" | "connect_ex" | "create_connection" | "getaddrinfo"


OnAttempt = Callable[[SocketAttempt], None]


def _request_of_caller() -> tuple[str | None, str | None]:
    """(url, method) from the caller's frames: urllib's ``Request`` (the full URL) first, else
    the ``method``/``url`` arguments of an HTTP client (``http.client``, urllib3)."""
    frames: list[FrameType] = []
    frame = sys._getframe(2)
    while frame is not None and len(frames) < 40:
        frames.append(frame)
        frame = frame.f_back  # type: ignore[assignment]
    for frame in frames:
        req = frame.f_locals.get("req")
        full_url = getattr(req, "full_url", None)
        if isinstance(full_url, str):
            get_method = getattr(req, "get_method", None)
            return full_url, get_method() if callable(get_method) else None
    for frame in frames:
        names = frame.f_locals
        url, method = names.get("url"), names.get("method")
        if isinstance(url, str) and isinstance(method, str):
            conn = names.get("self")
            host = getattr(conn, "host", None)
            if url.startswith("/") and isinstance(host, str):
                scheme = "https" if hasattr(conn, "cert_file") else "http"
                port = getattr(conn, "port", None)
                url = f"{scheme}://{host}{f':{port}' if port else ''}{url}"
            return url, method
    return None, None


def _host_port(address: object) -> tuple[str, int | None]:
    if isinstance(address, tuple) and address:
        port = address[1] if len(address) > 1 and isinstance(address[1], int) else None
        return str(address[0]), port
    return str(address), None


@contextmanager
def blocked_network(on_attempt: OnAttempt) -> Iterator[None]:
    """Refuse internet connections until the block exits; ``on_attempt`` hears of each."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_create_connection = socket.create_connection
    real_getaddrinfo = socket.getaddrinfo

    def refuse(host: str, port: int | None, via: str) -> NetworkBlockedError:
        url, method = _request_of_caller()
        on_attempt(SocketAttempt(host=host, port=port, url=url, method=method, via=via))
        where = url or (f"{host}:{port}" if port is not None else host)
        return NetworkBlockedError(
            111,
            f"lifecycle-harness: {where}: no fake serves {host}; the request was not sent "
            "(the harness never uses the network)",
        )

    def connect(self: socket.socket, address: Any) -> None:
        if self.family == socket.AF_UNIX:
            return real_connect(self, address)
        host, port = _host_port(address)
        raise refuse(host, port, "connect")

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family == socket.AF_UNIX:
            return real_connect_ex(self, address)
        host, port = _host_port(address)
        raise refuse(host, port, "connect_ex")

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        host, port = _host_port(address)
        raise refuse(host, port, "create_connection")

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        raise refuse(str(host), port if isinstance(port, int) else None, "getaddrinfo")

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.create_connection = create_connection
    socket.getaddrinfo = getaddrinfo
    try:
        yield
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
        socket.create_connection = real_create_connection
        socket.getaddrinfo = real_getaddrinfo
