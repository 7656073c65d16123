"""Socket-level redirection and the network guard inside ``FakeShopify.intercept()``.

Every Python HTTP stack reaches the fake; nothing else leaves the process; a test's own respx
routes and loopback servers keep working; the test CA is trusted for shop connections only.
"""

from __future__ import annotations

import asyncio
import http.client
import http.server
import json
import os
import socket
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime

import aiohttp
import httpx
import pytest
import requests
import respx
import shopify
import urllib3

from fake_shopify import FakeShopify, LostResponse, ManualClock, Match, TransportError
from fake_shopify.network import (
    NetworkBlockedError,
    NetworkEscapeError,
    NetworkGuard,
    current_guard,
    is_loopback,
    is_shop_host,
)
from fake_shopify.served import ServedShopify, TestCA

V = "2024-10"  # a version ShopifyAPI 12 knows, served at the clock below
HOOKS = f"https://acme.myshopify.com/admin/api/{V}/webhooks.json"
HOOK = {"webhook": {"topic": "orders/create", "address": "https://bot.example/hook"}}


@pytest.fixture
def fake() -> FakeShopify:
    shopify_fake = FakeShopify(clock=ManualClock(datetime(2025, 3, 1, tzinfo=UTC)))
    shopify_fake.add_shop("acme")
    shopify_fake.add_app("bot")
    shopify_fake.install("acme", "bot", token="shpat_network_acme")
    return shopify_fake


TOKEN = {"X-Shopify-Access-Token": "shpat_network_acme"}


def _addresses(fake: FakeShopify) -> list[str]:
    return [w.address for w in fake.webhooks("acme")]


