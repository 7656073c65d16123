"""State store semantics, platform-client faults, the sync and async clients, API errors."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_shopify.faults import Always, Next, Nth, Probability
from harness.runtime import (
    AlreadyExistsError,
    ApiError,
    AsyncPlatformClient,
    Context,
    InternalError,
    InvalidPayloadError,
    PlatformClient,
    RateLimitedError,
    ResourceNotFoundError,
    RuntimeError,
    StateStore,
    UnknownError,
    api_error_for_status,
    default_webhook_url,
    is_api_error,
)
from harness.runtime.vtime import VirtualTime

# -- API errors -------------------------------------------------------------------------------


def test_runtime_error_is_the_sdk_shape() -> None:
    err = RuntimeError("bad shop name", metadata={"field": "shopName"})
    assert err.is_api_error is True
    assert (err.code, err.type, err.message, str(err)) == (
        400,
        "Runtime",
        "bad shop name",
        "bad shop name",
    )
    assert err.to_dict() == {
        "id": None,
        "code": 400,
        "type": "Runtime",
        "message": "bad shop name",
        "metadata": {"field": "shopName"},
    }
    # The inner error is kept but, as in the SDK, never serialised.
    inner = ValueError("secret detail")
    assert RuntimeError("x", inner).error is inner
    assert "secret detail" not in json.dumps(RuntimeError("x", inner).to_dict())


def test_runtime_error_is_not_the_builtin() -> None:
    import builtins

    assert not issubclass(RuntimeError, builtins.RuntimeError)
    assert issubclass(RuntimeError, ApiError)


def test_resource_not_found() -> None:
    err = ResourceNotFoundError("No State found")
    assert (err.code, err.type) == (404, "ResourceNotFound")


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidPayloadError),
        (404, ResourceNotFoundError),
        (409, AlreadyExistsError),
        (429, RateLimitedError),
        (500, InternalError),
        (503, UnknownError),
        (418, UnknownError),
    ],
)
def test_status_maps_to_api_error(status: int, cls: type[ApiError]) -> None:
    err = api_error_for_status(status)
    assert type(err) is cls
    assert err.code == status
    assert is_api_error(err)


def test_duck_typing_on_is_api_error() -> None:
    class Foreign(Exception):
        is_api_error = True

    class JsStyle(Exception):
        isApiError = True

    class Truthy(Exception):
        is_api_error = "yes"  # the SDK compares with === true

    assert is_api_error(Foreign())
    assert is_api_error(JsStyle())
    assert not is_api_error(Truthy())
    assert not is_api_error(ValueError())


# -- store semantics ---------------------------------------------------------------------------


@pytest.fixture
def vt() -> VirtualTime:
    return VirtualTime()  # not started: the store only reads now(), nothing is frozen


@pytest.fixture
def store(vt: VirtualTime) -> StateStore:
    return StateStore(clock=vt)


def test_missing_state_raises_no_state_found(store: StateStore) -> None:
    with pytest.raises(ResourceNotFoundError, match="No State found") as info:
        store.get("bot1", "int1", "integration", "int1", "webhooks")
    assert info.value.code == 404


def test_set_replaces_the_whole_payload(store: StateStore, vt: VirtualTime) -> None:
    first = store.set("bot1", "int1", "integration", "int1", "w", {"a": 1, "b": 2})
    vt.advance(5)
    second = store.set("bot1", "int1", "integration", "int1", "w", {"c": 3})
    assert first is not None
    assert second is not None
    got = store.get("bot1", "int1", "integration", "int1", "w")
    assert got.payload == {"c": 3}
    assert got.created_at == first.created_at
    assert got.updated_at == first.updated_at + dt.timedelta(seconds=5)


def test_none_deletes_and_deleting_nothing_is_fine(store: StateStore) -> None:
    assert store.set("bot1", "int1", "integration", "int1", "w", None) is None
    store.set("bot1", "int1", "integration", "int1", "w", {"a": 1})
    store.set("bot1", "int1", "integration", "int1", "w", None)
    with pytest.raises(ResourceNotFoundError):
        store.get("bot1", "int1", "integration", "int1", "w")


def test_patch_merges_top_level_keys(store: StateStore) -> None:
    store.set("bot1", "int1", "user", "u1", "prefs", {"a": 1, "nested": {"x": 1, "y": 2}})
    patched = store.patch("bot1", "int1", "user", "u1", "prefs", {"b": 2, "nested": {"x": 9}})
    assert patched.payload == {"a": 1, "b": 2, "nested": {"x": 9}}


def test_patch_of_missing_state_is_not_found(store: StateStore) -> None:
    with pytest.raises(ResourceNotFoundError):
        store.patch("bot1", "int1", "integration", "int1", "w", {"a": 1})


def test_get_or_set(store: StateStore) -> None:
    created, was_created = store.get_or_set("bot1", "i", "integration", "i", "w", {"a": 1})
    existing, again = store.get_or_set("bot1", "i", "integration", "i", "w", {"a": 2})
    assert (was_created, again) == (True, False)
    assert created.payload == existing.payload == {"a": 1}


def test_invalid_type_is_a_clear_error(store: StateStore) -> None:
    with pytest.raises(InvalidPayloadError, match="integration, conversation, user"):
        store.set("bot1", "int1", "bot", "int1", "w", {"a": 1})


def test_payload_must_be_an_object(store: StateStore) -> None:
    with pytest.raises(InvalidPayloadError, match="mapping"):
        store.set("bot1", "int1", "integration", "int1", "w", [1, 2])  # type: ignore[arg-type]


def test_returned_state_is_a_copy(store: StateStore) -> None:
    store.set("bot1", "i", "integration", "i", "w", {"ids": [1]})
    got = store.get("bot1", "i", "integration", "i", "w")
    got.payload["ids"].append(2)
    assert store.get("bot1", "i", "integration", "i", "w").payload == {"ids": [1]}


def test_states_are_keyed_by_bot_and_integration(store: StateStore) -> None:
    store.set("bot1", "int1", "integration", "int1", "w", {"bot": 1})
    store.set("bot2", "int1", "integration", "int1", "w", {"bot": 2})
    store.set("bot1", "int2", "integration", "int1", "w", {"bot": 3})
    assert store.get("bot2", "int1", "integration", "int1", "w").payload == {"bot": 2}
    assert set(store.states("bot1")) == {("integration", "int1", "w")}
    assert len(store.states("bot2")) == 1
    store.wipe("bot1")
    assert store.states("bot1") == {}
    assert store.states("bot2") != {}


def test_expiry_is_measured_on_the_clock(store: StateStore, vt: VirtualTime) -> None:
    state = store.set("bot1", "i", "integration", "i", "w", {"a": 1}, expiry=1500)
    assert state is not None
    assert state.expires_at == vt.now() + dt.timedelta(milliseconds=1500)
    vt.advance(1.4)
    assert store.get("bot1", "i", "integration", "i", "w").payload == {"a": 1}
    # A write counts as activity: the idle period restarts.
    store.patch("bot1", "i", "integration", "i", "w", {"b": 2})
    vt.advance(1.4)
    assert store.get("bot1", "i", "integration", "i", "w").payload == {"a": 1, "b": 2}
    vt.advance(0.2)
    with pytest.raises(ResourceNotFoundError):
        store.get("bot1", "i", "integration", "i", "w")
    assert store.states("bot1") == {}


@pytest.mark.parametrize("expiry", [0, -1, 2_592_000_001, 1.5, True])
def test_expiry_out_of_range(store: StateStore, expiry: Any) -> None:
    with pytest.raises(InvalidPayloadError, match="milliseconds"):
        store.set("bot1", "i", "integration", "i", "w", {"a": 1}, expiry=expiry)


# -- model-based: the store against a dict -----------------------------------------------------

keys = st.tuples(
    st.sampled_from(["bot1", "bot2"]),
    st.sampled_from(["integration", "user"]),
    st.sampled_from(["a", "b"]),
    st.sampled_from(["w", "x"]),
)
payloads = st.dictionaries(st.sampled_from(["k", "l", "m"]), st.integers(0, 3), max_size=3)
ops = st.one_of(
    st.tuples(st.just("get"), keys),
    st.tuples(
        st.just("set"), keys, st.one_of(st.none(), payloads), st.sampled_from([None, 1000, 5000])
    ),
    st.tuples(st.just("get_or_set"), keys, payloads),
    st.tuples(st.just("patch"), keys, payloads),
    st.tuples(st.just("advance"), st.sampled_from([0.5, 2.0])),
    st.tuples(st.just("wipe"), st.sampled_from(["bot1", "bot2"])),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(ops, max_size=25))
def test_store_matches_a_dict_model(program: list[tuple[Any, ...]]) -> None:
    vt = VirtualTime()
    store = StateStore(clock=vt)
    # model: key -> (payload, last write time in seconds, expiry ms)
    model: dict[tuple[str, str, str, str], tuple[dict[str, int], float, int | None]] = {}
    now = 0.0

    def live(key: tuple[str, str, str, str]) -> dict[str, int] | None:
        entry = model.get(key)
        if entry is None:
            return None
        payload, written, expiry = entry
        if expiry is not None and (now - written) * 1000 >= expiry:
            del model[key]
            return None
        return payload

    for op in program:
        kind = op[0]
        if kind == "advance":
            vt.advance(op[1])
            now += op[1]
            continue
        if kind == "wipe":
            store.wipe(op[1])
            for key in [k for k in model if k[0] == op[1]]:
                del model[key]
            continue
        bot, type_, id_, name = op[1]
        expected = live(op[1])
        if kind == "get":
            if expected is None:
                with pytest.raises(ResourceNotFoundError):
                    store.get(bot, "int", type_, id_, name)
            else:
                assert store.get(bot, "int", type_, id_, name).payload == expected
        elif kind == "set":
            result = store.set(bot, "int", type_, id_, name, op[2], expiry=op[3])
            if op[2] is None:
                assert result is None
                model.pop(op[1], None)
            else:
                assert result is not None
                assert result.payload == op[2]
                model[op[1]] = (copy.deepcopy(op[2]), now, op[3])
        elif kind == "get_or_set":
            state, created = store.get_or_set(bot, "int", type_, id_, name, op[2])
            assert created == (expected is None)
            if expected is None:
                model[op[1]] = (copy.deepcopy(op[2]), now, None)
                assert state.payload == op[2]
            else:
                assert state.payload == expected
        elif kind == "patch":
            if expected is None:
                with pytest.raises(ResourceNotFoundError):
                    store.patch(bot, "int", type_, id_, name, op[2])
            else:
                merged = {**expected, **op[2]}
                assert store.patch(bot, "int", type_, id_, name, op[2]).payload == merged
                model[op[1]] = (merged, now, model[op[1]][2])
    for bot in ("bot1", "bot2"):
        want = {
            (k[1], k[2], k[3]): p for k in list(model) if k[0] == bot and (p := live(k)) is not None
        }
        assert {key: s.payload for key, s in store.states(bot).items()} == want


# -- faults ------------------------------------------------------------------------------------


def test_fault_next_fires_on_the_next_calls_and_leaves_state_alone(store: StateStore) -> None:
    client = PlatformClient(store, bot_id="bot1", integration_id="i")
    fault = store.faults.arm(503, method="set_state", schedule=Next(2))
    for _ in range(2):
        with pytest.raises(UnknownError) as info:
            client.set_state("integration", "i", "w", {"a": 1})
        assert info.value.code == 503
    assert store.states("bot1") == {}
    client.set_state("integration", "i", "w", {"a": 1})
    assert [f.fault_id for f in store.faults.fired] == [fault.id, fault.id]
    assert [c.fault_id for c in store.calls] == [fault.id, fault.id, None]
    assert store.faults.unfired() == []


def test_fault_nth_and_method_filter(store: StateStore) -> None:
    client = PlatformClient(store, bot_id="bot1", integration_id="i")
    client.set_state("integration", "i", "w", {"a": 1})
    store.faults.arm(404, method="get_state", schedule=Nth(2))
    client.get_state("integration", "i", "w")
    client.set_state("integration", "i", "w", {"a": 2})  # other methods do not count
    with pytest.raises(ResourceNotFoundError):
        client.get_state("integration", "i", "w")
    assert client.get_state("integration", "i", "w").payload == {"a": 2}


def test_fault_always_and_bot_filter(store: StateStore) -> None:
    one = PlatformClient(store, bot_id="bot1", integration_id="i")
    two = PlatformClient(store, bot_id="bot2", integration_id="i")
    store.faults.arm(500, schedule=Always(), bot_id="bot1")
    for _ in range(3):
        with pytest.raises(InternalError):
            one.get_or_set_state("integration", "i", "w", {"a": 1})
    assert two.get_or_set_state("integration", "i", "w", {"a": 1}).payload == {"a": 1}
    assert len(store.faults.fired) == 3
    assert [f.id for f in store.faults.unfired()] == []
    store.faults.clear()
    one.get_or_set_state("integration", "i", "w", {"a": 1})


@given(st.floats(0.1, 0.9), st.integers(0, 1000))
@settings(max_examples=20, deadline=None)
def test_fault_probability_is_seeded(p: float, seed: int) -> None:
    def pattern() -> tuple[list[bool], int]:
        store = StateStore()
        store.faults.arm(429, schedule=Probability(p, seed))
        client = PlatformClient(store, bot_id="b", integration_id="i")
        out = []
        for _ in range(30):
            try:
                client.set_state("integration", "i", "w", {})
                out.append(False)
            except RateLimitedError:
                out.append(True)
        return out, len(store.faults.fired)

    first, fired = pattern()
    assert (first, fired) == pattern()
    assert fired == sum(first)


def test_fault_arm_rejects_nonsense(store: StateStore) -> None:
    with pytest.raises(ValueError, match="error status"):
        store.faults.arm(200)
    with pytest.raises(ValueError, match="unknown platform method"):
        store.faults.arm(500, method="getState")
    with pytest.raises(ValueError, match="1-based"):
        store.faults.arm(500, schedule=Nth(0))
    with pytest.raises(ValueError, match="k >= 1"):
        store.faults.arm(500, schedule=Next(0))
    with pytest.raises(ValueError, match="0 <= p <= 1"):
        store.faults.arm(500, schedule=Probability(1.5))


def test_unfired_armed_and_disarm(store: StateStore) -> None:
    client = PlatformClient(store, bot_id="bot1", integration_id="i")
    always = store.faults.arm(500, method="patch_state", schedule=Always())
    once = store.faults.arm(409, method="get_or_set_state")
    assert store.faults.armed() == [always, once]
    with pytest.raises(AlreadyExistsError):
        client.get_or_set_state("integration", "i", "w", {})
    assert store.faults.armed() == [always]
    assert store.faults.unfired() == [always]  # an Always that never matched is unfired
    store.faults.disarm(always)
    assert store.faults.armed() == []
    client.get_or_set_state("integration", "i", "w", {})
    client.patch_state("integration", "i", "w", {"a": 1})


# -- clients -----------------------------------------------------------------------------------


def test_sync_and_async_clients_share_one_store(store: StateStore) -> None:
    sync = PlatformClient(store, bot_id="bot1", integration_id="i")
    aclient = AsyncPlatformClient(store, bot_id="bot1", integration_id="i")
    sync.set_state("integration", "i", "w", {"a": 1})

    async def use() -> dict[str, Any]:
        got = await aclient.get_state("integration", "i", "w")
        await aclient.patch_state("integration", "i", "w", {"b": 2})
        await aclient.get_or_set_state("user", "u", "p", {"c": 3})
        await aclient.set_state(type="conversation", id="c", name="n", payload={"d": 4})
        await aclient.configure_integration(identifier="acme", schedule_register_call="daily")
        return got.payload

    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(use()) == {"a": 1}
    finally:
        loop.close()
    assert sync.get_state("integration", "i", "w").payload == {"a": 1, "b": 2}
    assert sync.get_state("user", "u", "p").payload == {"c": 3}
    assert [(c.identifier, c.schedule_register_call) for c in store.configure_calls] == [
        ("acme", "daily")
    ]
    assert [c.method for c in store.calls] == [
        "set_state",
        "get_state",
        "patch_state",
        "get_or_set_state",
        "set_state",
        "configure_integration",
        "get_state",
        "get_state",
    ]


def test_async_client_yields_between_calls(store: StateStore) -> None:
    # Two tasks doing read-then-write interleave, as two network clients would.
    aclient = AsyncPlatformClient(store, bot_id="bot1", integration_id="i")
    order: list[str] = []

    async def worker(name: str) -> None:
        order.append(f"{name} start")
        await aclient.set_state("integration", "i", name, {"n": name})
        order.append(f"{name} end")

    async def both() -> None:
        await asyncio.gather(worker("a"), worker("b"))

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(both())
    finally:
        loop.close()
    assert order == ["a start", "b start", "a end", "b end"]


# -- context -----------------------------------------------------------------------------------


def test_context_is_frozen_and_configuration_read_only() -> None:
    config = {"shopName": "acme", "access_token": "shpat_x", "topics": ["a"], "n": {"k": 1}}
    ctx = Context(bot_id="bot1", integration_id="i", webhook_id="wh", configuration=config)
    with pytest.raises(TypeError, match="read-only"):
        ctx.configuration["shopName"] = "other"  # type: ignore[index]
    with pytest.raises(TypeError, match="read-only"):
        ctx.configuration["n"]["k"] = 2
    with pytest.raises(AttributeError):
        ctx.bot_id = "x"  # type: ignore[misc]
    config["shopName"] = "changed later"
    assert ctx.configuration["shopName"] == "acme"
    # Still JSON and ** friendly, as integrations use it.
    assert json.loads(json.dumps(ctx.configuration))["topics"] == ["a"]
    assert {**ctx.configuration}["access_token"] == "shpat_x"
    assert ctx.configuration_type is None
    assert ctx.for_operation("unregister").operation == "unregister"
    assert default_webhook_url("wh") == "https://webhook.botpress.cloud/wh"
