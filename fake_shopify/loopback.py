"""An HTTP server on a loopback port, run from a background thread.

The common part of the served fake (:class:`fake_shopify.served.ServedShopify`) and the
harness's served platform API: the standard library's ``ThreadingHTTPServer`` (a daemon thread
per open connection, nothing joined on close) bound to an IPv4 or IPv6 loopback address,
``serve_forever`` in a daemon thread, and start / close / ``with`` / ``port``.

A connection's thread is reused: when its connection ends it waits for the next one, so a
client that opens a connection per call (a ``requests.Session`` per hook call) does not pay a
thread start, and the accepting thread does not wait for one, per connection. As many threads
as connections open at once; the idle ones end when the server is closed.
"""

from __future__ import annotations

import queue
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

__all__ = ["LoopbackHTTPServer", "LoopbackService", "is_loopback_host"]


def is_loopback_host(host: str) -> bool:
    """``127.0.0.0/8``, ``::1`` or ``localhost``: the addresses a served fake may bind."""
    return host in {"127.0.0.1", "::1", "localhost"} or host.startswith("127.")


class LoopbackHTTPServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` with reused daemon connection threads, for IPv4 or IPv6."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, handler)
        self._jobs: queue.SimpleQueue[tuple[Any, Any] | None] = queue.SimpleQueue()
        self._workers_lock = threading.Lock()
        self._idle_workers = 0  # waiting on _jobs, not yet handed a connection
        self._closed = False

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._workers_lock:
            if self._idle_workers > 0:
                self._idle_workers -= 1
                self._jobs.put((request, client_address))
                return
        thread = threading.Thread(
            target=self._work, args=((request, client_address),), name="loopback-connection"
        )
        thread.daemon = True
        thread.start()

    def _work(self, job: tuple[Any, Any] | None) -> None:
        while job is not None:
            self.process_request_thread(*job)  # handles, reports errors, closes the socket
            with self._workers_lock:
                if self._closed:
                    return
                self._idle_workers += 1
            job = self._jobs.get()

    def server_close(self) -> None:
        super().server_close()
        with self._workers_lock:
            self._closed = True
            for _ in range(self._idle_workers):
                self._jobs.put(None)
            self._idle_workers = 0

    def close_connections(self) -> None:
        """Drop the connections still open (called on close; this server tracks none)."""


class LoopbackService:
    """A :class:`LoopbackHTTPServer` served from a daemon thread: ``start()`` / ``close()``, or
    a ``with`` block. Subclasses build the server (``_make_server``) and may add to ``close``."""

    _what = "the server"  # named when a property needs it started
    _server: LoopbackHTTPServer | None = None
    _thread: threading.Thread | None = None

    def _make_server(self) -> LoopbackHTTPServer:
        raise NotImplementedError

    def _thread_name(self) -> str:
        raise NotImplementedError

    def start(self) -> Self:
        if self._server is not None:
            return self
        self._server = self._make_server()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=self._thread_name(),
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def port(self) -> int:
        """The bound port (``port=0`` asked for a free one)."""
        if self._server is None:
            raise RuntimeError(f"{self._what} is not started (use start() or a with block)")
        return int(self._server.server_address[1])
