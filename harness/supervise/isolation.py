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


# --- where contained attempts went --------------------------------------------------------
#
# The kernel counters above say how many attempts the namespace stopped, not where they went.
# EscapeTap names the destinations: every address of the namespace is routed to ``lo`` as a
# local one (``ip route add local 0.0.0.0/0 dev lo``, and ``::/0``), so a connection to any host
# is refused on loopback at once (a RST answering its SYN) and a datagram is answered by an ICMP
# port-unreachable that quotes it; packet sockets on ``lo``, filtered in the kernel to RSTs and
# ICMP errors, read those answers. Nothing leaves either way: the namespace has no other
# interface. Packets on ``lo`` are tapped while the sender is still in its system call, so what
# a hook tried is readable as soon as the hook has returned.

_RTM_NEWROUTE = 24
_NLM_F_REQUEST, _NLM_F_ACK, _NLM_F_EXCL, _NLM_F_CREATE = 0x1, 0x4, 0x200, 0x400
_RT_TABLE_LOCAL, _RTPROT_STATIC, _RT_SCOPE_HOST, _RTN_LOCAL = 255, 4, 254, 2
_RTA_OIF = 4
_SO_ATTACH_FILTER = 26
_ETH_P_IP, _ETH_P_IPV6 = 0x0800, 0x86DD

# Classic BPF for a SOCK_DGRAM packet socket (data starts at the IP header): keep TCP segments
# with RST set and ICMP; drop the rest (the served fakes' own loopback traffic).
_FILTER_V4 = (
    (0x30, 0, 0, 9),  # ldb [9]               protocol
    (0x15, 4, 0, 1),  # jeq #1 (ICMP)         -> keep
    (0x15, 0, 4, 6),  # jeq #6 (TCP)          else drop
    (0xB1, 0, 0, 0),  # ldxb 4*([0]&0xf)      header length
    (0x50, 0, 0, 13),  # ldb [x+13]           TCP flags
    (0x45, 0, 1, 0x04),  # jset #RST          else drop
    (0x06, 0, 0, 0xFFFF),  # keep
    (0x06, 0, 0, 0),  # drop
)
_FILTER_V6 = (
    (0x30, 0, 0, 6),  # ldb [6]               next header (no extension headers on lo)
    (0x15, 3, 0, 58),  # jeq #58 (ICMPv6)     -> keep
    (0x15, 0, 3, 6),  # jeq #6 (TCP)          else drop
    (0x30, 0, 0, 53),  # ldb [40+13]          TCP flags
    (0x45, 0, 1, 0x04),  # jset #RST          else drop
    (0x06, 0, 0, 0xFFFF),  # keep
    (0x06, 0, 0, 0),  # drop
)


def route_everything_to_loopback() -> None:
    """Make every address of the namespace a local one on ``lo`` (rtnetlink, no ``ip`` binary
    needed); raises :class:`OSError` where the kernel refuses."""
    index = socket.if_nametoindex("lo")
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as nl:
        for seq, family in enumerate((socket.AF_INET, socket.AF_INET6), start=1):
            rtmsg = struct.pack(
                "BBBBBBBBI", family, 0, 0, 0, _RT_TABLE_LOCAL, _RTPROT_STATIC, _RT_SCOPE_HOST,
                _RTN_LOCAL, 0,
            )  # fmt: skip
            attr = struct.pack("HHi", 8, _RTA_OIF, index)
            flags = _NLM_F_REQUEST | _NLM_F_ACK | _NLM_F_CREATE | _NLM_F_EXCL
            body = rtmsg + attr
            nl.send(struct.pack("IHHII", 16 + len(body), _RTM_NEWROUTE, flags, seq, 0) + body)
            reply = nl.recv(4096)
            (error,) = struct.unpack_from("i", reply, 16)
            if error not in (0, -17):  # 0 ok, -EEXIST: already there
                raise OSError(-error, f"{os.strerror(-error)} (a local route for family {family})")


def _attach_filter(sock: socket.socket, program: tuple[tuple[int, int, int, int], ...]) -> None:
    code = b"".join(struct.pack("HBBI", *ins) for ins in program)
    buffer = ctypes.create_string_buffer(code)
    fprog = struct.pack("@HP", len(program), ctypes.addressof(buffer))
    sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, fprog)  # the kernel copies it


def _address(family: int, raw: bytes) -> str:
    text = socket.inet_ntop(family, raw)
    return f"[{text}]" if family == socket.AF_INET6 else text