def test_http_client_reaches_the_fake(fake: FakeShopify) -> None:
    with fake.intercept():
        conn = http.client.HTTPSConnection("acme.myshopify.com")
        conn.request(
            "POST",
            f"/admin/api/{V}/webhooks.json",
            body=json.dumps(HOOK),
            headers={**TOKEN, "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        assert response.status == 201
        assert json.loads(response.read())["webhook"]["address"] == "https://bot.example/hook"
        conn.close()
    assert _addresses(fake) == ["https://bot.example/hook"]
    assert fake.journal[0].action == "create_webhook"


def test_urllib_request_reaches_the_fake(fake: FakeShopify) -> None:
    with fake.intercept():
        request = urllib.request.Request(
            HOOKS,
            data=json.dumps(HOOK).encode(),
            headers={**TOKEN, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            assert response.status == 201
        with urllib.request.urlopen(urllib.request.Request(HOOKS, headers=TOKEN)) as response:
            assert len(json.loads(response.read())["webhooks"]) == 1


def test_urllib3_and_requests_reach_the_fake(fake: FakeShopify) -> None:
    with fake.intercept():
        pool = urllib3.PoolManager()
        assert pool.request("POST", HOOKS, json=HOOK, headers=TOKEN).status == 201
        session = requests.Session()
        listed = session.get(HOOKS, headers=TOKEN)
        assert listed.status_code == 200
        assert [w["address"] for w in listed.json()["webhooks"]] == ["https://bot.example/hook"]
        hook_id = listed.json()["webhooks"][0]["id"]
        deleted = session.delete(HOOKS.replace(".json", f"/{hook_id}.json"), headers=TOKEN)
        assert deleted.status_code == 200
        session.close()
        pool.clear()
    assert _addresses(fake) == []
    assert [e.action for e in fake.journal] == ["create_webhook", "list_webhooks", "delete_webhook"]


def test_aiohttp_reaches_the_fake(fake: FakeShopify) -> None:
    async def main() -> int:
        async with (
            aiohttp.ClientSession() as session,
            session.post(HOOKS, json=HOOK, headers=TOKEN) as response,
        ):
            await response.read()
            return response.status

    with fake.intercept():
        assert asyncio.run(main()) == 201
    assert _addresses(fake) == ["https://bot.example/hook"]


def test_shopifyapi_webhook_find_create_destroy(fake: FakeShopify) -> None:
    session = shopify.Session("acme.myshopify.com", V, "shpat_network_acme")
    with fake.intercept():
        shopify.ShopifyResource.activate_session(session)
        try:
            assert shopify.Webhook.find() == []
            hook = shopify.Webhook.create(
                {"topic": "orders/create", "address": "https://bot.example/hook", "format": "json"}
            )
            assert hook.errors.full_messages() == []
            assert [w.address for w in shopify.Webhook.find()] == ["https://bot.example/hook"]
            hook.destroy()
            assert shopify.Webhook.find() == []
        finally:
            shopify.ShopifyResource.clear_session()
    assert [e.action for e in fake.journal] == [
        "list_webhooks",
        "create_webhook",
        "list_webhooks",
        "delete_webhook",
        "list_webhooks",
    ]


def test_transport_faults_reach_other_stacks_as_socket_events(fake: FakeShopify) -> None:
    fake.faults.arm(TransportError(), match=Match(action="create_webhook"))
    fake.faults.arm(LostResponse(), match=Match(action="create_webhook"))
    with fake.intercept():
        session = requests.Session()
        with pytest.raises(requests.ConnectionError):
            session.post(HOOKS, json=HOOK, headers=TOKEN)
        assert _addresses(fake) == []  # reset before the fake applied anything
        with pytest.raises(requests.ConnectionError):
            session.post(HOOKS, json=HOOK, headers=TOKEN)
        assert _addresses(fake) == ["https://bot.example/hook"]  # applied, answer lost
        session.close()


@pytest.mark.parametrize(
    "target",
    [("api.example.com", 443), ("203.0.113.7", 8443), ("2001:db8::1", 80)],
)
def test_other_hosts_are_refused_at_once_naming_host_port_and_stack(
    fake: FakeShopify, target: tuple[str, int]
) -> None:
    host, port = target
    with (
        pytest.raises(NetworkEscapeError, match=host) as escaped,
        fake.intercept(),
        pytest.raises(NetworkBlockedError) as refused,
    ):
        socket.create_connection((host, port), timeout=5)
    message = str(refused.value)
    assert f"{host}:{port}" in message
    assert "Calling stack" in message
    assert "test_network.py" in message  # the caller's own frame
    assert f"{host}:{port}" in str(escaped.value)


def test_a_swallowed_refusal_still_fails_the_test(fake: FakeShopify) -> None:
    def integration_that_swallows() -> str:
        try:
            requests.get("https://api.example.com/v1/thing", timeout=5)
        except requests.ConnectionError:
            return "ignored"
        return "sent"  # pragma: no cover - the guard never lets it through

    with pytest.raises(NetworkEscapeError) as escaped, fake.intercept():
        assert integration_that_swallows() == "ignored"
    text = str(escaped.value)
    assert "api.example.com:443" in text
    assert "GET https://api.example.com/v1/thing" in text
    assert "integration_that_swallows" in text


def test_no_dns_lookup_for_shops_or_other_hosts(
    fake: FakeShopify, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fake_shopify.network as network

    looked_up: list[object] = []
    real = network._real_getaddrinfo

    def spy(host: object, *args: object, **kwargs: object) -> object:
        looked_up.append(host)
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(network, "_real_getaddrinfo", spy)
    with fake.intercept():
        assert requests.get(HOOKS, headers=TOKEN, timeout=5).status_code == 200
        with pytest.raises(NetworkBlockedError):
            socket.getaddrinfo("shopify.com", 443)
        guard = current_guard()
        assert guard is not None
        guard.blocked.clear()  # the refusal above was the point of this test
    assert looked_up == ["127.0.0.1"]  # the served fake's address, resolved once


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello from loopback"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def loopback_server() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_own_loopback_server_and_respx_routes_keep_working(
    fake: FakeShopify, loopback_server: http.server.ThreadingHTTPServer
) -> None:
    port = loopback_server.server_address[1]
    with respx.mock(using="httpx", assert_all_called=True) as mock, fake.intercept():
        mock.get("https://api.example.com/ping").respond(json={"pong": True})
        assert httpx.get("https://api.example.com/ping").json() == {"pong": True}
        for url in (f"http://127.0.0.1:{port}/", f"http://localhost:{port}/"):
            assert requests.get(url, timeout=5).text == "hello from loopback"
            with urllib.request.urlopen(url) as response:
                assert response.read() == b"hello from loopback"
        assert httpx.get(HOOKS, headers=TOKEN).status_code == 200  # httpx stays in-process
    assert [e.action for e in fake.journal] == ["list_webhooks"]


def test_test_ca_is_trusted_for_shop_connections_only(fake: FakeShopify) -> None:
    with fake.intercept():
        assert requests.get(HOOKS, headers=TOKEN, timeout=5).status_code == 200
        guard = current_guard()
        assert guard is not None
        assert guard.served is not None
        # A loopback TLS server of the test's own with a certificate from the same test CA:
        # outside shop connections the CA is not trusted, so verification fails.
        cert = guard.served.ca.issue("localhost")
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(server_context)
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]

        def accept() -> None:
            conn, _ = listener.accept()
            try:
                server_context.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError):
                pass
            finally:
                conn.close()

        thread = threading.Thread(target=accept)
        thread.start()
        try:
            with (
                socket.create_connection(("127.0.0.1", port)) as sock,
                pytest.raises(ssl.SSLCertVerificationError),
            ):
                ssl.create_default_context().wrap_socket(sock, server_hostname="localhost")
        finally:
            thread.join()
            listener.close()


def test_guard_restores_the_socket_module_and_nests() -> None:
    real = (socket.getaddrinfo, socket.socket.connect, ssl.SSLContext.wrap_socket)
    outer = NetworkGuard(check_on_exit=False)
    inner = NetworkGuard(check_on_exit=False)
    with outer:
        with inner, pytest.raises(NetworkBlockedError):
            socket.getaddrinfo("acme.myshopify.com", 443)  # no guard serves a fake
        assert socket.getaddrinfo is not real[0]
    assert (socket.getaddrinfo, socket.socket.connect, ssl.SSLContext.wrap_socket) == real
    assert (
        [b.host for b in outer.blocked] == [b.host for b in inner.blocked] == ["acme.myshopify.com"]
    )


def test_plain_http_to_a_shop_is_refused(fake: FakeShopify) -> None:
    with (
        pytest.raises(NetworkEscapeError, match=r"acme\.myshopify\.com:80"),
        fake.intercept(),
        pytest.raises(urllib.error.URLError),
    ):
        urllib.request.urlopen("http://acme.myshopify.com/admin/api/2024-10/shop.json")


def test_guard_off_leaves_sockets_alone(fake: FakeShopify) -> None:
    with fake.intercept(guard=False):
        assert socket.getaddrinfo.__module__ == "socket"


def test_host_classification() -> None:
    assert is_shop_host("acme.myshopify.com")
    assert is_shop_host(b"ACME.MyShopify.com.")
    assert not is_shop_host("myshopify.com.evil.example")
    assert not is_shop_host(None)
    for host in (
        "127.0.0.1",
        "127.8.9.1",
        "::1",
        "[::1]",
        "localhost",
        "LOCALHOST.",
        "a.localhost",
    ):
        assert is_loopback(host), host
    for host in ("10.0.0.1", "0.0.0.0", "example.com", "::ffff:8.8.8.8", "", None):
        assert not is_loopback(host), host


def test_served_requests_run_in_the_senders_context(fake: FakeShopify) -> None:
    """A request that went over the socket is handled in the context of the code that sent it,
    as in-process: context-dependent bookkeeping (the harness's per-hook records) sees it."""
    import contextvars

    caller: contextvars.ContextVar[str] = contextvars.ContextVar("caller", default="nobody")
    seen: list[str] = []
    real_handle = fake.handle

    def spying_handle(request: httpx.Request) -> httpx.Response:
        seen.append(caller.get())
        return real_handle(request)

    fake.handle = spying_handle  # type: ignore[method-assign]
    with fake.intercept():
        session = requests.Session()  # one keep-alive connection for both callers
        for name in ("first hook", "second hook"):
            token = caller.set(name)
            try:
                assert session.get(HOOKS, headers=TOKEN, timeout=5).status_code == 200
            finally:
                caller.reset(token)
        session.close()
    assert seen == ["first hook", "second hook"]


def test_a_raise_fault_reaches_an_in_process_sender_as_its_exception(fake: FakeShopify) -> None:
    class Crash(BaseException):
        pass

    from fake_shopify import Raise

    fake.faults.arm(Raise(lambda request: Crash("aborted")), match=Match(action="create_webhook"))
    with fake.intercept():
        for send in (
            lambda: requests.post(HOOKS, json=HOOK, headers=TOKEN, timeout=5),
            lambda: urllib.request.urlopen(
                urllib.request.Request(HOOKS, data=json.dumps(HOOK).encode(), headers=TOKEN)
            ),
        ):
            with pytest.raises(Crash, match="aborted"):
                send()
            fake.faults.arm(Raise(lambda request: Crash("aborted")))
    assert _addresses(fake) == []


def _http_client_get(host: str) -> tuple[int, bool]:
    """One GET on a new ``http.client`` connection: its status, and whether TLS resumed."""
    conn = http.client.HTTPSConnection(host, timeout=5)
    try:
        conn.request("GET", f"/admin/api/{V}/webhooks.json", headers=TOKEN)
        response = conn.getresponse()
        response.read()
        assert isinstance(conn.sock, ssl.SSLSocket)
        return response.status, conn.sock.session_reused
    finally:
        conn.close()


def test_a_new_shop_connection_resumes_the_last_tls_session(fake: FakeShopify) -> None:
    """Each new connection to the served fake offers its host's last TLS session (a TLS 1.3
    ticket): the second one resumes instead of a full handshake, also under a later guard and
    served fake of the same CA; another host name does not get that host's session."""
    ca = TestCA()
    try:

        def serve() -> ServedShopify:
            return ServedShopify(fake, latency_scale=0, ca=ca)

        with NetworkGuard(serve):
            assert _http_client_get("acme.myshopify.com") == (200, False)
            kept = ca.client_tls().session_for("acme.myshopify.com")
            assert kept is not None
            assert kept.has_ticket
            assert _http_client_get("acme.myshopify.com") == (200, True)
            # A connection that resumed leaves the kept session alone (reading a connection's
            # session costs about as much as resuming saves); its ticket resumes again.
            assert ca.client_tls().session_for("acme.myshopify.com") is kept
            assert _http_client_get("acme.myshopify.com") == (200, True)
            assert _http_client_get("other.myshopify.com")[1] is False
        with NetworkGuard(serve):  # a new server, the same CA: the ticket still resumes
            assert _http_client_get("acme.myshopify.com") == (200, True)
            session = requests.Session()  # requests' own context, replaced by the CA's
            assert session.get(HOOKS, headers=TOKEN, timeout=5).status_code == 200
            session.close()
            assert ca.client_tls().session_for("acme.myshopify.com") is not None
    finally:
        ca.cleanup()
    assert [e.action for e in fake.journal].count("list_webhooks") == 6


def test_asyncio_tls_resumes_the_session_too(fake: FakeShopify) -> None:
    """asyncio's TLS (``wrap_bio``, what aiohttp uses) offers and keeps sessions the same way."""

    async def reused() -> bool:
        reader, writer = await asyncio.open_connection(
            "acme.myshopify.com", 443, ssl=ssl.create_default_context()
        )
        writer.write(
            f"GET /admin/api/{V}/webhooks.json HTTP/1.1\r\nHost: acme.myshopify.com\r\n"
            f"X-Shopify-Access-Token: {TOKEN['X-Shopify-Access-Token']}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        answer = await reader.read()
        ssl_object = writer.get_extra_info("ssl_object")
        writer.close()
        assert answer.startswith(b"HTTP/1.1 200 ")
        assert isinstance(ssl_object, ssl.SSLObject)
        return ssl_object.session_reused

    with fake.intercept():
        asyncio.run(reused())  # a session for the shop's name, whatever came before
        assert asyncio.run(reused()) is True


# -- environment proxies -----------------------------------------------------------------------

PROXY = "http://proxy.corp.example:3128"


@pytest.fixture
def proxied(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's environment with proxies set (and no no_proxy)."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, PROXY)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("proxied")
def test_environment_proxies_never_apply_to_shops(fake: FakeShopify) -> None:
    with fake.intercept():
        assert os.environ["no_proxy"] == "myshopify.com"
        assert requests.get(HOOKS, headers=TOKEN, timeout=5).status_code == 200
        with urllib.request.urlopen(urllib.request.Request(HOOKS, headers=TOKEN)) as response:
            assert response.status == 200

        async def main() -> int:
            async with (
                aiohttp.ClientSession(trust_env=True) as session,
                session.get(HOOKS, headers=TOKEN) as response,
            ):
                return response.status

        assert asyncio.run(main()) == 200
    assert "no_proxy" not in os.environ  # restored
    assert [e.action for e in fake.journal] == ["list_webhooks"] * 3


@pytest.mark.usefixtures("proxied")
def test_other_hosts_still_go_to_the_proxy_and_are_refused_naming_it(fake: FakeShopify) -> None:
    with (
        pytest.raises(NetworkEscapeError, match=r"proxy\.corp\.example:3128"),
        fake.intercept(),
        pytest.raises(requests.ConnectionError),
    ):
        requests.get("https://api.example.com/x", timeout=5)


@pytest.mark.parametrize(
    ("lower", "upper", "result"),
    [
        (None, None, "myshopify.com"),
        ("localhost,.internal", None, "localhost,.internal,myshopify.com"),
        (None, "10.0.0.0/8", "10.0.0.0/8,myshopify.com"),
        ("", "a.example", "a.example,myshopify.com"),
        ("*", None, "*"),
        (".MyShopify.com", "x", ".MyShopify.com"),
    ],
)
def test_no_proxy_keeps_the_developers_list_and_adds_shops(
    monkeypatch: pytest.MonkeyPatch, lower: str | None, upper: str | None, result: str
) -> None:
    for name, value in (("no_proxy", lower), ("NO_PROXY", upper)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    with NetworkGuard(check_on_exit=False):
        assert os.environ["no_proxy"] == result
        assert requests.utils.should_bypass_proxies(HOOKS, no_proxy=None)
        assert urllib.request.proxy_bypass("acme.myshopify.com")
        other = requests.utils.should_bypass_proxies("https://b.example/", no_proxy=None)
        assert other == (result == "*")  # other hosts keep the proxy unless all bypass it
        for entry in (lower or upper or "").split(","):  # the list in force still bypasses
            if entry and entry != "*" and "/" not in entry:
                host = "h." + entry.lstrip(".")
                assert requests.utils.should_bypass_proxies(f"https://{host}/", no_proxy=None)
    assert os.environ.get("no_proxy") == lower  # restored exactly
    assert os.environ.get("NO_PROXY") == upper  # never touched


def test_a_no_proxy_the_code_sets_inside_the_guard_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("no_proxy", raising=False)
    with NetworkGuard(check_on_exit=False), NetworkGuard(check_on_exit=False):
        assert os.environ["no_proxy"] == "myshopify.com"
        monkeypatch.setenv("no_proxy", "theirs.example")
    assert os.environ["no_proxy"] == "theirs.example"
