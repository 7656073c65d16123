"""Socket-level redirection and the network guard: nothing escapes, whatever the HTTP stack.

httpx is served in-process (respx, ``MockTransport``). Every other Python HTTP stack
(``requests``, ``urllib3``, ``urllib.request``, ``http.client``, ``aiohttp``, ``ShopifyAPI``)
ends in the ``socket`` and ``ssl`` modules, so that is where a :class:`NetworkGuard` acts while
it is active:

* ``socket.getaddrinfo`` (and ``gethostbyname``/``gethostbyname_ex``) of ``*.myshopify.com``
  answers with the loopback address of the served fake (``ServedShopify``, started on first
  use), so the client connects there; no DNS lookup is made;
* ``ssl.SSLContext.wrap_socket``/``wrap_bio`` for a shop's name on a connection to the served
  fake use a context that trusts the run-time test CA and nothing else (the caller's own
  verification settings kept); every other TLS connection keeps the caller's context, so the
  test CA is trusted for those connections only. That context is the test CA's, shared by every
  guard: a new connection offers the last TLS session of its host name and resumes it (a TLS
  1.3 ticket), as a client that keeps its sessions would;
* a connection or lookup of any other host that is not loopback fails at once with
  :class:`NetworkBlockedError`, naming the host, the port and the calling stack; nothing is
  sent. Each one is kept in :attr:`NetworkGuard.blocked`, so a test whose code swallowed the
  error still fails when the guard exits (:meth:`NetworkGuard.check`).

While a guard is active the process environment's ``no_proxy`` also lists ``myshopify.com``
(the developer's list kept, restored on exit): a proxy variable cannot send a shop's request to
the proxy instead of the fake (it would be refused), and ``requests``, which reads the
environment's proxies on every request, stops there for shop hosts.

Loopback (``127.0.0.0/8``, ``::1``, ``localhost``) and Unix-domain sockets are left alone: a
test's own local servers keep working. A test's own respx routes are not sockets at all.

Guards nest (a fixture inside a simulator run): the innermost guard with a fake serves the
shops, and every active guard hears of each blocked connection. Not covered: C extensions that
open sockets without the ``socket`` module, and child processes.
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import os
import socket
import ssl
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fake_shopify.served import ClientTLS, ServedShopify

__all__ = [
    "BlockedConnection",
    "NetworkBlockedError",
    "NetworkEscapeError",
    "NetworkGuard",
    "awaiting_served_response",
    "current_guard",
    "is_loopback",
    "is_shop_host",
]

_HTTPS_PORTS = frozenset({443, "443", "https", b"443", b"https", None})
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_shop_host(host: object) -> bool:
    """Whether ``host`` is a name the Shopify fake answers for (``*.myshopify.com``)."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.lower().rstrip(".")
    return name.endswith(".myshopify.com") or name == "myshopify.com"


