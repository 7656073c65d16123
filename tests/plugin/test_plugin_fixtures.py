"""The fixtures in a pytest run: fake_shopify (with its teardown checks), platform, async use."""

from __future__ import annotations

import pytest
from pluginkit import GOOD, Runner

SEED = """
import httpx
import pytest

from fake_shopify import HttpError, Match


def seeded(fake):
    shop = fake.add_shop("acme")
    app = fake.add_app("bot")
    return shop, app, fake.install(shop, app).access_token


def url(path):
    return f"https://acme.myshopify.com/admin/api/2025-07/{path}"
"""


def test_fake_shopify_serves_shopify_and_is_fresh_per_test(
    pytester: pytest.Pytester, run: Runner
) -> None:
    pytester.makepyfile(
        SEED
        + """
@pytest.mark.parametrize("n", [1, 2])
def test_create(fake_shopify, n):
    shop, app, token = seeded(fake_shopify)  # would fail if the shop survived the last test
    body = {"webhook": {"topic": "orders/create", "address": "https://example.com/h"}}
    r = httpx.post(url("webhooks.json"), json=body, headers={"X-Shopify-Access-Token": token})
    assert r.status_code == 201
    assert len(fake_shopify.webhooks()) == 1
"""
    )
    run().assert_outcomes(passed=2)


def test_teardown_fails_listing_faults_that_never_fired(
    pytester: pytest.Pytester, run: Runner
) -> None:
    pytester.makepyfile(
        SEED
        + """
def test_armed_but_never_used(fake_shopify):
    seeded(fake_shopify)
    fake_shopify.faults.arm(HttpError(503), match=Match(action="delete_webhook"))


@pytest.mark.fake_shopify(assert_all_faults_fired=False)
def test_allowed(fake_shopify):
    seeded(fake_shopify)
    fake_shopify.faults.arm(HttpError(503), match=Match(action="delete_webhook"))


def test_fired(fake_shopify):
    shop, app, token = seeded(fake_shopify)
    fake_shopify.faults.arm(HttpError(503), match=Match(action="list_webhooks"))
    r = httpx.get(url("webhooks.json"), headers={"X-Shopify-Access-Token": token})
    assert r.status_code == 503
"""
    )
    result = run()
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_armed_but_never_used*",
            "*fake_shopify: 1 armed fault(s) never fired:",
            "*HttpError(status=503*delete_webhook*",
            "*assert_all_faults_fired=False*",
        ]
    )


def test_a_request_to_another_host_fails_loudly_and_is_listed(
    pytester: pytest.Pytester, run: Runner
) -> None:
    pytester.makepyfile(
        SEED
        + """
def test_other_host(fake_shopify):
    with pytest.raises(Exception) as e:
        httpx.get("https://api.example.com/v1/things")
    assert "api.example.com" in str(e.value)
"""
    )
    result = run()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*fake_shopify: 1 request(s) went nowhere:",
            "*GET https://api.example.com/v1/things: no fake serves this host",
        ]
    )


def test_respx_routes_for_other_hosts_work_beside_the_fake(
    pytester: pytest.Pytester, run: Runner
) -> None:
    """The fixture's advice holds: respx routes (the ``respx_mock`` fixture in either order,
    ``respx.mock`` as decorator or context manager) serve other hosts while the fake serves
    Shopify, and the teardown checks stay quiet for requests respx answered."""
    pytester.makepyfile(
        SEED
        + """
import respx


def _both(respx_mock, fake_shopify):
    respx_mock.get("https://api.example.com/v1/things").respond(200, json=[1])
    _, _, token = seeded(fake_shopify)
    assert httpx.get("https://api.example.com/v1/things").json() == [1]
    shop = httpx.get(url("shop.json"), headers={"X-Shopify-Access-Token": token})
    assert shop.json()["shop"]["myshopify_domain"] == "acme.myshopify.com"


def test_fixture_fake_first(fake_shopify, respx_mock):
    _both(respx_mock, fake_shopify)


def test_fixture_respx_first(respx_mock, fake_shopify):
    _both(respx_mock, fake_shopify)


@respx.mock
def test_decorator(fake_shopify):
    respx.get("https://api.example.com/v1/things").respond(204)
    assert httpx.get("https://api.example.com/v1/things").status_code == 204


def test_context_manager(fake_shopify):
    with respx.mock:
        respx.get("https://api.example.com/v1/things").respond(204)
        assert httpx.get("https://api.example.com/v1/things").status_code == 204
"""
    )
    result = run()
    result.assert_outcomes(passed=4)


