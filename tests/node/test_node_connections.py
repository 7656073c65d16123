"""Hook-call connections to the integration's server: a keep-alive connection the server closed
while it sat in the pool is not reused (Node closes idle ones after 5 s), and the call is
answered."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.targets.node import process as node_process
from harness.targets.node.process import NodeProcess

_REPLY = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class _OneShotServer:
    """Answers one request per connection, keep-alive promised, then hangs up (as Node does
    with an idle connection past its keepAliveTimeout)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.requests = 0
        self.closed = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data or not data.endswith(b"}"):
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                if not data:
                    continue
                self.requests += 1
                conn.sendall(_REPLY)
            self.closed.set()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def server() -> Iterator[_OneShotServer]:
    srv = _OneShotServer()
    yield srv
    srv.close()


def _process(port: int) -> NodeProcess:
    process = NodeProcess(
        node="node", preload=Path("-"), runner=Path("-"), bundle=Path("-"), cwd=Path("."), env={}
    )
    process.port = port
    return process


def test_a_connection_the_server_closed_in_the_pool_is_not_reused(server):
    process = _process(server.port)
    first = process.post({"content-type": "application/json"}, b"{}", timeout=5.0)
    assert first.status == 200
    assert server.closed.wait(5.0)  # the server hung up on the pooled connection
    second = process.post({"content-type": "application/json"}, b"{}", timeout=5.0)
    process.stop()
    assert (second.status, second.error) == (200, None)
    assert server.requests == 2


def test_a_connection_idle_past_the_servers_keep_alive_is_not_reused(server, monkeypatch):
    process = _process(server.port)
    assert process.post({}, b"{}", timeout=5.0).status == 200
    monkeypatch.setattr(node_process, "POOL_IDLE", -1.0)  # every pooled connection is too old
    pooled = list(process._pool)
    assert process.post({}, b"{}", timeout=5.0).status == 200
    process.stop()
    assert all(conn.sock is None for conn in pooled)  # closed, not used


def test_a_write_to_a_closed_runtime_raises_instead_of_signalling(server):
    """Under the supervisor ``SIGPIPE`` has its default action: the harness's writes to the
    runtime must not raise it (they would kill the worker)."""
    import signal

    previous = signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        process = _process(server.port)
        assert process.post({}, b"{}", timeout=5.0).status == 200
        assert server.closed.wait(5.0)
        (conn,) = process._pool
        big = b"x" * (1 << 20)

        def write_until_refused() -> None:
            for _ in range(8):  # the peer's reset arrives after the first write
                conn.send(big)

        with pytest.raises(OSError):
            write_until_refused()
        conn.close()
    finally:
        signal.signal(signal.SIGPIPE, previous)
