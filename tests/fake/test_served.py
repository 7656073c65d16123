"""The served mode: the same fake over loopback TLS, one ``handle()`` for both paths."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_shopify import (
    FakeShopify,
    HttpError,
    Latency,
    LostResponse,
    ManualClock,
    Match,
    Raise,
    TransportError,
)
from fake_shopify.journal import Exchange
from fake_shopify.served import ServedShopify, TestCA

START = datetime(2026, 11, 1, tzinfo=UTC)
V = "2026-10"
HOOKS = f"/admin/api/{V}/webhooks.json"


def _seeded() -> tuple[FakeShopify, str]:
    fake = FakeShopify(clock=ManualClock(START))
    fake.add_shop("acme")
    fake.add_app("bot")
    return fake, fake.install("acme", "bot", token="shpat_served_acme").access_token


@pytest.fixture(scope="module")
def ca() -> Iterator[TestCA]:
    authority = TestCA()
    yield authority
    authority.cleanup()


class Wire:
    """An httpx client that reaches ``acme.myshopify.com`` at the served port (SNI + Host)."""

    def __init__(self, served: ServedShopify, *, timeout: float = 5.0) -> None:
        self.served = served
        self.client = httpx.Client(verify=served.client_context(), timeout=timeout)

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Host": "acme.myshopify.com", **kwargs.pop("headers", {})}
        return self.client.request(
            method,
            f"https://127.0.0.1:{self.served.port}{path}",
            headers=headers,
            extensions={"sni_hostname": "acme.myshopify.com"},
            **kwargs,
        )

    def close(self) -> None:
        self.client.close()


class InProcess:
    def __init__(self, fake: FakeShopify) -> None:
        self.client = httpx.Client(transport=fake.transport(), timeout=5.0)

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Host": "acme.myshopify.com", **kwargs.pop("headers", {})}
        return self.client.request(
            method, f"https://acme.myshopify.com{path}", headers=headers, **kwargs
        )

    def close(self) -> None:
        self.client.close()


def _entry(exchange: Exchange) -> tuple[object, ...]:
    """Everything the journal says about one exchange, in comparable form."""
    request, response = exchange.request, exchange.response
    return (
        exchange.index,
        exchange.time,
        exchange.action,
        exchange.shop,
        exchange.app,
        exchange.request_id,
        exchange.fault_id,
        type(exchange.error).__name__ if exchange.error is not None else None,
        request.method,
        str(request.url),
        request.content,
        sorted((k.lower(), v) for k, v in request.headers.multi_items()),
        None if response is None else response.status_code,
        None if response is None else response.content,
        None if response is None else sorted(response.headers.multi_items()),
    )


# One step of a request sequence: (fault to arm or None, method, path, body).
_FAULTS = st.sampled_from(
    [
        None,
        None,
        None,
        HttpError(503),
        HttpError(429),
        TransportError(),
        LostResponse(),
        Latency(3.0),
    ]
)
_REQUESTS = st.sampled_from(
    [
        ("GET", HOOKS, None),
        ("GET", f"/admin/api/{V}/webhooks/count.json", None),
        ("POST", HOOKS, {"webhook": {"topic": "orders/create", "address": "https://h.example/a"}}),
        ("POST", HOOKS, {"webhook": {"topic": "orders/create", "address": "https://h.example/b"}}),
        ("POST", HOOKS, {"webhook": {"topic": "no/such_topic", "address": "https://h.example/"}}),
        ("DELETE", f"/admin/api/{V}/webhooks/1.json", None),
        ("GET", f"/admin/api/{V}/webhooks/1.json", None),
        ("PUT", f"/admin/api/{V}/webhooks/2.json", {"webhook": {"address": "https://h.example/c"}}),
        ("GET", f"/admin/api/{V}/shop.json", None),
        ("GET", "/admin/api/1999-01/webhooks.json", None),
        ("PATCH", HOOKS, None),
        ("GET", f"/admin/api/{V}/products.json", None),
    ]
)


def _run(client: Wire | InProcess, fake: FakeShopify, steps: list[Any], token: str) -> list[Any]:
    seen: list[Any] = []
    for fault, (method, path, body) in steps:
        if fault is not None:
            fake.faults.arm(fault)
        kwargs: dict[str, Any] = {"headers": {"X-Shopify-Access-Token": token}}
        if body is not None:
            kwargs["content"] = json.dumps(body).encode()
            kwargs["headers"]["Content-Type"] = "application/json"
        try:
            response = client.send(method, path, **kwargs)
        except httpx.TransportError:
            seen.append("transport error")
        else:
            seen.append((response.status_code, response.json()))
    return seen


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(st.tuples(_FAULTS, _REQUESTS), min_size=1, max_size=8))
def test_same_requests_give_identical_journals_in_process_and_served(
    ca: TestCA, steps: list[Any]
) -> None:
    local, token = _seeded()
    remote, _ = _seeded()
    in_process = InProcess(local)
    local_seen = _run(in_process, local, steps, token)
    in_process.close()
    with ServedShopify(remote, ca=ca, latency_scale=0) as served:
        wire = Wire(served)
        remote_seen = _run(wire, remote, steps, token)
        wire.close()
    assert [_entry(e) for e in remote.journal] == [_entry(e) for e in local.journal]
    assert remote_seen == local_seen  # same answers; transport faults are errors on both paths
    assert remote.snapshot("acme", "bot") == local.snapshot("acme", "bot")
    assert remote.clock.now() == local.clock.now()
    assert len(remote.journal) == len(steps)


def _raw(served: ServedShopify) -> http.client.HTTPSConnection:
    """A keep-alive ``http.client`` connection to the served port, SNI acme.myshopify.com."""
    conn = http.client.HTTPSConnection("acme.myshopify.com", context=served.client_context())
    sock = socket.create_connection(served.address)
    conn.sock = served.client_context().wrap_socket(sock, server_hostname="acme.myshopify.com")
    return conn


def test_transport_error_resets_the_connection_before_the_fake_sees_it(ca: TestCA) -> None:
    fake, token = _seeded()
    fake.faults.arm(TransportError(), match=Match(action="create_webhook"))
    with ServedShopify(fake, ca=ca) as served:
        conn = _raw(served)
        body = json.dumps({"webhook": {"topic": "orders/create", "address": "https://h.x/"}})
        conn.request(
            "POST",
            HOOKS,
            body=body,
            headers={"X-Shopify-Access-Token": token, "Content-Type": "application/json"},
        )
        with pytest.raises(ConnectionResetError):
            conn.getresponse()
        conn.close()
    assert fake.webhooks() == []
    assert isinstance(fake.journal[0].error, httpx.ConnectError)


def test_lost_response_applies_then_closes_without_answer(ca: TestCA) -> None:
    fake, token = _seeded()
    fake.faults.arm(LostResponse(), match=Match(action="create_webhook"))
    with ServedShopify(fake, ca=ca) as served:
        conn = _raw(served)
        body = json.dumps({"webhook": {"topic": "orders/create", "address": "https://h.x/"}})
        conn.request(
            "POST",
            HOOKS,
            body=body,
            headers={"X-Shopify-Access-Token": token, "Content-Type": "application/json"},
        )
        with pytest.raises(http.client.RemoteDisconnected):
            conn.getresponse()
        conn.close()
    assert [w.address for w in fake.webhooks()] == ["https://h.x/"]  # applied
    assert fake.journal[0].response is not None
    assert fake.journal[0].response.status_code == 201


def test_latency_moves_the_clock_and_delays_the_answer(ca: TestCA) -> None:
    fake, token = _seeded()
    fake.faults.arm(Latency(0.3))
    with ServedShopify(fake, ca=ca) as served:
        wire = Wire(served)
        started = time.perf_counter()
        response = wire.send("GET", HOOKS, headers={"X-Shopify-Access-Token": token})
        elapsed = time.perf_counter() - started
        wire.close()
    assert response.status_code == 200
    assert elapsed >= 0.3
    assert fake.clock.now() == START.replace(microsecond=300_000)


def test_latency_beyond_the_client_timeout_is_a_real_read_timeout_and_applies(
    ca: TestCA,
) -> None:
    fake, token = _seeded()
    fake.faults.arm(Latency(0.6))
    with ServedShopify(fake, ca=ca) as served:
        wire = Wire(served, timeout=0.15)
        with pytest.raises(httpx.ReadTimeout):
            wire.send(
                "POST",
                HOOKS,
                json={"webhook": {"topic": "orders/create", "address": "https://h.x/"}},
                headers={"X-Shopify-Access-Token": token},
            )
        wire.close()
        time.sleep(0.7)  # the server finishes its delayed answer into a closed connection
    assert [w.address for w in fake.webhooks()] == ["https://h.x/"]


def test_raise_fault_resets_and_is_kept_as_a_server_error(ca: TestCA) -> None:
    class Crash(BaseException):
        pass

    fake, token = _seeded()
    fake.faults.arm(Raise(lambda request: Crash("boom")))
    with ServedShopify(fake, ca=ca) as served:
        wire = Wire(served)
        with pytest.raises(httpx.TransportError):
            wire.send("GET", HOOKS, headers={"X-Shopify-Access-Token": token})
        wire.close()
        assert [type(e).__name__ for e in served.errors] == ["Crash"]


def test_keep_alive_many_requests_one_connection_and_chunked_bodies(ca: TestCA) -> None:
    fake, token = _seeded()
    with ServedShopify(fake, ca=ca) as served:
        conn = _raw(served)
        sock = conn.sock
        for i in range(5):
            conn.request(
                "POST",
                HOOKS,
                body=iter(
                    [
                        b'{"webhook": {"topic": "orders/create", ',
                        f'"address": "https://h.x/{i}"}}}}'.encode(),
                    ]
                ),
                headers={"X-Shopify-Access-Token": token, "Content-Type": "application/json"},
                encode_chunked=True,
            )
            response = conn.getresponse()
            assert response.status == 201, response.read()
            assert json.loads(response.read())["webhook"]["address"] == f"https://h.x/{i}"
        assert conn.sock is sock  # one TLS connection served them all
        conn.close()
    assert len(fake.webhooks()) == 5


def test_another_host_is_misdirected_and_not_journaled(ca: TestCA) -> None:
    fake, _ = _seeded()
    with ServedShopify(fake, ca=ca) as served:
        wire = Wire(served)
        response = wire.send("GET", HOOKS, headers={"Host": "api.example.com"})
        wire.close()
    assert response.status_code == 421
    assert "api.example.com" in response.text
    assert len(fake.journal) == 0


def test_certificate_is_for_myshopify_only_and_signed_by_the_run_time_ca(ca: TestCA) -> None:
    fake, _ = _seeded()
    with ServedShopify(fake) as served:
        assert served.ca_cert_path.read_bytes() == served.ca_pem
        assert served.ca_pem.startswith(b"-----BEGIN CERTIFICATE-----")
        for name in ("acme.myshopify.com", "myshopify.com"):
            with (
                socket.create_connection(served.address) as sock,
                served.client_context().wrap_socket(sock, server_hostname=name) as tls,
            ):
                assert tls.version() is not None
        with (
            socket.create_connection(served.address) as sock,
            pytest.raises(ssl.SSLCertVerificationError),
        ):
            served.client_context().wrap_socket(sock, server_hostname="example.com")
        with (
            socket.create_connection(served.address) as sock,
            pytest.raises(ssl.SSLCertVerificationError),
        ):
            ssl.create_default_context().wrap_socket(sock, server_hostname="acme.myshopify.com")
        path = served.ca_cert_path
    assert not path.exists()  # the CA directory is removed on close


def test_port_zero_picks_a_free_port_and_close_stops_serving(ca: TestCA) -> None:
    fake, token = _seeded()
    with ServedShopify(fake, ca=ca, port=0) as one, ServedShopify(fake, ca=ca, port=0) as two:
        assert one.port != two.port > 0
        assert one.address == ("127.0.0.1", one.port)
        conn = _raw(one)
        conn.request("GET", HOOKS, headers={"X-Shopify-Access-Token": token})
        assert conn.getresponse().read() == b'{"webhooks":[]}'
        port = one.port
    try:
        # The server closed its keep-alive connections: the write or the read fails.
        with pytest.raises(OSError):  # noqa: PT012
            conn.request("GET", HOOKS, headers={"X-Shopify-Access-Token": token})
            conn.getresponse()
    finally:
        conn.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_ipv6_loopback(ca: TestCA) -> None:
    fake, token = _seeded()
    with ServedShopify(fake, ca=ca, host="::1") as served:
        assert served.address == ("::1", served.port)
        with (
            socket.create_connection(served.address) as sock,
            served.client_context().wrap_socket(sock, server_hostname="acme.myshopify.com") as tls,
        ):
            tls.sendall(
                f"GET {HOOKS} HTTP/1.1\r\nHost: acme.myshopify.com\r\n"
                f"X-Shopify-Access-Token: {token}\r\nConnection: close\r\n\r\n".encode()
            )
            reply = b""
            while chunk := tls.recv(4096):
                reply += chunk
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Connection: close" in reply


def test_non_loopback_host_and_bad_options_are_refused() -> None:
    fake, _ = _seeded()
    with pytest.raises(ValueError, match="loopback only"):
        ServedShopify(fake, host="0.0.0.0")
    with pytest.raises(ValueError, match="latency_scale"):
        ServedShopify(fake, latency_scale=-1)
    with pytest.raises(RuntimeError, match="not started"):
        _ = ServedShopify(fake).port


def test_a_test_ca_made_under_a_frozen_clock_does_not_break_later_certificates() -> None:
    """cryptography keeps the ``datetime`` class it sees first: made under freezegun without
    care, every later certificate of the process fails. In a fresh process (that first sight
    happens once per process): a CA under a frozen clock, then one with the clock running."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import freezegun
        from fake_shopify.served import TestCA
        with freezegun.freeze_time("2025-01-01"):
            frozen = TestCA()
        later = TestCA()
        later.issue("shop.myshopify.com")
        print("ok", frozen.ca_cert_path.exists(), later.ca_cert_path.exists())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ok", "True", "True"]