def is_loopback(host: object) -> bool:
    """Whether ``host`` names this machine's loopback interface (never the network)."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.lower().rstrip(".").strip("[]")
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class NetworkBlockedError(ConnectionRefusedError):
    """A connection to a host no fake serves and that is not loopback; nothing was sent.

    A ``ConnectionRefusedError``, so HTTP libraries handle it like a refused connection
    (``urllib`` wraps it in ``URLError``, ``requests`` in ``ConnectionError``).
    """


class NetworkEscapeError(AssertionError):
    """Raised when a guard exits after blocking connections that the code under test swallowed:
    the test fails even if the integration caught the refusal."""


@dataclass(frozen=True)
class BlockedConnection:
    """One refused connection or lookup: where it went and who asked."""

    host: str
    port: int | None
    via: str  # "getaddrinfo" | "gethostbyname" | "connect" | "connect_ex"
    url: str | None  # the request's URL when a frame of the caller holds it
    method: str | None
    stack: str  # the calling stack, most recent call last

    def describe(self) -> str:
        where = f"{self.host}:{self.port}" if self.port is not None else self.host
        request = f" ({self.method} {self.url})" if self.url else ""
        return f"{where}{request} via socket.{self.via}"


# -- the patch, installed while any guard is active -------------------------------------------

_real_getaddrinfo = socket.getaddrinfo
_real_gethostbyname = socket.gethostbyname
_real_gethostbyname_ex = socket.gethostbyname_ex
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_wrap_socket = ssl.SSLContext.wrap_socket
_real_wrap_bio = ssl.SSLContext.wrap_bio
_real_sendall = ssl.SSLSocket.sendall
_real_recv_into = ssl.SSLSocket.recv_into
_ORIGIN_ATTR = "_fake_shopify_origin_port"
_SERVED_ATTR = "_fake_shopify_served"
_RESUME_ATTR = "_fake_shopify_resume"  # (ClientTLS, host name) until its session is kept
_real_bio_write = ssl.SSLObject.write
_real_bio_read = ssl.SSLObject.read
_real_bio_handshake = ssl.SSLObject.do_handshake
_real_load_verify_locations = ssl.SSLContext.load_verify_locations
_real_set_default_verify_paths = ssl.SSLContext.set_default_verify_paths
_DEFERRED_ATTR = "_fake_shopify_deferred_verify_locations"
_deferred_contexts: weakref.WeakSet[ssl.SSLContext] = weakref.WeakSet()

_lock = threading.RLock()
_active: list[NetworkGuard] = []

# -- the environment: shops bypass environment proxies while a guard is active ----------------

SHOP_NO_PROXY = "myshopify.com"
"""The entry a guard adds to ``no_proxy``: every ``*.myshopify.com`` host bypasses proxies."""
_saved_no_proxy: list[tuple[str | None, str]] = []  # (value before, value set), while installed


def _no_proxy_with_shops(current: str | None, upper: str | None) -> str:
    """``no_proxy`` as a guard sets it: the list in force (``no_proxy``, else ``NO_PROXY``, as
    requests and urllib read them) with ``myshopify.com`` appended unless it is there."""
    base = current or upper or ""
    entries = [entry.strip().lstrip(".").lower() for entry in base.split(",")]
    if "*" in entries or SHOP_NO_PROXY in entries:
        return base
    return f"{base},{SHOP_NO_PROXY}" if base.strip() else SHOP_NO_PROXY


def _exempt_shops_from_proxies() -> None:
    """Shop connections go to the served fake, never through a proxy: while a guard is
    active, ``no_proxy`` lists ``myshopify.com`` (httpx, requests, urllib and aiohttp read it).
    A proxy variable in the developer's environment then cannot turn a shop request into a
    refused connection to the proxy, and requests, which reads the environment's proxies on
    every request, stops at ``no_proxy`` for shop hosts instead of scanning the whole
    environment four times per request."""
    current = os.environ.get("no_proxy")
    wanted = _no_proxy_with_shops(current, os.environ.get("NO_PROXY"))
    _saved_no_proxy.append((current, wanted))
    if current != wanted:
        os.environ["no_proxy"] = wanted


def _restore_proxy_environment() -> None:
    """Put ``no_proxy`` back as it was, unless the code under test set it meanwhile."""
    if not _saved_no_proxy:
        return
    before, wanted = _saved_no_proxy.pop()
    if os.environ.get("no_proxy") != wanted:
        return  # changed since: the newer value stays
    if before is None:
        os.environ.pop("no_proxy", None)
    else:
        os.environ["no_proxy"] = before


def _int_port(port: object) -> int | None:
    if isinstance(port, int):
        return port
    if isinstance(port, bytes | str) and str(port).isdigit():
        return int(port)
    if port in ("https", b"https"):
        return 443
    if port in ("http", b"http"):
        return 80
    return None


def _guards() -> list[NetworkGuard]:
    with _lock:
        return list(_active)


def current_guard() -> NetworkGuard | None:
    """The innermost active guard, if any."""
    with _lock:
        return _active[-1] if _active else None


def _server_guard() -> NetworkGuard | None:
    for guard in reversed(_guards()):
        if guard.serves_shops:
            return guard
    return None


def _caller_stack() -> tuple[str, str | None, str | None]:
    """(formatted stack without this module's frames, url, method of the request if known)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    stack = "".join(traceback.format_stack(frame, limit=25)) if frame is not None else ""
    url, method = _request_of(frame)
    return stack, url, method


def _request_of(start: FrameType | None) -> tuple[str | None, str | None]:
    """The URL and method of the request being made, read from the callers' frames: urllib's
    ``Request`` first, else the ``method``/``url`` arguments of an HTTP client."""
    frames: list[FrameType] = []
    frame = start
    while frame is not None and len(frames) < 40:
        frames.append(frame)
        frame = frame.f_back
    for frame in frames:
        req = frame.f_locals.get("req")
        full_url = getattr(req, "full_url", None)
        if isinstance(full_url, str):
            get_method = getattr(req, "get_method", None)
            return full_url, get_method() if callable(get_method) else None
    for frame in frames:
        names = frame.f_locals
        url, method = names.get("url"), names.get("method")
        if isinstance(method, str) and (isinstance(url, str | bytes) or hasattr(url, "host")):
            text = url.decode("latin-1") if isinstance(url, bytes) else str(url)
            conn = names.get("self")
            host = getattr(conn, "host", None)
            if text.startswith("/") and isinstance(host, str):
                scheme = "https" if hasattr(conn, "cert_file") else "http"
                port = getattr(conn, "port", None)
                default = 443 if scheme == "https" else 80
                text = f"{scheme}://{host}{f':{port}' if port and port != default else ''}{text}"
            return text, method if isinstance(method, str) else None
    return None, None


def _refuse(host: object, port: object, via: str) -> NetworkBlockedError:
    name = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
    stack, url, method = _caller_stack()
    blocked = BlockedConnection(
        host=name, port=_int_port(port), via=via, url=url, method=method, stack=stack
    )
    for guard in _guards():
        guard._blocked(blocked)
    where = f"{name}:{blocked.port}" if blocked.port is not None else name
    request = f" for {method} {url}" if url else ""
    return NetworkBlockedError(
        111,
        f"network guard: connection to {where}{request} refused and not sent: no fake serves "
        f"{name} and it is not loopback (socket.{via}). Serve it from a fake, a respx route or "
        f"a loopback server of your own.\nCalling stack (most recent call last):\n{stack}",
    )


def _served_address(host: object, port: object, via: str) -> tuple[str, int]:
    """Where a shop's connection goes: the served fake of the innermost guard that has one."""
    if _int_port(port) not in (443, None):
        raise _refuse(host, port, via) from None  # Shopify is HTTPS on 443 only
    guard = _server_guard()
    if guard is None:
        raise _refuse(host, port, via)
    return guard.served_address()


def _getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    if host is None or is_loopback(host):
        return _real_getaddrinfo(host, port, *args, **kwargs)
    if is_shop_host(host):
        served_host, served_port = _served_address(host, port, "getaddrinfo")
        family = args[0] if args else kwargs.get("family", 0)
        if family not in (0, socket.AF_UNSPEC):
            family = 0  # the fake listens on one family; a caller's family hint cannot apply
        rest = list(args[1:]) if args else []
        kw = {k: v for k, v in kwargs.items() if k != "family"}
        return _real_getaddrinfo(served_host, served_port, family, *rest, **kw)
    raise _refuse(host, port, "getaddrinfo")


def _gethostbyname(host: str) -> str:
    if is_loopback(host):
        return _real_gethostbyname(host)
    if is_shop_host(host):
        return _served_address(host, None, "gethostbyname")[0]
    raise _refuse(host, None, "gethostbyname")


def _gethostbyname_ex(host: str) -> tuple[str, list[str], list[str]]:
    if is_loopback(host):
        return _real_gethostbyname_ex(host)
    if is_shop_host(host):
        return host, [], [_served_address(host, None, "gethostbyname")[0]]
    raise _refuse(host, None, "gethostbyname")


def _target(sock: socket.socket, address: Any, via: str) -> Any:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return address  # Unix-domain and other local families
    if not isinstance(address, tuple) or not address:
        return address
    host, port = address[0], address[1] if len(address) > 1 else None
    if is_loopback(host):
        return address
    if is_shop_host(host):
        return _served_address(host, port, via)
    raise _refuse(host, port, via)


def _connect(self: socket.socket, address: Any) -> None:
    target = _target(self, address, "connect")
    try:
        _real_connect(self, target)
    except BlockingIOError:
        # A non-blocking connect (asyncio) to the served fake: in flight until TLS starts.
        if target is not address and isinstance(target, tuple):
            _connecting[id(self)] = _real_monotonic()
        raise
    finally:  # the local port is bound either way
        _note_origin(self, target)


def _connect_ex(self: socket.socket, address: Any) -> int:
    target = _target(self, address, "connect_ex")
    result = _real_connect_ex(self, target)
    _note_origin(self, target)
    return result


def _note_origin(sock: socket.socket, target: Any) -> None:
    """Remember the caller's context for a connection to the served fake (by local port)."""
    if not isinstance(target, tuple) or len(target) < 2 or not is_loopback(target[0]):
        return
    guard = _server_guard()
    if guard is None or guard._served is None or target[1] != guard._served.port:
        return
    try:
        port = sock.getsockname()[1]
    except OSError:  # pragma: no cover - the connect failed outright
        return
    guard._origins[port] = contextvars.copy_context()


def _sendall(self: ssl.SSLSocket, data: Any, flags: int = 0) -> None:
    port = getattr(self, _ORIGIN_ATTR, None)
    if port is not None:
        guard = _server_guard()
        if guard is not None:
            # Each request runs in the context of the code that sent it (keep-alive
            # connections outlive the call that opened them).
            guard._origins[port] = contextvars.copy_context()
    return _real_sendall(self, data, flags)


def _recv_into(self: ssl.SSLSocket, buffer: Any, nbytes: int | None = None, flags: int = 0) -> int:
    port = getattr(self, _ORIGIN_ATTR, None)
    try:
        received = _real_recv_into(self, buffer, nbytes, flags)
    except OSError:
        if port is not None:
            _deliver_crash(self, port)
        raise
    if received == 0 and port is not None:
        _deliver_crash(self, port)
    _keep_session(self)
    return received


def _keep_session(connection: ssl.SSLSocket | ssl.SSLObject) -> None:
    """Once a served connection has read data (its TLS 1.3 tickets arrived before it), keep its
    session for the next connection to the same host, unless it resumed the one kept already.

    Reading ``.session`` is not free: Python copies the session through its DER encoding (a
    workaround for an OpenSSL bug), about a millisecond with OpenSSL 3, as much as the
    resumption saves. The kept session's ticket resumes again and again until it expires (the
    server's tickets are stateless); then a connection makes a full handshake and its session
    is kept instead.
    """
    pending = connection.__dict__.get(_RESUME_ATTR)
    if pending is None:
        return
    if connection.session_reused or pending[0].keep(pending[1], connection.session):
        del connection.__dict__[_RESUME_ATTR]


def _offer_session(
    client: ClientTLS, hostname: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """Offer ``hostname``'s last session, unless the caller passed one (``session`` is the
    fifth argument of both ``wrap_socket`` and ``wrap_bio``)."""
    if len(args) < 5 and kwargs.get("session") is None:
        session = client.session_for(hostname)
        if session is not None:
            kwargs["session"] = session


def _deliver_crash(sock: ssl.SSLSocket, port: int) -> None:
    """Raise, in the caller's thread, an exception a ``Raise`` fault made for its request."""
    guard = _server_guard()
    if guard is not None and guard._served is not None:
        crash = guard._served.crashes.pop(port, None)
        if crash is not None:
            # The crash unwinds past the library's cleanup (its response object keeps the
            # socket's file open): release the descriptor now, the connection is dead anyway.
            with contextlib.suppress(OSError, AttributeError):
                sock._real_close()  # type: ignore[attr-defined]
            raise crash


def _shop_client(context: ssl.SSLContext, server_hostname: object) -> ClientTLS | None:
    if not is_shop_host(server_hostname):
        return None
    guard = _server_guard()
    if guard is None or guard._served is None:
        return None
    return guard._trusting(context)


def _load_verify_locations(
    self: ssl.SSLContext, cafile: Any = None, capath: Any = None, cadata: Any = None
) -> None:
    # Loading a CA bundle (certifi's, for requests and urllib3) costs 20-130 ms per context,
    # for every connection pool; shop connections never use it (they get the test CA's
    # context). So the load waits until the context is used for another TLS connection, or
    # the last guard exits.
    if server_side_context(self):
        return _real_load_verify_locations(self, cafile, capath, cadata)
    _defer(self, (cafile, capath, cadata))
    return None


def _set_default_verify_paths(self: ssl.SSLContext) -> None:
    # The system store: 100+ ms per context here (http.client and urllib make one per
    # connection). Deferred like load_verify_locations.
    if server_side_context(self):
        return _real_set_default_verify_paths(self)
    _defer(self, None)
    return None


def _defer(context: ssl.SSLContext, load: tuple[Any, Any, Any] | None) -> None:
    context.__dict__.setdefault(_DEFERRED_ATTR, []).append(load)
    _deferred_contexts.add(context)


def server_side_context(context: ssl.SSLContext) -> bool:
    return context.protocol == ssl.PROTOCOL_TLS_SERVER


def _flush_deferred(context: ssl.SSLContext) -> None:
    pending = context.__dict__.pop(_DEFERRED_ATTR, None)
    _deferred_contexts.discard(context)
    for load in pending or ():
        if load is None:
            _real_set_default_verify_paths(context)
        else:
            _real_load_verify_locations(context, *load)


def _wrap_socket(self: ssl.SSLContext, sock: socket.socket, *args: Any, **kwargs: Any) -> Any:
    hostname = kwargs.get("server_hostname", args[3] if len(args) > 3 else None)
    server_side = kwargs.get("server_side", args[0] if args else False)
    if not server_side and hostname is not None:
        client = _shop_client(self, hostname)
        if client is not None and _peer_is_served(sock):
            _offer_session(client, hostname, args, kwargs)
            wrapped = _real_wrap_socket(client.context, sock, *args, **kwargs)
            with contextlib.suppress(OSError, AttributeError):
                setattr(wrapped, _ORIGIN_ATTR, wrapped.getsockname()[1])
            wrapped.__dict__[_RESUME_ATTR] = (client, hostname)
            return wrapped
    _flush_deferred(self)
    return _real_wrap_socket(self, sock, *args, **kwargs)


def _wrap_bio(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> Any:
    # asyncio's TLS (aiohttp): no socket to check; the name was redirected by getaddrinfo.
    hostname = kwargs.get("server_hostname", args[3] if len(args) > 3 else None)
    server_side = kwargs.get("server_side", args[2] if len(args) > 2 else False)
    if not server_side and hostname is not None:
        client = _shop_client(self, hostname)
        if client is not None:
            _offer_session(client, hostname, args, kwargs)
            wrapped = _real_wrap_bio(client.context, *args, **kwargs)
            with contextlib.suppress(AttributeError):
                setattr(wrapped, _SERVED_ATTR, True)
                wrapped.__dict__[_RESUME_ATTR] = (client, hostname)
            _connecting.clear()  # the connect that led here is done (approximate, bounded)
            _awaiting[id(wrapped)] = _real_monotonic()  # the handshake is next
            return wrapped
    _flush_deferred(self)
    return _real_wrap_bio(self, *args, **kwargs)


# In-process asyncio clients of the served fake waiting for it: id(SSLObject) -> since (a
# handshake or a request without its answer yet), id(socket) -> since (a connect in flight).
_awaiting: dict[int, float] = {}
_connecting: dict[int, float] = {}
_AWAIT_LIMIT = 10.0  # real seconds after which a wait no longer counts (a dropped connection)
_real_monotonic = time.monotonic  # captured at import: freezegun replaces time.monotonic


def awaiting_served_response() -> bool:
    """Whether an in-process asyncio client has sent the served fake a request it has not had
    an answer to yet: a virtual event loop must then wait for real I/O, not jump its clock."""
    if not _awaiting and not _connecting:
        return False
    now = _real_monotonic()
    for pending in (_awaiting, _connecting):
        for key, since in list(pending.items()):
            if now - since > _AWAIT_LIMIT:
                pending.pop(key, None)
    return bool(_awaiting or _connecting)


def _bio_handshake(self: ssl.SSLObject) -> None:
    try:
        _real_bio_handshake(self)
    except ssl.SSLWantReadError:
        raise  # the server's part of the handshake is still to come
    except BaseException:
        _awaiting.pop(id(self), None)
        raise
    _awaiting.pop(id(self), None)


def _bio_write(self: ssl.SSLObject, data: Any) -> int:
    if getattr(self, _SERVED_ATTR, False):
        _awaiting[id(self)] = _real_monotonic()
    return _real_bio_write(self, data)


def _bio_read(self: ssl.SSLObject, len: int = 1024, buffer: Any = None) -> Any:
    try:
        got = _real_bio_read(self, len, buffer) if buffer is not None else _real_bio_read(self, len)
    except ssl.SSLWantReadError:
        raise  # nothing yet: still waiting
    except BaseException:
        _awaiting.pop(id(self), None)
        raise
    if getattr(self, _SERVED_ATTR, False):
        _awaiting.pop(id(self), None)  # an answer (or the end of the connection) arrived
        _keep_session(self)
    return got


def _peer_is_served(sock: socket.socket) -> bool:
    guard = _server_guard()
    if guard is None or guard._served is None:
        return False
    try:
        peer = sock.getpeername()
    except OSError:
        return False
    return isinstance(peer, tuple) and peer[1] == guard._served.port and is_loopback(peer[0])


def _install() -> None:
    socket.getaddrinfo = _getaddrinfo
    socket.gethostbyname = _gethostbyname
    socket.gethostbyname_ex = _gethostbyname_ex
    socket.socket.connect = _connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign,assignment]
    ssl.SSLContext.wrap_socket = _wrap_socket  # type: ignore[method-assign]
    ssl.SSLContext.wrap_bio = _wrap_bio  # type: ignore[method-assign]
    ssl.SSLSocket.sendall = _sendall  # type: ignore[method-assign]
    ssl.SSLSocket.recv_into = _recv_into  # type: ignore[method-assign]
    ssl.SSLObject.write = _bio_write  # type: ignore[method-assign]
    ssl.SSLObject.read = _bio_read  # type: ignore[method-assign]
    ssl.SSLObject.do_handshake = _bio_handshake  # type: ignore[method-assign]
    ssl.SSLContext.load_verify_locations = _load_verify_locations  # type: ignore[method-assign]
    ssl.SSLContext.set_default_verify_paths = _set_default_verify_paths  # type: ignore[method-assign]
    _exempt_shops_from_proxies()


def _uninstall() -> None:
    _restore_proxy_environment()
    socket.getaddrinfo = _real_getaddrinfo
    socket.gethostbyname = _real_gethostbyname
    socket.gethostbyname_ex = _real_gethostbyname_ex
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
    ssl.SSLContext.wrap_socket = _real_wrap_socket  # type: ignore[method-assign]
    ssl.SSLContext.wrap_bio = _real_wrap_bio  # type: ignore[method-assign]
    ssl.SSLSocket.sendall = _real_sendall  # type: ignore[method-assign]
    ssl.SSLSocket.recv_into = _real_recv_into  # type: ignore[method-assign]
    ssl.SSLObject.write = _real_bio_write  # type: ignore[method-assign]
    ssl.SSLObject.read = _real_bio_read  # type: ignore[method-assign]
    ssl.SSLObject.do_handshake = _real_bio_handshake  # type: ignore[method-assign]
    ssl.SSLContext.load_verify_locations = _real_load_verify_locations  # type: ignore[method-assign]
    ssl.SSLContext.set_default_verify_paths = _real_set_default_verify_paths  # type: ignore[method-assign]
    for context in list(_deferred_contexts):  # contexts that outlive the guard load for real
        _flush_deferred(context)
    _awaiting.clear()
    _connecting.clear()


class NetworkGuard:
    """While active: shops reach ``serve()``'s fake, loopback is left alone, the rest is refused.

    ``serve`` builds the served fake on first use (``None``: no fake; shop connections are then
    refused like any other host). ``on_blocked`` hears of each refused connection as it happens.
    ``check_on_exit`` (default) makes leaving the guard raise :class:`NetworkEscapeError` when
    connections were refused and the block itself is not already raising.
    """

    def __init__(
        self,
        serve: Callable[[], ServedShopify] | None = None,
        *,
        on_blocked: Callable[[BlockedConnection], None] | None = None,
        check_on_exit: bool = True,
    ) -> None:
        self._serve = serve
        self._served: ServedShopify | None = None
        self._on_blocked = on_blocked
        self.check_on_exit = check_on_exit
        self.blocked: list[BlockedConnection] = []
        self._served_lock = threading.Lock()
        # Local port of an in-process connection to the served fake -> the sender's context.
        self._origins: dict[int, contextvars.Context] = {}

    @property
    def serves_shops(self) -> bool:
        return self._serve is not None

    @property
    def served(self) -> ServedShopify | None:
        """The served fake, if a connection has started it."""
        return self._served

    def served_address(self) -> tuple[str, int]:
        with self._served_lock:
            if self._served is None:
                if self._serve is None:  # pragma: no cover - callers check serves_shops
                    raise RuntimeError("this guard serves no fake")
                served = self._serve()
                served.origin = self._origin
                self._served = served.start()
            return self._served.address

    def _origin(self, client_address: Any) -> contextvars.Context | None:
        if isinstance(client_address, tuple) and len(client_address) > 1:
            return self._origins.get(client_address[1])
        return None  # pragma: no cover - TCP peers are tuples

    def _trusting(self, context: ssl.SSLContext) -> ClientTLS:
        """A client context like ``context`` (verification on or off) that trusts only the
        served fake's test CA, with the sessions its earlier connections were given. It is
        the CA's, so it outlives the guard: a later guard's connections resume them too."""
        assert self._served is not None
        client = self._served.ca.client_tls(context.check_hostname, context.verify_mode)
        _flush_deferred(client.context)  # made while a guard defers CA loading: load it now
        return client

    def _blocked(self, blocked: BlockedConnection) -> None:
        self.blocked.append(blocked)
        if self._on_blocked is not None:
            self._on_blocked(blocked)

    def check(self) -> None:
        """Raise :class:`NetworkEscapeError` if any connection was refused."""
        if self.blocked:
            lines = "\n".join(f"  - {b.describe()}" for b in self.blocked)
            first = self.blocked[0]
            raise NetworkEscapeError(
                f"{len(self.blocked)} connection(s) to hosts no fake serves were refused "
                f"(nothing was sent):\n{lines}\nFirst one from:\n{first.stack}"
                "Serve such hosts from a fake, a respx route or a loopback server of your own."
            )

    def __enter__(self) -> NetworkGuard:
        with _lock:
            if not _active:
                _install()
            _active.append(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with _lock:
            if self in _active:
                _active.remove(self)
            if not _active:
                _uninstall()
        served, self._served = self._served, None
        if served is not None:
            served.close()
        if exc_type is None and self.check_on_exit:
            self.check()
