"""The served mode: one :class:`~fake_shopify.FakeShopify` on a loopback port, over real TLS.

For HTTP stacks the in-process transports cannot reach (``requests``, ``urllib3``,
``urllib.request``, ``http.client``, ``aiohttp``, code in other languages), the same fake is
served by the standard library's ``ThreadingHTTPServer`` (HTTP/1.1 keep-alive,
``TCP_NODELAY``: without it every exchange stalls about 40 ms on delayed acknowledgements).
The certificate covers ``*.myshopify.com`` and ``myshopify.com`` and is signed by a test
certificate authority that ``trustme`` makes at start-up; its PEM is ``ca_cert_path``. The shop
is read from the ``Host`` header (the client connects to the loopback port with the shop's name
as SNI and ``Host``).

Every request goes through the one :meth:`FakeShopify.handle` the in-process transports call, so
it gets the same answer, journal entry and faults either way. A fault that is a transport event
in-process becomes the socket event it names:

* ``TransportError``: the connection is reset (``SO_LINGER`` 0) before the fake sees anything;
* ``LostResponse``: the request is applied, then the connection is closed without an answer;
* ``Latency``: the fake's clock moves forward as in-process, and the answer is held back
  ``seconds * latency_scale`` of real time (``latency_scale=0`` keeps runs fast);
* ``Raise`` (the harness's crash injection): the connection is reset, and the exception is kept
  in :attr:`ServedShopify.errors` (it cannot cross a socket).

A request for a host that is not ``*.myshopify.com`` gets ``421 Misdirected Request``. An
exception escaping the fake is a ``500`` naming it, and is kept in :attr:`ServedShopify.errors`.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import datetime as _dt
import email.parser
import http.client
import re
import shutil
import socket
import ssl
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Protocol

import httpx
import trustme

from fake_shopify.errors import UnservedRequestError
from fake_shopify.faults import Latency, LostResponse, Raise, TransportError, fault_of
from fake_shopify.loopback import LoopbackHTTPServer, LoopbackService, is_loopback_host


class Handles(Protocol):
    """What is served: a :class:`~fake_shopify.FakeShopify`, or anything with its ``handle``."""

    def handle(self, request: httpx.Request) -> httpx.Response: ...


__all__ = ["ClientTLS", "Handles", "ServedShopify", "TestCA", "shared_ca"]

_HOP_BY_HOP = frozenset({b"content-length", b"transfer-encoding", b"connection", b"keep-alive"})
_LINGER_RESET = struct.pack("ii", 1, 0)


@contextlib.contextmanager
def _real_datetime() -> Iterator[None]:
    """Certificates are made with the real ``datetime.datetime`` in place.

    ``cryptography`` looks ``datetime.datetime`` up once, on first use, and keeps what it found:
    if that first use comes while freezegun has replaced the class (a test's frozen clock, the
    harness's virtual time), every later certificate fails with "'datetime' object is not an
    instance of 'FakeDatetime'", in this process, for good. freezegun's stand-in subclasses the
    real class, so with the real one found first, certificates work frozen or not.
    """
    current = _dt.datetime
    real: type[_dt.datetime] = next(
        c for c in current.__mro__ if c.__module__ == "datetime" and c.__name__ == "datetime"
    )
    if real is current:
        yield
        return
    _dt.datetime = real  # type: ignore[misc]
    try:
        yield
    finally:
        _dt.datetime = current  # type: ignore[misc]


class TestCA:
    """A certificate authority made at run time, and a server certificate it signed.

    ``ca_pem`` is what a client trusts; ``server_context()`` serves ``hostnames``.
    """

    __test__ = False  # not a pytest test class despite the name

    def __init__(self, hostnames: tuple[str, ...] = ("*.myshopify.com", "myshopify.com")) -> None:
        self.hostnames = hostnames
        with _real_datetime():
            self._ca = trustme.CA(organization_name="lifecycle-harness test CA")
            self._cert = self._ca.issue_cert(*hostnames)
        self.ca_pem: bytes = self._ca.cert_pem.bytes()
        self._dir = Path(tempfile.mkdtemp(prefix="lifecycle-harness-ca-"))
        self.ca_cert_path = self._dir / "ca.pem"
        self.ca_cert_path.write_bytes(self.ca_pem)
        self._lock = threading.Lock()
        self._server_context: ssl.SSLContext | None = None
        self._clients: dict[tuple[bool, int], ClientTLS] = {}

    def issue(self, *hostnames: str) -> trustme.LeafCert:
        """Another certificate signed by this CA (tests of trust scoping)."""
        with _real_datetime():
            return self._ca.issue_cert(*hostnames)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._cert.configure_cert(context)
        # One TLS 1.3 session ticket per handshake, not OpenSSL's two: a client resumes with
        # one (Python keeps a connection's last session only), and every handshake, resumed
        # ones too, pays to issue each ticket (2-3% of a resumed handshake's CPU here).
        context.num_tickets = 1
        return context

    def shared_server_context(self) -> ssl.SSLContext:
        """One server context for every server of this CA, made on first use.

        Loading the certificate chain costs milliseconds, and the session ticket keys belong
        to the context: a TLS session one of this CA's servers issued resumes on another.
        """
        with self._lock:
            if self._server_context is None:
                self._server_context = self.server_context()
            return self._server_context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this CA only."""
        context = ssl.create_default_context(cadata=self.ca_pem.decode("ascii"))
        return context

    def client_tls(
        self, check_hostname: bool = True, verify_mode: int = ssl.CERT_REQUIRED
    ) -> ClientTLS:
        """The one :class:`ClientTLS` of this CA with these verification settings."""
        key = (check_hostname, int(verify_mode))
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                context = self.client_context()
                context.check_hostname = check_hostname
                context.verify_mode = ssl.VerifyMode(verify_mode)
                client = self._clients[key] = ClientTLS(context)
            return client

    def cleanup(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


class ClientTLS:
    """A client context trusting a :class:`TestCA`, and the last TLS session per server name.

    A new connection offers its host's last session (``session_for``), so it resumes it
    instead of a full handshake (TLS 1.3 session tickets, sent by the server after the
    handshake: ``keep`` takes the session once the connection has read some data). Sessions
    belong to ``context``: Python refuses one from another context.
    """

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        self._sessions: dict[str, ssl.SSLSession] = {}

    def session_for(self, hostname: str) -> ssl.SSLSession | None:
        return self._sessions.get(hostname)

    def keep(self, hostname: str, session: ssl.SSLSession | None) -> bool:
        """Keep ``session`` for ``hostname`` if it can resume (has a ticket); whether it did."""
        if session is None or not session.has_ticket:
            return False
        if len(self._sessions) >= 1024 and hostname not in self._sessions:
            self._sessions.clear()  # bounded: one entry per shop name seen
        self._sessions[hostname] = session
        return True


_shared: TestCA | None = None
_shared_lock = threading.Lock()


def shared_ca() -> TestCA:
    """One test CA for the process, made on first use and removed at exit.

    The in-process modes (``intercept()``, the harness's runs) share it: making a CA costs a few
    milliseconds, and signing cannot happen while freezegun freezes time (``cryptography``
    refuses its fake datetimes), so callers make it before time is frozen.
    """
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = TestCA()
            atexit.register(_shared.cleanup)
        return _shared


# -- reading a request's head: the standard library's rules, without its email parser --------

# A request line every client sends for an origin-form target over HTTP/1.1: for it the standard
# library's parse_request would find exactly these three words, the version 1.1 (keep-alive) and
# the path as is. Anything else goes through parse_request itself.
_PLAIN_REQUEST_LINE = re.compile(rb"([A-Z]+) (/(?!/)[!-~]*) HTTP/1\.1\r?\n\Z")
# A header line the email parser would read as exactly (name, value): a token, a colon, optional
# blanks, then printable ASCII or tabs. Anything else (folded lines, other bytes, bare CRs) is
# handed to the email parser, as http.client.parse_headers does.
_PLAIN_HEADER_LINE = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([\t -~]*?)\r?\n\Z")
_MAX_LINE = 65536  # http.client's limits for a header line and the number of header lines
_MAX_HEADERS = 100


class _PlainHeaders:
    """A request's header fields in order, as ``http.client.HTTPMessage`` reads them: ``get``
    (case-insensitive, the first field of that name) and ``items``; ``raw`` is the bytes."""

    __slots__ = ("_fields", "raw")

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self.raw = raw
        self._fields = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]

    def get(self, name: str, default: str | None = None) -> str | None:
        wanted = name.lower()
        for field, value in self._fields:
            if field.lower() == wanted:
                return value
        return default

    def items(self) -> list[tuple[str, str]]:
        return list(self._fields)


def _read_header_lines(rfile: Any) -> list[bytes]:
    """The header block's lines up to and including the blank one, with http.client's limits
    and exceptions (``LineTooLong``, more than 100 headers)."""
    lines: list[bytes] = []
    while True:
        line = rfile.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise http.client.LineTooLong("header line")
        lines.append(line)
        if len(lines) > _MAX_HEADERS:
            raise http.client.HTTPException(f"got more than {_MAX_HEADERS} headers")
        if line in (b"\r\n", b"\n", b""):
            return lines


def _parse_header_lines(lines: list[bytes]) -> _PlainHeaders | http.client.HTTPMessage:
    """The fields of ``lines`` as ``http.client.parse_headers`` reads them: directly when every
    line is a plain ``name: value``, otherwise by the same email parser."""
    if lines[-1] not in (b"\r\n", b"\n"):  # the block ended at EOF: leave it to the parser
        return _email_parsed(lines)
    raw: list[tuple[bytes, bytes]] = []
    match = _PLAIN_HEADER_LINE.match
    for line in lines[:-1]:
        plain = match(line)
        if plain is None:
            return _email_parsed(lines)
        raw.append((plain[1], plain[2]))
    return _PlainHeaders(raw)


def _email_parsed(lines: list[bytes]) -> http.client.HTTPMessage:
    """What ``http.client.parse_headers`` makes of these lines."""
    text = b"".join(lines).decode("iso-8859-1")
    message = email.parser.Parser(_class=http.client.HTTPMessage).parsestr(text)
    assert isinstance(message, http.client.HTTPMessage)  # the parser's _class
    return message


class _Abort(Exception):
    """Leave this connection at once: ``reset`` sends an RST, otherwise a plain close."""

    def __init__(self, reset: bool) -> None:
        super().__init__("reset" if reset else "close")
        self.reset = reset


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # status+headers and body may be two writes: no 40 ms stall
    timeout = 120  # an idle keep-alive connection is dropped after this long
    served: ServedShopify  # set on the per-server subclass
    raw_requestline: bytes
    headers: _PlainHeaders | http.client.HTTPMessage  # type: ignore[assignment]

    def log_message(self, format: str, *args: Any) -> None:
        return None  # quiet: the fake's journal is the record

    def parse_request(self) -> bool:
        """``BaseHTTPRequestHandler.parse_request``, with the same answers to every request,
        minus the email parser for the usual one.

        A plain request line (``METHOD /target HTTP/1.1``) is taken as the standard library would
        take it, and plain header lines are read directly (``_parse_header_lines``); any other
        request line goes to the standard library's ``parse_request`` whole, so a malformed
        request gets its answers (400, 414, 431, 505) and its connection handling.
        """
        plain = _PLAIN_REQUEST_LINE.match(self.raw_requestline)
        if plain is None:
            return super().parse_request()
        self.command = plain[1].decode("ascii")
        self.path = plain[2].decode("ascii")
        self.request_version = "HTTP/1.1"
        self.requestline = self.raw_requestline.decode("ascii").rstrip("\r\n")
        self.close_connection = False  # HTTP/1.1 on both sides
        try:
            self.headers = _parse_header_lines(_read_header_lines(self.rfile))
        except http.client.LineTooLong as err:  # send_error closes the connection
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long", str(err))
            return False
        except http.client.HTTPException as err:
            self.send_error(
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers", str(err)
            )
            return False
        conntype = (self.headers.get("Connection") or "").lower()
        if conntype == "close":
            self.close_connection = True
        elif conntype == "keep-alive":
            self.close_connection = False
        if (self.headers.get("Expect") or "").lower() == "100-continue":
            return self.handle_expect_100()
        return True

    def _body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is not None:
            n = int(length)
            return self.rfile.read(n) if n > 0 else b""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline(65537).split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        return b""

    def _dispatch(self) -> None:
        served = self.served
        content = self._body()
        host_header = self.headers.get("Host") or ""
        host = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
        if not host.endswith(".myshopify.com"):
            message = (
                f"fake_shopify served mode: no fake serves host {host_header!r}; this server "
                "answers *.myshopify.com (send the shop's name as SNI and Host)"
            )
            self._write(421, [(b"Content-Type", b"text/plain; charset=utf-8")], message.encode())
            return
        headers = self.headers
        if isinstance(headers, _PlainHeaders):
            raw_headers = [(k, v) for k, v in headers.raw if k.lower() != b"transfer-encoding"]
        else:
            raw_headers = [
                (name.encode("latin-1"), value.encode("latin-1"))
                for name, value in headers.items()
                if name.lower() != "transfer-encoding"
            ]
        request = httpx.Request(
            self.command, served._url(host, self.path), headers=raw_headers, content=content
        )
        origin = served.origin(self.client_address) if served.origin is not None else None
        try:
            if origin is None:
                response = served.fake.handle(request)
            else:
                # An in-process sender: serve in (a copy of) its context, as in-process.
                response = origin.copy().run(served.fake.handle, request)
        except UnservedRequestError as exc:  # pragma: no cover - the host was checked above
            self._write(421, [(b"Content-Type", b"text/plain")], str(exc).encode())
            return
        except BaseException as exc:
            effect = fault_of(exc)
            if isinstance(effect, TransportError):
                raise _Abort(reset=True) from exc
            if isinstance(effect, LostResponse | Latency):
                # LostResponse, or a latency beyond the read timeout the request named: the
                # request was applied and the client never gets the answer.
                raise _Abort(reset=False) from exc
            if not isinstance(exc, Exception) or isinstance(effect, Raise):
                if origin is not None:
                    # The sender is in this process: its next read raises the exception.
                    served.crashes[self.client_address[1]] = exc
                else:
                    served.errors.append(exc)
                raise _Abort(reset=True) from exc
            served.errors.append(exc)
            message = f"fake_shopify served mode: the fake raised {type(exc).__name__}: {exc}"
            self._write(500, [(b"Content-Type", b"text/plain; charset=utf-8")], message.encode())
            return
        effect = fault_of(response)
        if isinstance(effect, Latency) and served.latency_scale > 0:
            time.sleep(effect.seconds * served.latency_scale)
        self._write(
            response.status_code,
            [(k, v) for k, v in response.headers.raw if k.lower() not in _HOP_BY_HOP],
            response.content,
        )

    def _write(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        reason = httpx.codes.get_reason_phrase(status) or "Unknown"
        lines = [f"HTTP/1.1 {status} {reason}\r\n".encode("latin-1")]
        lines.extend(name + b": " + value + b"\r\n" for name, value in headers)
        lines.append(b"Content-Length: " + str(len(body)).encode() + b"\r\n")
        if self.close_connection:
            lines.append(b"Connection: close\r\n")
        lines.append(b"\r\n")
        if self.command != "HEAD":
            lines.append(body)
        self.wfile.write(b"".join(lines))  # one write: one TLS record, one segment

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except _Abort as abort:
            self.close_connection = True
            sock = self.connection
            try:
                if abort.reset:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
                sock.close()  # no TLS close_notify: the peer sees a reset or a bare EOF
            except OSError:  # pragma: no cover - already gone
                pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch


class _TLSServer(LoopbackHTTPServer):
    """The stdlib threading server; the TLS handshake runs in the connection's own thread."""

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        context: ssl.SSLContext,
    ) -> None:
        super().__init__(address, handler)
        self.tls = context
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            tls = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        # wrap_socket takes the file descriptor over: the TLS socket is the one to track.
        with self.connections_lock:
            self.connections.add(tls)
        try:
            super().finish_request(tls, client_address)
        finally:
            with self.connections_lock:
                self.connections.discard(tls)
            tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # a client that went away mid-exchange is not the server's error

    def close_connections(self) -> None:
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class ServedShopify(LoopbackService):
    """``fake`` served on ``host:port`` (``port=0``: a free port) over TLS with a test CA.

    Use as a context manager, or ``start()`` / ``close()``. ``address`` and ``port`` are the
    bound address; ``ca_cert_path`` / ``ca_pem`` the CA a client trusts for these connections.
    """

    _what = "ServedShopify"

    def __init__(
        self,
        fake: Handles,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_scale: float = 1.0,
        ca: TestCA | None = None,
    ) -> None:
        if latency_scale < 0:
            raise ValueError(f"latency_scale must be >= 0, got {latency_scale}")
        if not is_loopback_host(host):
            raise ValueError(
                f"ServedShopify serves on loopback only (127.0.0.1, ::1, localhost); got {host!r}"
            )
        self.fake = fake
        self.host = host
        self.latency_scale = latency_scale
        self.errors: list[BaseException] = []
        # Set by a NetworkGuard for in-process senders: the contextvars context of the code
        # that sent the request from ``client_address``; a Raise fault's exception for such a
        # sender waits in ``crashes`` (by its local port) for the sender's next read.
        self.origin: Callable[[Any], contextvars.Context | None] | None = None
        self.crashes: dict[int, BaseException] = {}
        self._requested_port = port
        self._own_ca = ca is None
        self.ca = ca if ca is not None else TestCA()
        self._urls: dict[tuple[str, str], httpx.URL] = {}

    # -- lifecycle -----------------------------------------------------------------------------

    def _make_server(self) -> _TLSServer:
        handler = type("_BoundHandler", (_Handler,), {"served": self})
        return _TLSServer(
            (self.host, self._requested_port), handler, self.ca.shared_server_context()
        )

    def _thread_name(self) -> str:
        return f"fake-shopify-served:{self.port}"

    def close(self) -> None:
        super().close()
        if self._own_ca:
            self.ca.cleanup()

    def _url(self, host: str, target: str) -> httpx.URL:
        # Parsing a URL is a third of the server's own cost per request: memoised, bounded.
        key = (host, target)
        url = self._urls.get(key)
        if url is None:
            url = httpx.URL(f"https://{host}{target}")
            if len(self._urls) < 1024:
                self._urls[key] = url
        return url

    # -- where it is ---------------------------------------------------------------------------

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def ca_cert_path(self) -> Path:
        return self.ca.ca_cert_path

    @property
    def ca_pem(self) -> bytes:
        return self.ca.ca_pem

    def client_context(self) -> ssl.SSLContext:
        """An ``ssl.SSLContext`` that trusts the test CA (and nothing else)."""
        return self.ca.client_context()

    def base_url(self, shop: str) -> str:
        """``https://{shop}.myshopify.com``: the URL clients use (connected to this port)."""
        return f"https://{shop}.myshopify.com"

    def __repr__(self) -> str:
        where = f"{self.host}:{self.port}" if self._server is not None else "not started"
        return f"<ServedShopify {where} {self.fake!r}>"
