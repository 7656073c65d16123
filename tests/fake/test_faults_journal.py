"""Faults (effects, matching, schedules) and the journal."""

from __future__ import annotations

import httpx
import pytest
from fake_world import World, make_world
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_shopify import (
    Always,
    FakeShopify,
    HttpError,
    Latency,
    LostResponse,
    Match,
    Next,
    Nth,
    Probability,
    Raise,
    TransportError,
)
from fake_shopify.faults import FaultPlan

CREATE = {"webhook": {"topic": "orders/create", "address": "https://h.example/"}}


class Crash(BaseException):
    """What the harness raises to abort a hook: no ``except Exception`` catches it."""


def test_http_error_fault_answers_shopify_body_and_changes_nothing(world: World) -> None:
    fault = world.fake.faults.arm(HttpError(503), match=Match(action="create_webhook"))
    response = world.client.post("/webhooks.json", json=CREATE)
    assert response.status_code == 503
    assert response.json() == {"errors": "Service Unavailable"}
    assert world.fake.webhooks() == []
    assert [f.fault_id for f in world.fake.faults.fired] == [fault.id] == ["fault-1"]
    assert world.client.post("/webhooks.json", json=CREATE).status_code == 201  # Next(1) only


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, {"errors": "An unexpected error occurred"}),
        (
            401,
            {
                "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
            },
        ),
        (404, {"errors": "Not Found"}),
        (502, {"errors": "Bad Gateway"}),
        (504, {"errors": "Gateway Timeout"}),
    ],
)
def test_http_error_bodies(world: World, status: int, body: object) -> None:
    world.fake.faults.arm(HttpError(status))
    response = world.client.get("/webhooks.json")
    assert response.status_code == status
    assert response.json() == body
    assert "x-request-id" in response.headers


def test_429_fault_carries_retry_after(world: World) -> None:
    world.fake.faults.arm(HttpError(429))
    world.fake.faults.arm(HttpError(429, retry_after=5.0))
    first, second = world.client.get("/webhooks.json"), world.client.get("/webhooks.json")
    assert (first.status_code, first.headers["retry-after"]) == (429, "2.0")
    assert second.headers["retry-after"] == "5.0"
    assert first.json()["errors"].startswith("Exceeded 2 calls per second")


@pytest.mark.parametrize(
    ("kind", "exc_type"),
    [
        ("connect_error", httpx.ConnectError),
        ("connect_timeout", httpx.ConnectTimeout),
        ("read_timeout", httpx.ReadTimeout),
        ("remote_protocol_error", httpx.RemoteProtocolError),
    ],
)
def test_transport_errors_are_real_httpx_exceptions(
    world: World, kind: str, exc_type: type[Exception]
) -> None:
    world.fake.faults.arm(TransportError(kind))  # type: ignore[arg-type]
    with pytest.raises(exc_type) as info:
        world.client.post("/webhooks.json", json=CREATE)
    assert isinstance(info.value, httpx.TransportError)
    assert info.value.request.url.path.endswith("/webhooks.json")
    assert world.fake.webhooks() == []  # nothing reached the state
    exchange = world.fake.journal[-1]
    assert exchange.error is info.value
    assert exchange.response is None
    assert exchange.fault_id == "fault-1"


def test_lost_response_applies_the_change(world: World) -> None:
    world.fake.faults.arm(LostResponse("remote_protocol_error"), match=Match(method="POST"))
    with pytest.raises(httpx.RemoteProtocolError):
        world.client.post("/webhooks.json", json=CREATE)
    assert len(world.fake.webhooks()) == 1  # applied, only the answer was lost
    exchange = world.fake.journal[-1]
    assert exchange.response is not None
    assert exchange.response.status_code == 201
    assert isinstance(exchange.error, httpx.RemoteProtocolError)
    # The retry meets Shopify's duplicate check.
    assert world.client.post("/webhooks.json", json=CREATE).status_code == 422


