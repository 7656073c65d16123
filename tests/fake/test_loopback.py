"""The loopback server helper under the served fake and the platform API: connection threads
are reused, connections open at once each have their own, and closing ends the idle ones."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from fake_shopify.loopback import LoopbackHTTPServer, LoopbackService, is_loopback_host


class _WhichThread(BaseHTTPRequestHandler):
    """Answers every GET with the id of the thread that served it."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = str(threading.get_ident()).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


class _Service(LoopbackService):
    _what = "the test service"

    def _make_server(self) -> LoopbackHTTPServer:
        return LoopbackHTTPServer(("127.0.0.1", 0), _WhichThread)

    def _thread_name(self) -> str:
        return "test-loopback"

    def idle(self) -> int:
        assert self._server is not None
        return self._server._idle_workers


@pytest.fixture
def service() -> Iterator[_Service]:
    with _Service() as started:
        yield started


def _get(conn: http.client.HTTPConnection) -> int:
    conn.request("GET", "/")
    return int(conn.getresponse().read())


def _wait_idle(service: _Service, count: int) -> None:
    deadline = time.monotonic() + 5
    while service.idle() != count:
        assert time.monotonic() < deadline, f"{service.idle()} idle threads, not {count}"
        time.sleep(0.001)


def test_one_connection_after_another_reuses_the_thread(service: _Service) -> None:
    served_by = set()
    for _ in range(5):
        conn = http.client.HTTPConnection("127.0.0.1", service.port, timeout=5)
        served_by.add(_get(conn))
        served_by.add(_get(conn))  # keep-alive: the same connection, the same thread
        conn.close()
        _wait_idle(service, 1)  # the thread saw the end of its connection
    assert len(served_by) == 1


def test_connections_open_at_once_have_their_own_threads(service: _Service) -> None:
    first = http.client.HTTPConnection("127.0.0.1", service.port, timeout=5)
    second = http.client.HTTPConnection("127.0.0.1", service.port, timeout=5)
    try:
        assert _get(first) != _get(second)
        assert _get(first) != _get(second)
    finally:
        first.close()
        second.close()
    _wait_idle(service, 2)
    third = http.client.HTTPConnection("127.0.0.1", service.port, timeout=5)
    _get(third)
    third.close()


def test_closing_ends_the_idle_threads() -> None:
    service = _Service().start()
    conn = http.client.HTTPConnection("127.0.0.1", service.port, timeout=5)
    ident = _get(conn)
    conn.close()
    _wait_idle(service, 1)
    (worker,) = [t for t in threading.enumerate() if t.ident == ident]
    assert worker.daemon
    service.close()
    worker.join(timeout=5)
    assert not worker.is_alive()


def test_not_started_names_the_service() -> None:
    with pytest.raises(RuntimeError, match="the test service is not started"):
        _ = _Service().port
    assert is_loopback_host("127.0.0.2")
    assert is_loopback_host("::1")
    assert not is_loopback_host("0.0.0.0")