def test_platform_fixture_calls_hooks_against_the_fake(
    pytester: pytest.Pytester, run: Runner
) -> None:
    pytester.makepyfile(good=GOOD)
    pytester.makepyfile(
        """
import good


def test_register_twice_then_unregister(fake_shopify, platform):
    shop = fake_shopify.add_shop("acme")
    app = fake_shopify.add_app("bot")
    token = fake_shopify.install(shop, app).access_token
    configuration = {"shopName": "acme", "access_token": token}
    for _ in range(2):
        outcome = platform.call(good, "register", configuration=configuration)
        assert outcome.status == "registered", outcome
    assert len(fake_shopify.webhooks()) == 2
    outcome = platform.call("good", "unregister", configuration=configuration)
    assert outcome.status == "unregistered", outcome
    assert fake_shopify.webhooks() == []
    assert platform.client().store is platform.store
"""
    )
    run().assert_outcomes(passed=1)


ASYNC_TESTS = """
import anyio
import httpx
import pytest


async def create(fake):
    shop = fake.add_shop("acme")
    app = fake.add_app("bot")
    token = fake.install(shop, app).access_token
    async with httpx.AsyncClient() as client:
        r = await client.post(
            "https://acme.myshopify.com/admin/api/2025-07/webhooks.json",
            json={"webhook": {"topic": "orders/create", "address": "https://example.com/h"}},
            headers={"X-Shopify-Access-Token": token},
        )
    return r


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.asyncio
async def test_with_pytest_asyncio(fake_shopify):
    r = await create(fake_shopify)
    assert r.status_code == 201
    assert len(fake_shopify.webhooks()) == 1


@pytest.mark.anyio
async def test_with_anyio(fake_shopify):
    r = await create(fake_shopify)
    assert r.status_code == 201
    await anyio.sleep(0)
    assert len(fake_shopify.webhooks()) == 1
"""


def test_fixtures_in_async_tests(pytester: pytest.Pytester, run: Runner) -> None:
    pytester.makepyfile(ASYNC_TESTS)
    run().assert_outcomes(passed=2)


def test_unknown_fake_shopify_marker_option_is_a_usage_error(
    pytester: pytest.Pytester, run: Runner
) -> None:
    pytester.makepyfile(
        """
import pytest

@pytest.mark.fake_shopify(assert_all_fault_fired=False)
def test_x(fake_shopify):
    pass
"""
    )
    result = run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*test_x: unknown fake_shopify marker option(s): assert_all_fault_fired; "
            "valid options: assert_all_faults_fired, assert_all_requests_served*"
        ]
    )


def test_other_stacks_reach_the_fixture_and_nothing_else_escapes(
    pytester: pytest.Pytester, run: Runner
) -> None:
    """Issue 10: inside the fixture (and so ``platform.call``) requests, urllib, http.client
    reach the fake at socket level; a connection to another host fails the test even when the
    code swallows the error; a loopback server of the test's own keeps working."""
    pytester.makepyfile(
        SEED
        + """
import http.server
import threading
import urllib.request

import requests


def test_requests_and_urllib_reach_the_fake(fake_shopify):
    shop, app, token = seeded(fake_shopify)
    body = {"webhook": {"topic": "orders/create", "address": "https://example.com/h"}}
    r = requests.post(url("webhooks.json"), json=body, headers={"X-Shopify-Access-Token": token})
    assert r.status_code == 201
    req = urllib.request.Request(url("webhooks.json"), headers={"X-Shopify-Access-Token": token})
    with urllib.request.urlopen(req) as listed:
        assert listed.status == 200
    assert [e.action for e in fake_shopify.journal] == ["create_webhook", "list_webhooks"]


def test_platform_call_of_a_requests_integration(platform, tmp_path):
    shop, app, token = seeded(platform.fake)
    target = tmp_path / "integ.py"
    target.write_text(
        "import requests\\n"
        "def register(ctx, webhook_url):\\n"
        "    r = requests.get('https://acme.myshopify.com/admin/api/2025-07/webhooks.json',\\n"
        "        headers={'X-Shopify-Access-Token': ctx.configuration['access_token']})\\n"
        "    r.raise_for_status()\\n"
        "def unregister(ctx):\\n"
        "    pass\\n"
    )
    outcome = platform.call(
        str(target), "register", configuration={"shopName": "acme", "access_token": token}
    )
    assert outcome.ok, outcome
    assert [e.action for e in platform.fake.journal] == ["list_webhooks"]


def test_swallowed_escape_fails_the_test(fake_shopify):
    try:
        requests.get("https://api.example.com/v1", timeout=5)
    except requests.ConnectionError:
        pass


def test_own_loopback_server_works(fake_shopify):
    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"hi")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hello)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        assert requests.get(f"http://127.0.0.1:{server.server_address[1]}/").text == "hi"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
"""
    )
    result = run()
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_swallowed_escape_fails_the_test*",
            "*api.example.com:443 (GET https://api.example.com/v1) via socket.getaddrinfo*",
            "*NetworkEscapeError",
        ]
    )