def test_latency_advances_the_clock(world: World) -> None:
    before = world.clock.now()
    world.fake.faults.arm(Latency(3.0))
    response = world.client.post("/webhooks.json", json=CREATE)
    assert response.status_code == 201
    assert (world.clock.now() - before).total_seconds() == 3.0
    assert response.json()["webhook"]["created_at"] == "2026-11-28T07:00:03-05:00"


def test_latency_beyond_the_read_timeout_times_out_after_applying(world: World) -> None:
    before = world.clock.now()
    world.fake.faults.arm(Latency(30.0))
    with pytest.raises(httpx.ReadTimeout):
        world.client.post("/webhooks.json", json=CREATE, timeout=5.0)
    assert (world.clock.now() - before).total_seconds() == 5.0
    assert len(world.fake.webhooks()) == 1


def test_raise_propagates_a_base_exception_untouched(world: World) -> None:
    crash = Crash("abort at request 1")
    world.fake.faults.arm(Raise(lambda request: crash))

    def careless() -> None:
        try:
            world.client.post("/webhooks.json", json=CREATE)
        except Exception:  # what a careless integration writes; must not catch it
            pytest.fail("the crash was caught by except Exception")

    with pytest.raises(Crash) as info:
        careless()
    assert info.value is crash
    assert crash.__cause__ is None
    assert world.fake.journal[-1].error is crash
    assert world.fake.webhooks() == []


def test_raise_propagates_through_interception_sync_and_async() -> None:
    import asyncio

    world = make_world()
    crash = Crash("x")
    world.fake.faults.arm(Raise(lambda request: crash), schedule=Next(2))
    url = "https://acme.myshopify.com/admin/api/2026-10/webhooks.json"
    headers = {"X-Shopify-Access-Token": world.token}
    with world.fake.intercept():
        with pytest.raises(Crash) as info:
            httpx.get(url, headers=headers)
        assert info.value is crash

        async def run() -> None:
            async with httpx.AsyncClient() as client:
                await client.get(url, headers=headers)

        with pytest.raises(Crash) as async_info:
            asyncio.run(run())
        assert async_info.value is crash


def test_match_by_method_path_action_and_shop(world: World) -> None:
    fake = world.fake
    fake.add_shop("beta")
    fake.faults.arm(HttpError(500), match=Match(shop="beta"), schedule=Always())
    fake.faults.arm(HttpError(502), match=Match(method="DELETE"), schedule=Always())
    fake.faults.arm(
        HttpError(503), match=Match(path="/admin/api/*/webhooks/count.json"), schedule=Always()
    )
    assert world.client.get("/webhooks.json").status_code == 200
    assert world.client.get("/webhooks/count.json").status_code == 503
    assert world.client.delete("/webhooks/1.json").status_code == 502
    assert (
        world.client.get("https://beta.myshopify.com/admin/api/2026-10/webhooks.json").status_code
        == 500
    )
    assert fake.faults.unfired() == []


def test_nth_schedule(world: World) -> None:
    fault = world.fake.faults.arm(
        HttpError(500), match=Match(action="list_webhooks"), schedule=Nth(3)
    )
    statuses = [world.client.get("/webhooks.json").status_code for _ in range(5)]
    world.client.get("/webhooks/count.json")  # does not match, does not count
    assert statuses == [200, 200, 500, 200, 200]
    assert [f.fault_id for f in world.fake.faults.fired] == [fault.id]
    assert world.fake.faults.fired[0].exchange_index == 2
    assert world.fake.faults.armed() == []


