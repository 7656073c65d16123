"""Transports: ``fake.transport()``, respx interception, unserved hosts, other hosts."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import httpx
import pytest
import respx
from fake_world import make_world

from fake_shopify import FakeShopify, UnservedRequestError

URL = "https://acme.myshopify.com/admin/api/2026-10/webhooks/count.json"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a socket fails the test: nothing may reach the network."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a test tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_intercept_serves_clients_the_code_builds_itself() -> None:
    world = make_world()
    headers = {"X-Shopify-Access-Token": world.token}
    with world.fake.intercept():
        assert httpx.get(URL, headers=headers).json() == {"count": 0}
        with httpx.Client() as client:
            assert client.get(URL, headers=headers).status_code == 200

        async def run() -> int:
            async with httpx.AsyncClient() as client:
                response = await client.get(URL, headers=headers)
                return response.status_code

        assert asyncio.run(run()) == 200
    assert len(world.fake.journal) == 3


def test_async_client_with_mock_transport() -> None:
    world = make_world()

    async def run() -> dict[str, int]:
        async with httpx.AsyncClient(
            transport=world.fake.transport(), headers={"X-Shopify-Access-Token": world.token}
        ) as client:
            response = await client.get(URL)
            return dict(response.json())

    assert asyncio.run(run()) == {"count": 0}


def test_unserved_host_raises_and_never_reaches_the_network() -> None:
    world = make_world()
    with world.fake.intercept(), pytest.raises(UnservedRequestError) as info:
        httpx.post("https://api.example.com/hook", json={"x": 1})
    message = str(info.value)
    assert "POST https://api.example.com/hook" in message
    assert "was not sent to the network" in message
    assert "acme.myshopify.com" in message
    assert "other_hosts" in message  # how to fix it
    with pytest.raises(UnservedRequestError):
        world.fake.handle(httpx.Request("GET", "https://api.example.com/"))
    with (
        httpx.Client(transport=world.fake.transport()) as client,
        pytest.raises(UnservedRequestError),
    ):
        client.get("https://api.example.com/")


def test_unserved_host_in_async_clients() -> None:
    world = make_world()

    async def run() -> None:
        async with httpx.AsyncClient() as client:
            await client.get("https://api.example.com/")

    with world.fake.intercept(), pytest.raises(UnservedRequestError):
        asyncio.run(run())


def test_other_hosts_handler_sync_and_async() -> None:
    world = make_world()
    seen: list[str] = []

    def other(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(204)

    with world.fake.intercept(other_hosts=other):
        assert httpx.post("https://webhook.example/abc", json={}).status_code == 204

        async def run() -> int:
            async with httpx.AsyncClient() as client:
                return (await client.get("https://webhook.example/def")).status_code

        assert asyncio.run(run()) == 204
        # Shopify hosts still go to the fake.
        assert httpx.get(URL, headers={"X-Shopify-Access-Token": world.token}).status_code == 200
    assert seen == ["https://webhook.example/abc", "https://webhook.example/def"]

    async def async_other(request: httpx.Request) -> httpx.Response:
        return httpx.Response(202)

    async def run_async_handler() -> int:
        async with httpx.AsyncClient() as client:
            return (await client.get("https://webhook.example/")).status_code

    with world.fake.intercept(other_hosts=async_other):
        assert asyncio.run(run_async_handler()) == 202
        with pytest.raises(TypeError, match="awaitable"):
            httpx.get("https://webhook.example/")


def test_transport_with_other_hosts() -> None:
    world = make_world()
    transport = world.fake.transport(other_hosts=lambda request: httpx.Response(418))
    with httpx.Client(transport=transport, headers={"X-Shopify-Access-Token": world.token}) as c:
        assert c.get("https://elsewhere.example/").status_code == 418
        assert c.get(URL).json() == {"count": 0}


def test_interception_coexists_with_a_tests_own_respx_routes() -> None:
    world = make_world()
    with respx.mock(using="httpx", assert_all_called=False) as router:
        router.get("https://api.example.com/ping").respond(200, json={"pong": True})
        with world.fake.intercept():
            assert httpx.get("https://api.example.com/ping").json() == {"pong": True}
            assert (
                httpx.get(URL, headers={"X-Shopify-Access-Token": world.token}).status_code == 200
            )
            with pytest.raises(UnservedRequestError):
                httpx.get("https://api.example.com/other")


@pytest.mark.parametrize("fake_first", [True, False], ids=["fake-first", "respx-first"])
def test_respx_default_mock_routes_other_hosts_in_either_order(fake_first: bool) -> None:
    """``respx.mock`` (its default httpcore mocker, as users write it) beside the fake: the fake
    serves Shopify, the test's routes serve their hosts, unmocked hosts are still refused."""
    world = make_world()
    headers = {"X-Shopify-Access-Token": world.token}
    with contextlib.ExitStack() as stack:
        if fake_first:
            stack.enter_context(world.fake.intercept())
        router = stack.enter_context(respx.mock(assert_all_called=False))
        if not fake_first:
            stack.enter_context(world.fake.intercept())
        ping = router.get("https://api.example.com/ping").respond(200, json={"pong": True})
        router.post("https://hooks.example.com/relay").mock(
            side_effect=lambda request: httpx.Response(202, json={"got": request.content.decode()})
        )
        assert httpx.get("https://api.example.com/ping").json() == {"pong": True}
        assert httpx.post("https://hooks.example.com/relay", content="x").json() == {"got": "x"}
        assert httpx.get(URL, headers=headers).json() == {"count": 0}
        with pytest.raises(UnservedRequestError, match=r"api\.example\.com/other"):
            httpx.get("https://api.example.com/other")
        assert ping.call_count == 1
    assert [e.request.url.host for e in world.fake.journal] == ["acme.myshopify.com"]


