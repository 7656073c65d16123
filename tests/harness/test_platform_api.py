"""The platform's state API served on loopback, as ``@botpress/client`` calls it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_shopify import Nth
from fake_shopify.clock import ManualClock
from harness.runtime.platform_api import ServedPlatformAPI
from harness.runtime.store import StateStore

START = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
BASE = "/v1/chat/states/integration/int_1/webhooks"


@pytest.fixture
def served() -> Iterator[tuple[ServedPlatformAPI, httpx.Client]]:
    store = StateStore(clock=ManualClock(START))
    with ServedPlatformAPI(store, token="bp_test_token") as api:
        client = httpx.Client(
            base_url=api.url,
            headers={
                "Authorization": "Bearer bp_test_token",
                "x-bot-id": "bot_1",
                "x-integration-id": "int_1",
            },
        )
        yield api, client
        client.close()


def test_url_is_loopback_with_the_bound_port(
    served: tuple[ServedPlatformAPI, httpx.Client],
) -> None:
    api, _ = served
    assert api.url == f"http://127.0.0.1:{api.port}"
    assert api.port > 0


def test_get_missing_is_resource_not_found_in_the_clients_error_shape(
    served: tuple[ServedPlatformAPI, httpx.Client],
) -> None:
    _, client = served
    response = client.get(BASE)
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"id", "code", "type", "message"}
    assert (body["code"], body["type"], body["message"]) == (
        404,
        "ResourceNotFound",
        "No State found",
    )
    assert body["id"].startswith("err_")


def test_set_get_patch_get_or_set_and_delete(
    served: tuple[ServedPlatformAPI, httpx.Client],
) -> None:
    api, client = served
    created = client.post(BASE, json={"payload": {"ids": [1], "v": 1}, "expiry": None})
    assert created.status_code == 200
    state = created.json()["state"]
    assert state["payload"] == {"ids": [1], "v": 1}
    assert (state["botId"], state["type"], state["name"]) == ("bot_1", "integration", "webhooks")
    assert state["createdAt"] == state["updatedAt"] == "2026-11-01T12:00:00.000Z"
    assert state["id"].startswith("state_")
    assert client.get(BASE).json()["state"] == state
    patched = client.patch(BASE, json={"payload": {"v": 2}}).json()["state"]
    assert patched["payload"] == {"ids": [1], "v": 2}
    again = client.post(f"{BASE}/get-or-set", json={"payload": {"other": True}})
    assert again.json()["meta"] == {"cached": True}
    assert again.json()["state"]["payload"] == {"ids": [1], "v": 2}
    fresh = client.post(
        "/v1/chat/states/integration/int_1/other/get-or-set", json={"payload": {"n": 1}}
    ).json()
    assert fresh["meta"] == {"cached": False}
    deleted = client.post(BASE, json={"payload": None})
    assert deleted.json() == {"state": None}
    assert client.get(BASE).status_code == 404
    methods = [call.method for call in api.store.calls]
    assert methods == [
        "set_state",
        "get_state",
        "patch_state",
        "get_or_set_state",
        "get_or_set_state",
        "set_state",
        "get_state",
    ]
    assert api.store.states("bot_1") == {
        ("integration", "int_1", "other"): api.store.get(
            "bot_1", "int_1", "integration", "int_1", "other"
        )
    }


def test_patch_of_missing_state_is_404(served: tuple[ServedPlatformAPI, httpx.Client]) -> None:
    _, client = served
    assert client.patch(BASE, json={"payload": {"v": 1}}).json()["type"] == "ResourceNotFound"


def test_bearer_token_is_required(served: tuple[ServedPlatformAPI, httpx.Client]) -> None:
    api, client = served
    for headers in ({"Authorization": "Bearer wrong"}, {"Authorization": ""}):
        response = client.get(BASE, headers=headers)
        assert response.status_code == 401
        assert response.json()["type"] == "Unauthorized"
    assert api.store.calls == []  # refused before the store


def test_bad_input_is_invalid_payload(served: tuple[ServedPlatformAPI, httpx.Client]) -> None:
    _, client = served
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", BASE, {"content": b"{not json"}),
        ("POST", BASE, {"json": [1, 2]}),
        ("POST", BASE, {"json": {"expiry": 5}}),
        ("POST", BASE, {"json": {"payload": "text"}}),
        ("POST", BASE, {"json": {"payload": {}, "expiry": -1}}),
        ("GET", "/v1/chat/states/bogus/int_1/webhooks", {}),
        ("GET", BASE, {"headers": {"x-bot-id": ""}}),
    ]
    for method, path, kwargs in cases:
        response = client.request(method, path, **kwargs)
        assert response.status_code == 400, (method, path, kwargs, response.text)
        assert response.json()["type"] == "InvalidPayload"


def test_unimplemented_route_is_501_naming_it(
    served: tuple[ServedPlatformAPI, httpx.Client],
) -> None:
    _, client = served
    response = client.delete(BASE)
    assert response.status_code == 501
    assert f"DELETE {BASE} is not implemented" in response.json()["message"]
    assert client.get("/v1/chat/conversations").status_code == 501


def test_platform_faults_apply(served: tuple[ServedPlatformAPI, httpx.Client]) -> None:
    api, client = served
    fault = api.store.faults.arm(503, method="set_state", schedule=Nth(1))
    response = client.post(BASE, json={"payload": {"a": 1}})
    assert response.status_code == 503
    assert response.json()["message"] == f"injected platform fault {fault.id}: HTTP 503"
    assert client.post(BASE, json={"payload": {"a": 1}}).status_code == 200
    assert [f.fault_id for f in api.store.faults.fired] == [fault.id]


def test_expiry_follows_the_store_clock(served: tuple[ServedPlatformAPI, httpx.Client]) -> None:
    api, client = served
    state = client.post(BASE, json={"payload": {"a": 1}, "expiry": 60_000}).json()["state"]
    assert state["expiresAt"] == "2026-11-01T12:01:00.000Z"
    assert isinstance(api.store.clock, ManualClock)
    api.store.clock.advance(60)
    assert client.get(BASE).status_code == 404


def test_loopback_only_and_not_started() -> None:
    with pytest.raises(ValueError, match="loopback only"):
        ServedPlatformAPI(StateStore(), host="0.0.0.0")
    with pytest.raises(RuntimeError, match="not started"):
        _ = ServedPlatformAPI(StateStore()).url


@settings(max_examples=30, deadline=None)
@given(
    ops=st.lists(
        st.tuples(
            st.sampled_from(["get", "set", "delete", "patch", "get_or_set"]),
            st.sampled_from(["a", "b"]),
            st.dictionaries(st.sampled_from(["x", "y"]), st.integers(0, 3), max_size=2),
        ),
        max_size=12,
    )
)
def test_served_and_in_process_agree(ops: list[tuple[str, str, dict[str, int]]]) -> None:
    """The same calls through the served API and the store directly: same states, same errors."""
    local = StateStore(clock=ManualClock(START))
    remote = StateStore(clock=ManualClock(START))
    with (
        ServedPlatformAPI(remote, token="t") as api,
        httpx.Client(
            base_url=api.url,
            headers={"Authorization": "Bearer t", "x-bot-id": "b", "x-integration-id": "i"},
        ) as client,
    ):
        for op, name, payload in ops:
            path = f"/v1/chat/states/integration/i/{name}"
            try:
                if op == "get":
                    local.get("b", "i", "integration", "i", name)
                elif op == "set":
                    local.set("b", "i", "integration", "i", name, payload)
                elif op == "delete":
                    local.set("b", "i", "integration", "i", name, None)
                elif op == "patch":
                    local.patch("b", "i", "integration", "i", name, payload)
                else:
                    local.get_or_set("b", "i", "integration", "i", name, payload)
                expected = 200
            except Exception as exc:
                expected = getattr(exc, "code", 0)
            if op == "get":
                response = client.get(path)
            elif op in ("set", "delete"):
                response = client.post(path, json={"payload": payload if op == "set" else None})
            elif op == "patch":
                response = client.patch(path, json={"payload": payload})
            else:
                response = client.post(f"{path}/get-or-set", json={"payload": payload})
            assert response.status_code == expected
    assert remote.states("b") == local.states("b")
    assert remote.calls == local.calls


def test_admit_sees_each_request_first_and_may_drop_it_unanswered() -> None:
    """The Node target's turn point: ``admit`` gets the request's headers before the store is
    touched (it may block there); ``False`` drops the request with no answer and no state."""
    store = StateStore(clock=ManualClock(START))
    seen: list[str | None] = []

    def admit(headers: Any) -> bool:
        seen.append(headers.get("x-lh-call-id"))
        return headers.get("x-lh-call-id") != "gone"

    with ServedPlatformAPI(store, token="t", admit=admit) as api:
        headers = {"Authorization": "Bearer t", "x-bot-id": "bot_1", "x-integration-id": "int_1"}
        with httpx.Client(base_url=api.url, headers=headers) as client:
            kept = client.post(BASE, json={"payload": {"n": 1}}, headers={"x-lh-call-id": "c1"})
            assert kept.status_code == 200
            with pytest.raises(httpx.RemoteProtocolError):
                client.post(BASE, json={"payload": {"n": 2}}, headers={"x-lh-call-id": "gone"})
    assert seen == ["c1", "gone"]
    assert store.get("bot_1", "int_1", "integration", "int_1", "webhooks").payload == {"n": 1}
