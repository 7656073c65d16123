"""``lifecycle-harness serve``: the fakes on loopback, used by a client in another process."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _close(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=30)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def _first_line(proc: subprocess.Popen[str], timeout: float = 90.0) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line:
            return line
        if proc.poll() is not None:
            raise AssertionError(f"serve exited early: {proc.stderr.read() if proc.stderr else ''}")
    raise AssertionError("serve printed nothing")


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    proc = _start("--json", "--shops", "2", "--bots", "2", "--port", "0")
    try:
        info = json.loads(_first_line(proc))
        yield proc, info
    finally:
        _close(proc)


def _shop_connection(info: dict[str, Any], shop: str) -> http.client.HTTPSConnection:
    host, port = info["shopify"]["address"]
    context = ssl.create_default_context(cafile=info["shopify"]["ca_cert"])
    conn = http.client.HTTPSConnection(f"{shop}.myshopify.com", context=context, timeout=10)
    conn.sock = context.wrap_socket(
        socket.create_connection((host, port), timeout=10), server_hostname=f"{shop}.myshopify.com"
    )
    return conn


def test_a_client_in_another_process_uses_both_fakes_and_ctrl_c_stops_cleanly(
    served: tuple[subprocess.Popen[str], dict[str, Any]],
) -> None:
    proc, info = served
    shops = {s["shop"]: s for s in info["shopify"]["shops"]}
    assert set(shops) == {"acme", "acme-2"}
    assert Path(info["shopify"]["ca_cert"]).read_text().startswith("-----BEGIN CERTIFICATE-----")

    conn = _shop_connection(info, "acme")
    body = json.dumps({"webhook": {"topic": "orders/create", "address": "https://bot.example/h"}})
    headers = {"X-Shopify-Access-Token": shops["acme"]["token"], "Content-Type": "application/json"}
    conn.request("POST", "/admin/api/2025-10/webhooks.json", body=body, headers=headers)
    created = conn.getresponse()
    assert created.status == 201, created.read()
    assert json.loads(created.read())["webhook"]["address"] == "https://bot.example/h"
    conn.request("GET", "/admin/api/2025-10/webhooks.json", headers=headers)
    assert len(json.loads(conn.getresponse().read())["webhooks"]) == 1
    # The other shop's token does not open this shop.
    wrong = {**headers, "X-Shopify-Access-Token": shops["acme-2"]["token"]}
    conn.request("GET", "/admin/api/2025-10/webhooks.json", headers=wrong)
    unauthorised = conn.getresponse()
    assert unauthorised.status == 401
    unauthorised.read()
    conn.close()

    platform = info["platform"]
    bot = platform["bots"][0]
    host, port = platform["url"].removeprefix("http://").rsplit(":", 1)
    api = http.client.HTTPConnection(host, int(port), timeout=10)
    state_headers = {
        "Authorization": f"Bearer {platform['token']}",
        "x-bot-id": bot["bot_id"],
        "x-integration-id": bot["integration_id"],
        "Content-Type": "application/json",
    }
    path = f"/v1/chat/states/integration/{bot['integration_id']}/webhooks"
    api.request("POST", path, body=json.dumps({"payload": {"ids": [1]}}), headers=state_headers)
    assert json.loads(api.getresponse().read())["state"]["payload"] == {"ids": [1]}
    api.request("GET", path, headers=state_headers)
    assert json.loads(api.getresponse().read())["state"]["payload"] == {"ids": [1]}
    api.request("GET", path, headers={**state_headers, "Authorization": "Bearer nope"})
    refused = api.getresponse()
    assert refused.status == 401
    assert json.loads(refused.read())["type"] == "Unauthorized"
    api.close()

    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    assert proc.stderr is not None
    assert proc.stderr.read() == ""
    for address in (tuple(info["shopify"]["address"]), (host, int(port))):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(address, timeout=5).close()


def test_human_readable_output_and_bad_flags() -> None:
    proc = _start("--shop", "demo-shop")
    try:
        lines = [_first_line(proc) for _ in range(7)]
        text = "".join(lines)
        assert text.startswith("Shopify fake    https://127.0.0.1:")
        assert "CA certificate  " in text
        assert "shop demo-shop.myshopify.com" in text
        assert "Platform API    http://127.0.0.1:" in text
        assert "Serving until Ctrl-C." in text
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert proc.stdout is not None
        assert proc.stdout.read().strip() == "Stopped."
    finally:
        _close(proc)
    bad = subprocess.run(
        [sys.executable, "-m", "harness", "serve", "--port", "70000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
    assert "a port is 0-65535" in bad.stderr
