"""Network isolation of the worker: its own network namespace whose only interface is loopback.

Entered in the worker right after ``fork`` (single-threaded there, as ``unshare`` needs): with
``CAP_SYS_ADMIN`` (root) a network namespace (``CLONE_NEWNET``), otherwise a user namespace
first (``CLONE_NEWUSER``, where the kernel allows unprivileged ones) that grants it. Inside,
``lo`` is brought up (so loopback servers the worker starts are reachable) and there is no
other interface, no route: every child, thread or C-level socket of the target is contained,
whatever it does with Python's ``socket`` module.

Where neither works, the worker runs with the socket guard only (``harness.runtime.netblock``)
and every proxy variable of its environment points at a port that refuses connections, so a
``curl`` or ``requests`` child honouring them goes nowhere; the report header says which.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import os
import socket
import struct

NAMESPACE = "network isolation: own network namespace (loopback only)"
GUARD_ONLY = "network isolation: socket guard only"

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1

PROXY_VARIABLES = (
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "ftp_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "FTP_PROXY",
)


class IsolationError(OSError):
    """The namespace could not be entered (the reason is the message)."""


def _unshare(flags: int) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.unshare(flags) != 0:
        errno = ctypes.get_errno()
        raise IsolationError(errno, os.strerror(errno))


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as f:
        f.write(text)


def enter_network_namespace() -> None:
    """Move the calling (single-threaded) process into a fresh network namespace, ``lo`` up.

    Raises :class:`IsolationError` when the system allows neither kind of namespace.
    """
    try:
        _unshare(CLONE_NEWNET)
    except IsolationError as first:
        uid, gid = os.getuid(), os.getgid()
        try:
            _unshare(CLONE_NEWUSER | CLONE_NEWNET)
        except IsolationError:
            raise first from None
        # Map ourselves to root inside the user namespace (needed to bring lo up).
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"0 {uid} 1")
        _write("/proc/self/gid_map", f"0 {gid} 1")
    loopback_up()


def loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(s.fileno(), _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s.fileno(), _SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | _IFF_UP))


def interfaces() -> list[str]:
    """The network interfaces the calling process sees (``/proc/net/dev``)."""
    with open("/proc/net/dev", encoding="ascii") as f:
        lines = f.read().splitlines()[2:]
    return sorted(line.split(":", 1)[0].strip() for line in lines)


def refusing_port() -> socket.socket:
    """A TCP socket bound on 127.0.0.1 that never listens: connections to it are refused.

    The caller keeps it open for as long as the port must stay taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def proxy_environment(port: int) -> dict[str, str]:
    """Every proxy variable pointed at ``127.0.0.1:port``; no host is exempt."""
    url = f"http://127.0.0.1:{port}"
    env = dict.fromkeys(PROXY_VARIABLES, url)
    env["no_proxy"] = env["NO_PROXY"] = ""
    return env


# Kernel counters of the worker's own network namespace that only move when something tried to
# leave it: a packet with no route (every non-loopback address), a refused connection or a
# datagram to a closed port on its loopback. They count children and C-level sockets too.
_COUNTERS = {
    "Ip:OutNoRoutes": "packet(s) with no route to the network",
    "Ip6:OutNoRoutes": "IPv6 packet(s) with no route to the network",
    "Tcp:AttemptFails": "refused connection(s) on loopback",
    "Udp:NoPorts": "datagram(s) to a closed loopback port",
    "Udp6:NoPorts": "IPv6 datagram(s) to a closed loopback port",
}


def counters() -> dict[str, int]:
    """The escape counters of the calling process's network namespace (``/proc/net/snmp``)."""
    found: dict[str, int] = {}
    try:
        with open("/proc/net/snmp", encoding="ascii") as f:
            lines = f.read().splitlines()
        for names, values in zip(lines[::2], lines[1::2], strict=False):
            keys = names.split()
            for key, value in zip(keys[1:], values.split()[1:], strict=False):
                name = f"{keys[0]}{key}"
                if name in _COUNTERS:
                    found[name] = int(value)
        with open("/proc/net/snmp6", encoding="ascii") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2 and parts[0] in ("Ip6OutNoRoutes", "Udp6NoPorts"):
                    found[parts[0].replace("6", "6:", 1)] = int(parts[1])
    except (OSError, ValueError):
        pass
    return found


def describe_escapes(before: dict[str, int], after: dict[str, int]) -> str | None:
    """``"2 packet(s) with no route to the network, 1 refused connection(s) on loopback"`` or
    ``None`` when nothing tried to leave."""
    parts = [
        f"{after[name] - before.get(name, 0)} {text}"
        for name, text in _COUNTERS.items()
        if after.get(name, 0) > before.get(name, 0)
    ]
    return ", ".join(parts) or None