def test_next_k_schedule_and_unfired(world: World) -> None:
    plan = world.fake.faults
    hits = plan.arm(HttpError(500), schedule=Next(2))
    never = plan.arm(HttpError(500), match=Match(action="create_webhook"))
    forever = plan.arm(HttpError(500), match=Match(action="graphql"), schedule=Always())
    statuses = [world.client.get("/webhooks.json").status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert [f.fault_id for f in plan.fired] == [hits.id, hits.id]
    assert plan.unfired() == [never, forever]
    plan.clear()
    assert plan.unfired() == []
    assert plan.armed() == []


def test_first_armed_fault_takes_the_request(world: World) -> None:
    plan = world.fake.faults
    plan.arm(HttpError(500))
    plan.arm(HttpError(503))
    assert [world.client.get("/webhooks.json").status_code for _ in range(3)] == [500, 503, 200]


def test_probability_schedule_is_seeded_and_deterministic() -> None:
    def run(seed: int) -> list[int]:
        world = make_world(rate_limits=False)
        world.fake.faults.arm(HttpError(500), schedule=Probability(0.5, seed=seed))
        return [world.client.get("/webhooks/count.json").status_code for _ in range(40)]

    first = run(7)
    assert first == run(7)
    assert 5 < first.count(500) < 35
    assert first != run(8)


def test_invalid_schedules_are_rejected() -> None:
    plan = FaultPlan()
    with pytest.raises(ValueError, match="1-based"):
        plan.arm(HttpError(500), schedule=Nth(0))
    with pytest.raises(ValueError, match="k >= 1"):
        plan.arm(HttpError(500), schedule=Next(0))
    with pytest.raises(ValueError, match="0 <= p <= 1"):
        plan.arm(HttpError(500), schedule=Probability(1.5))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 12))
def test_nth_and_next_fire_exactly_as_scheduled(n: int, k: int, requests: int) -> None:
    plan = FaultPlan()
    nth = plan.arm(HttpError(500), match=Match(method="GET"), schedule=Nth(n))
    chosen = [plan.select("GET", "/p", None, None) for _ in range(requests)]
    assert [i for i, c in enumerate(chosen) if c is nth] == ([n - 1] if requests >= n else [])
    plan2 = FaultPlan()
    nxt = plan2.arm(HttpError(500), schedule=Next(k))
    chosen2 = [plan2.select("GET", "/p", None, None) for _ in range(requests)]
    assert sum(c is nxt for c in chosen2) == min(k, requests)
    assert all(c is nxt for c in chosen2[: min(k, requests)])


def test_journal_records_every_exchange(world: World) -> None:
    mark = world.fake.journal.mark()
    created = world.client.post("/webhooks.json", json=CREATE)
    world.client.get("/webhooks.json")
    exchanges = world.fake.journal.since(mark)
    assert [e.action for e in exchanges] == ["create_webhook", "list_webhooks"]
    first = exchanges[0]
    assert first.response is created
    assert first.request.method == "POST"
    assert (first.shop, first.app, first.error, first.fault_id) == ("acme", "bot", None, None)
    assert first.request_id == created.headers["x-request-id"]
    assert first.time == world.clock.now()
    assert world.fake.journal.since(world.fake.journal.mark()) == []


def test_bounded_journal_keeps_the_latest() -> None:
    world = make_world(journal_limit=3)
    for _ in range(5):
        world.client.get("/webhooks/count.json")
    journal = world.fake.journal
    assert len(journal) == 3
    assert journal.total == 5
    assert [e.index for e in journal] == [2, 3, 4]
    assert [e.index for e in journal.since(1)] == [2, 3, 4]
    assert [e.index for e in journal.since(4)] == [4]


def test_reset_rebuilds_everything_but_keeps_options() -> None:
    world = make_world(journal_limit=2, topic_update="reject")
    world.fake.faults.arm(HttpError(500))
    world.client.get("/webhooks.json")
    world.fake.reset()
    assert world.fake.webhooks() == []
    assert len(world.fake.journal) == 0
    assert world.fake.faults.fired == []
    assert world.fake.backend.topic_update == "reject"
    assert world.fake.journal.limit == 2
    assert isinstance(world.fake, FakeShopify)