@respx.mock
def test_respx_decorator_routes_beside_the_fake() -> None:
    respx.get("https://api.example.com/ping").respond(200, text="pong")
    world = make_world()
    with world.fake.intercept():
        assert httpx.get("https://api.example.com/ping").text == "pong"
        headers = {"X-Shopify-Access-Token": world.token}
        assert httpx.get(URL, headers=headers).status_code == 200


async def _async_calls(token: str) -> tuple[str, int]:
    async with httpx.AsyncClient() as client:
        pong = (await client.get("https://api.example.com/ping")).text
        status = (await client.get(URL, headers={"X-Shopify-Access-Token": token})).status_code
    return pong, status


def test_respx_routes_beside_the_fake_for_async_clients() -> None:
    world = make_world()
    with world.fake.intercept(), respx.mock(assert_all_called=False) as router:
        router.get("https://api.example.com/ping").respond(200, text="pong")
        assert asyncio.run(_async_calls(world.token)) == ("pong", 200)


def test_a_respx_pass_through_route_is_refused_not_sent() -> None:
    world = make_world()
    with world.fake.intercept(), respx.mock(assert_all_called=False) as router:
        router.get("https://api.example.com/live").pass_through()
        with pytest.raises(UnservedRequestError, match="pass_through"):
            httpx.get("https://api.example.com/live")


def test_interception_ends_with_the_context() -> None:
    world = make_world()
    with world.fake.intercept():
        pass
    # After the context, httpx would use the network again: our guard fixture proves that
    # the request is no longer intercepted (and that it did not go out either).
    with pytest.raises(AssertionError, match="network"):
        httpx.get(URL, headers={"X-Shopify-Access-Token": world.token})


def test_fake_as_context_manager() -> None:
    world = make_world()
    with world.fake as fake:
        assert isinstance(fake, FakeShopify)
        assert httpx.get(URL, headers={"X-Shopify-Access-Token": world.token}).status_code == 200
        with pytest.raises(UnservedRequestError):
            httpx.get("https://api.example.com/")
    assert len(world.fake.journal) == 1


def test_concurrent_threads_keep_the_state_consistent() -> None:
    import threading

    world = make_world(rate_limits=False)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            with httpx.Client(
                transport=world.fake.transport(),
                headers={"X-Shopify-Access-Token": world.token},
            ) as client:
                for i in range(15):
                    response = client.post(
                        "https://acme.myshopify.com/admin/api/2026-10/webhooks.json",
                        json={
                            "webhook": {
                                "topic": "orders/create",
                                "address": f"https://h.example/{n}/{i}",
                            }
                        },
                    )
                    assert response.status_code == 201
                    # Everyone also tries the same one: exactly one thread may win it.
                    client.post(
                        "https://acme.myshopify.com/admin/api/2026-10/webhooks.json",
                        json={
                            "webhook": {"topic": "orders/paid", "address": "https://h.example/same"}
                        },
                    )
        except BaseException as exc:  # reported below, in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    webhooks = world.fake.webhooks("acme", "bot")
    assert len(webhooks) == 4 * 15 + 1
    assert len({w.id for w in webhooks}) == len(webhooks)
    assert len(world.fake.journal) == 4 * 30
    assert len({e.index for e in world.fake.journal}) == 4 * 30