def _dns_name(payload: bytes) -> str | None:
    """The first question's name of a DNS query, when ``payload`` holds enough of it."""
    labels: list[str] = []
    at = 12
    while at < len(payload):
        length = payload[at]
        if length == 0:
            return ".".join(labels) or None
        if length > 63 or at + 1 + length > len(payload):
            return None
        labels.append(payload[at + 1 : at + 1 + length].decode("ascii", "replace"))
        at += 1 + length
    return None


def _quoted_datagram(family: int, quoted: bytes) -> str | None:
    """What an ICMP error quotes: the datagram that got no answer, as ``host:port (...)``."""
    if family == socket.AF_INET:
        if len(quoted) < 20:
            return None
        header = (quoted[0] & 0x0F) * 4
        protocol, dst = quoted[9], quoted[16:20]
    else:
        if len(quoted) < 40:
            return None
        header, protocol, dst = 40, quoted[6], quoted[24:40]
    if protocol != 17 or len(quoted) < header + 8:
        return None
    (port,) = struct.unpack_from("!H", quoted, header + 2)
    where = f"{_address(family, dst)}:{port}"
    name = _dns_name(quoted[header + 8 :]) if port == 53 else None
    return f"{where} (a DNS query for {name})" if name else where


def _refused_from(family: int, packet: bytes) -> tuple[str, str] | None:
    """``("refused connection(s)", "host:port")`` for a RST answering a SYN, or
    ``("datagram(s) to a closed port", ...)`` for a port-unreachable; else None."""
    if family == socket.AF_INET:
        if len(packet) < 20:
            return None
        header = (packet[0] & 0x0F) * 4
        protocol, src = packet[9], packet[12:16]
        icmp_unreachable = protocol == 1 and packet[header : header + 2] == b"\x03\x03"
    else:
        if len(packet) < 40:
            return None
        header, protocol, src = 40, packet[6], packet[8:24]
        icmp_unreachable = protocol == 58 and packet[header : header + 2] == b"\x01\x04"
    if icmp_unreachable:
        where = _quoted_datagram(family, packet[header + 8 :])
        return ("datagram(s) to a closed port", where) if where else None
    if protocol != 6 or len(packet) < header + 14:
        return None
    port, _, seq = struct.unpack_from("!HHI", packet, header)
    flags = packet[header + 13]
    # The kernel's answer to a SYN on a closed port is RST|ACK with sequence number 0; the RST
    # that aborts an open connection carries that connection's sequence number instead.
    if flags & 0x14 == 0x14 and seq == 0:
        return ("refused connection(s)", f"{_address(family, src)}:{port}")
    return None


class EscapeTap:
    """Reads, on demand, where the attempts the namespace stopped were going (see above)."""

    def __init__(self) -> None:
        self._sockets: list[tuple[int, socket.socket]] = []
        try:
            for family, proto, program in (
                (socket.AF_INET, _ETH_P_IP, _FILTER_V4),
                (socket.AF_INET6, _ETH_P_IPV6, _FILTER_V6),
            ):
                sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(proto))
                self._sockets.append((family, sock))
                _attach_filter(sock, program)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
                sock.bind(("lo", 0))
                sock.setblocking(False)
        except OSError:
            self.close()
            raise

    def read(self) -> list[tuple[str, str]]:
        """The attempts answered since the last read: ``(what, destination)`` in order."""
        found: list[tuple[str, str]] = []
        for family, sock in self._sockets:
            while True:
                try:
                    packet = sock.recv(1500)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break
                attempt = _refused_from(family, packet)
                if attempt is not None:
                    found.append(attempt)
        return found

    def close(self) -> None:
        for _, sock in self._sockets:
            sock.close()
        self._sockets.clear()


def open_escape_tap() -> EscapeTap | None:
    """In the worker's namespace: route every address to ``lo`` and tap it; None where the
    kernel allows neither (the counters still count)."""
    try:
        route_everything_to_loopback()
        return EscapeTap()
    except OSError:
        return None


def describe_attempts(attempts: list[tuple[str, str]], limit: int = 5) -> str | None:
    """``"2 refused connection(s): 93.184.216.34:443, 127.0.0.1:8080"`` (grouped, in order)."""
    groups: dict[str, list[str]] = {}
    for what, where in attempts:
        groups.setdefault(what, []).append(where)
    parts = []
    for what, places in groups.items():
        distinct = list(dict.fromkeys(places))
        shown = ", ".join(distinct[:limit])
        if len(distinct) > limit:
            shown += f" and {len(distinct) - limit} more"
        parts.append(f"{len(places)} {what}: {shown}")
    return "; ".join(parts) or None
