"""Each example does what its docstring says, shown by driving its hooks directly against the fake.

No simulator here: a hand-built context, client and logger per call (``conftest.ExampleWorld``).
The correct examples are shown idempotent, convergent, clean, reporting and tenant-safe in the
situations their docstrings name; each buggy example is shown to carry exactly its bug.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_shopify import Always, HttpError, LostResponse, Match, Next, Nth, TransportError
from harness import platform
from harness.examples import EXAMPLES

CORRECT = sorted(name for name, example in EXAMPLES.items() if example.correct)
MUTATING = ("POST", "PUT", "DELETE")
TOPICS = ("orders/create", "orders/cancelled", "customers/create")
TOPICS_TWICE = TOPICS * 2


def token_of(exchange: Any) -> str | None:
    value = exchange.request.headers.get("X-Shopify-Access-Token")
    return None if value is None else str(value)


# -- correct examples ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CORRECT)
def test_register_twice_leaves_one_subscription_per_topic(
    world: Any, load: Callable[[str], ModuleType], name: str, no_sleep: list[float]
) -> None:
    module = load(name)
    first = world.call(module, "register")
    after_first = world.own()
    mark = len(world.requests())
    second = world.call(module, "register")

    assert first.ok, first.exception
    assert second.ok, second.exception
    assert after_first == world.wanted()
    assert world.own() == world.wanted()
    assert not first.at_least("warn")
    assert not second.at_least("warn")
    mutations = [e for e in world.requests()[mark:] if e.request.method in MUTATING]
    if name in ("delete_and_recreate", "no_retry"):
        # Their style: every register rebuilds (same content, new ids).
        assert {e.request.method for e in mutations} == {"DELETE", "POST"}
    else:
        assert mutations == [], "a second register should find everything in place"


@pytest.mark.parametrize("name", CORRECT)
def test_register_converges_after_drift_lost_state_and_token_rotation(
    world: Any, load: Callable[[str], ModuleType], name: str, no_sleep: list[float]
) -> None:
    module = load(name)
    shop = world.tenants["bot1"].shop
    assert world.call(module, "register").ok
    states_after_register = world.states()
    world.fake.remove_webhook(shop, world.fake.webhooks(shop)[1].id)  # Shopify dropped one
    assert world.call(module, "register").ok
    assert world.own() == world.wanted(), "a subscription Shopify removed was not re-created"

    world.fake.remove_webhook(shop, world.fake.webhooks(shop)[0].id)
    world.store.wipe("bot1")  # the platform lost the states
    old_token = world.tenants["bot1"].token
    new_token = world.rotate_token()  # a configuration save with a new token
    mark = len(world.requests())

    outcome = world.call(module, "register")

    assert outcome.ok, outcome.exception
    assert world.own() == world.wanted()
    assert {token_of(e) for e in world.requests()[mark:]} == {new_token} != {old_token}
    assert world.states().keys() == states_after_register.keys()


@pytest.mark.parametrize("name", CORRECT)
def test_unregister_removes_exactly_its_own_subscriptions(
    make_world: Callable[..., Any],
    load: Callable[[str], ModuleType],
    name: str,
    no_sleep: list[float],
) -> None:
    world = make_world(bots_per_shop=2)  # two bots of the same app on one shop
    module = load(name)
    assert world.call(module, "register", "bot1").ok
    assert world.call(module, "register", "bot2").ok

    first = world.call(module, "unregister", "bot1")
    again = world.call(module, "unregister", "bot1")

    assert first.ok, first.exception
    assert again.ok, again.exception
    assert world.own("bot1") == []
    assert world.own("bot2") == world.wanted("bot2"), "another bot's subscriptions were touched"
    assert world.states("bot1") == {}
    assert not first.at_least("error")
    assert not again.at_least("error")


@pytest.mark.parametrize("name", CORRECT)
def test_unregister_with_nothing_to_delete_is_quiet(
    world: Any, load: Callable[[str], ModuleType], name: str
) -> None:
    outcome = world.call(load(name), "unregister")

    assert outcome.ok, outcome.exception
    assert not outcome.at_least("warn")
    assert [e.request.method for e in world.requests() if e.request.method in MUTATING] == []


@pytest.mark.parametrize("name", CORRECT)
def test_unrecoverable_failure_raises_runtime_error_without_the_token(
    world: Any, load: Callable[[str], ModuleType], name: str, no_sleep: list[float]
) -> None:
    world.fake.faults.arm(HttpError(503), match=Match(action="create_webhook"), schedule=Always())

    outcome = world.call(load(name), "register")

    assert isinstance(outcome.exception, platform.RuntimeError)
    assert "503" in str(outcome.exception)
    token = world.tenants["bot1"].token
    assert token not in str(outcome.exception)
    assert all(token not in record.text for record in outcome.logs)


@pytest.mark.parametrize("name", CORRECT)
def test_tenants_on_two_shops_keep_their_own_tokens(
    make_world: Callable[..., Any],
    load: Callable[[str], ModuleType],
    name: str,
    no_sleep: list[float],
) -> None:
    world = make_world(shops=("acme", "globex"))
    module = load(name)
    if platform_is_sync(module):
        outcomes = [world.call(module, "register", bot) for bot in ("bot1", "bot2")]
    else:
        outcomes = world.call_concurrently(module, "register", ["bot1", "bot2"])

    assert all(o.ok for o in outcomes), [o.exception for o in outcomes]
    tokens = {t.shop: t.token for t in world.tenants.values()}
    for exchange in world.requests():
        shop = exchange.request.url.host.split(".")[0]
        assert token_of(exchange) == tokens[shop]
    assert world.own("bot1") == world.wanted("bot1")
    assert world.own("bot2") == world.wanted("bot2")


def platform_is_sync(module: ModuleType) -> bool:
    return not inspect.iscoroutinefunction(module.register)


HISTORY_STEPS = st.lists(
    st.sampled_from(["register", "unregister", "drift", "lose_state", "rotate", "fault"]),
    max_size=5,
)


@pytest.mark.parametrize("name", CORRECT)
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=HISTORY_STEPS)
def test_any_history_then_register_converges_and_unregister_cleans(
    make_world: Callable[..., Any], name: str, history: list[str], no_sleep: list[float]
) -> None:
    world = make_world()  # a fresh world per generated history
    module = importlib.import_module(EXAMPLES[name].target)
    shop = world.tenants["bot1"].shop
    for step in history:
        if step in ("register", "unregister"):
            world.call(module, step)
        elif step == "drift" and world.own():
            world.fake.remove_webhook(shop, world.fake.webhooks(shop)[0].id)
        elif step == "lose_state":
            world.store.wipe("bot1")
        elif step == "rotate":
            world.rotate_token()
        elif step == "fault":
            world.fake.faults.arm(HttpError(500), match=Match(method="POST"), schedule=Next(1))
    world.fake.faults.clear()

    assert world.call(module, "register").ok
    assert world.own() == world.wanted()
    assert world.call(module, "unregister").ok
    assert world.own() == []
    assert world.states() == {}


# -- retries of the styles that retry ----------------------------------------------------------


def test_sync_backoff_honours_retry_after_and_backs_off_on_5xx(
    world: Any, load: Callable[[str], ModuleType], no_sleep: list[float]
) -> None:
    module = load("sync_backoff")
    world.fake.faults.arm(
        HttpError(429, retry_after=3.5), match=Match(action="create_webhook"), schedule=Next(1)
    )
    world.fake.faults.arm(HttpError(503), match=Match(action="list_webhooks"), schedule=Next(2))

    outcome = world.call(module, "register")

    assert outcome.ok, outcome.exception
    assert world.own() == world.wanted()
    assert no_sleep == [0.5, 1.0, 3.5]  # two exponential pauses for the 503s, then Retry-After


@pytest.mark.parametrize(
    "effect",
    [TransportError("connect_error"), LostResponse("read_timeout")],
    ids=["connect_error", "lost_response"],
)
def test_sync_backoff_retries_transport_errors_without_duplicates(
    world: Any, load: Callable[[str], ModuleType], no_sleep: list[float], effect: Any
) -> None:
    world.fake.faults.arm(effect, match=Match(action="create_webhook"), schedule=Nth(1))

    outcome = world.call(load("sync_backoff"), "register")

    assert outcome.ok, outcome.exception
    assert world.own() == world.wanted()  # a lost create answered 422 on retry: not duplicated


RETRYING = [name for name in CORRECT if name != "no_retry"]  # no_retry raises on a 429


@pytest.mark.parametrize("name", RETRYING)
def test_rate_limited_requests_wait_retry_after_and_succeed(
    world: Any, load: Callable[[str], ModuleType], name: str, no_sleep: list[float]
) -> None:
    # A 429 is not a fault in Shopify's eyes: it is the leaky bucket, and every client must wait.
    world.fake.faults.arm(
        HttpError(429, retry_after=3.0), match=Match(action="create_webhook"), schedule=Next(2)
    )

    outcome = world.call(load(name), "register")

    assert outcome.ok, outcome.exception
    assert no_sleep == [3.0, 3.0]
    assert world.own() == world.wanted()


def test_no_retry_raises_on_a_429_without_the_token(
    world: Any, load: Callable[[str], ModuleType], no_sleep: list[float]
) -> None:
    world.fake.faults.arm(HttpError(429, retry_after=3.0), match=Match(action="create_webhook"))

    outcome = world.call(load("no_retry"), "register")

    assert not outcome.ok
    assert "429" in str(outcome.exception)
    assert no_sleep == []


def test_delete_and_recreate_retries_server_errors_with_growing_pauses(
    world: Any, load: Callable[[str], ModuleType], no_sleep: list[float]
) -> None:
    world.fake.faults.arm(HttpError(503), match=Match(action="create_webhook"), schedule=Next(2))

    outcome = world.call(load("delete_and_recreate"), "register")

    assert outcome.ok, outcome.exception
    assert no_sleep == [0.5, 1.0]
    assert world.own() == world.wanted()


def test_state_tracked_writes_its_state_only_when_it_changed(
    world: Any, load: Callable[[str], ModuleType]
) -> None:
    module = load("state_tracked")
    assert world.call(module, "register").ok
    # Any further state write would now fail: a register that finds everything in place has
    # nothing to write.
    world.store.faults.arm(500, method="set_state", schedule=Always())

    assert world.call(module, "register").ok
    world.fake.remove_webhook(world.tenants["bot1"].shop, world.fake.webhooks()[0].id)
    failed = world.call(module, "register")  # re-created a subscription: a new id to store
    assert platform.is_api_error(failed.exception)  # the state API's 500 escaped: reported
    assert world.own() == world.wanted()


def test_find_or_create_walks_every_page(
    world: Any, load: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    module = load("find_or_create")
    monkeypatch.setattr(module, "PAGE_SIZE", 1)  # forces the Link header on a tiny shop
    assert world.call(module, "register").ok

    outcome = world.call(module, "unregister")

    assert outcome.ok, outcome.exception
    assert world.own() == []
    listed = [e for e in world.requests() if "page_info" in str(e.request.url)]
    assert listed, "unregister should have followed the Link header"


# -- buggy examples --------------------------------------------------------------------------------


def test_duplicate_webhooks_adds_a_subscription_per_topic_on_every_register(
    world: Any, load: Callable[[str], ModuleType]
) -> None:
    module = load("duplicate_webhooks")
    for _ in range(2):
        assert world.call(module, "register").ok

    topics = [topic for topic, _ in world.own()]
    assert sorted(topics) == sorted(TOPICS_TWICE)
    assert world.call(module, "unregister").ok
    assert world.own() == []  # its unregister is fine: only register is broken


def test_overwritten_ids_second_register_stores_none_and_unregister_orphans(
    world: Any, load: Callable[[str], ModuleType]
) -> None:
    module = load("overwritten_ids")
    assert world.call(module, "register").ok
    (first,) = world.states().values()
    assert world.call(module, "register").ok
    (second,) = world.states().values()

    assert all(isinstance(i, int) for i in first["webhookIds"])
    assert second["webhookIds"] == [None, None, None]
    assert world.call(module, "unregister").ok
    assert world.own() == world.wanted(), "every subscription is left behind"


def test_swallowed_errors_register_succeeds_with_nothing_created_and_no_warning(
    world: Any, load: Callable[[str], ModuleType]
) -> None:
    world.fake.faults.arm(HttpError(500), match=Match(action="create_webhook"), schedule=Always())

    outcome = world.call(load("swallowed_errors"), "register")

    assert outcome.ok
    assert world.own() == []
    assert not outcome.at_least("warn")
    assert any(r.level == "debug" and "500" in r.message for r in outcome.logs)


def test_leaky_error_log_puts_the_token_in_an_error_record(
    world: Any, load: Callable[[str], ModuleType]
) -> None:
    world.fake.faults.arm(HttpError(500), match=Match(action="create_webhook"), schedule=Nth(1))

    outcome = world.call(load("leaky_error_log"), "register")

    assert isinstance(outcome.exception, platform.RuntimeError)
    token = world.tenants["bot1"].token
    assert token not in str(outcome.exception)
    assert any(token in r.message for r in outcome.at_least("error"))


def test_stale_state_never_recreates_what_shopify_removed(
    world: Any, load: Callable[[str], ModuleType]
) -> None:
    module = load("stale_state")
    assert world.call(module, "register").ok
    shop = world.tenants["bot1"].shop
    removed = world.fake.webhooks(shop)[0]
    world.fake.remove_webhook(shop, removed.id)

    outcome = world.call(module, "register")

    assert outcome.ok
    assert not outcome.at_least("warn")
    assert (removed.topic, removed.address) not in world.own()
    assert len(world.own()) == len(TOPICS) - 1
    assert world.call(module, "unregister").ok
    assert world.own() == []  # unregister itself is fine


def test_orphaned_partial_failure_midway_leaves_subscriptions_after_unregister(
    world: Any, load: Callable[[str], ModuleType]
) -> None:
    module = load("orphaned_partial")
    assert world.call(module, "register").ok
    # The re-register deletes the three old ones, creates one, then its second create fails.
    world.fake.faults.arm(HttpError(503), match=Match(action="create_webhook"), schedule=Nth(2))

    failed = world.call(module, "register")
    assert isinstance(failed.exception, platform.RuntimeError)  # the failure itself is reported
    assert world.call(module, "unregister").ok

    assert len(world.own()) == 1, "the subscription created before the failure is orphaned"
    assert world.states() == {}


def test_orphaned_partial_first_register_failing_midway_orphans_too(
    world: Any, load: Callable[[str], ModuleType]
) -> None:
    module = load("orphaned_partial")
    world.fake.faults.arm(HttpError(503), match=Match(action="create_webhook"), schedule=Nth(2))
    assert not world.call(module, "register").ok  # the seeded state lists no id yet

    assert world.call(module, "unregister").ok
    assert len(world.own()) == 1


def test_orphaned_partial_sweeps_its_address_when_the_state_is_lost(
    world: Any, load: Callable[[str], ModuleType]
) -> None:
    module = load("orphaned_partial")
    assert world.call(module, "register").ok
    world.store.wipe("bot1")

    assert world.call(module, "unregister").ok
    assert world.own() == []  # only the A7 path orphans; lost state is handled


def test_shared_client_sends_one_bots_token_to_the_other_bots_shop(
    make_world: Callable[..., Any], load: Callable[[str], ModuleType]
) -> None:
    world = make_world(shops=("acme", "globex"))

    outcomes = world.call_concurrently(load("shared_client"), "register", ["bot1", "bot2"])

    tokens = {t.shop: t.token for t in world.tenants.values()}
    crossed = [
        e for e in world.requests() if token_of(e) != tokens[e.request.url.host.split(".")[0]]
    ]
    assert crossed, "the shared client should have mixed the tokens"
    assert not all(o.ok for o in outcomes)  # the crossed requests got 401


def test_shared_client_is_fine_for_one_bot_at_a_time(
    make_world: Callable[..., Any], load: Callable[[str], ModuleType]
) -> None:
    world = make_world(shops=("acme", "globex"))
    module = load("shared_client")
    for bot in ("bot1", "bot2"):
        assert world.call(module, "register", bot).ok
        assert world.own(bot) == world.wanted(bot)


def test_intolerant_unregister_fails_when_there_is_nothing_to_delete(
    world: Any, load: Callable[[str], ModuleType]
) -> None:
    module = load("intolerant_unregister")
    assert world.call(module, "register").ok
    assert world.call(module, "unregister").ok
    assert world.own() == []

    again = world.call(module, "unregister")

    assert isinstance(again.exception, platform.ResourceNotFoundError)


def test_shopify_docs_port_register_is_idempotent_but_unregister_deletes_nothing(
    world: Any, load: Callable[[str], ModuleType]
) -> None:
    module = load("shopify_docs_port")
    for _ in range(2):
        assert world.call(module, "register").ok
    assert world.own() == world.wanted(topics=("orders/create",))
    (state,) = world.states().values()

    assert world.call(module, "unregister").ok

    assert world.own() == world.wanted(topics=("orders/create",))
    assert list(world.states().values()) == [state]


def test_shopify_docs_port_swallows_errors_and_logs_the_token(
    world: Any, load: Callable[[str], ModuleType]
) -> None:
    world.fake.faults.arm(HttpError(503), match=Match(action="create_webhook"), schedule=Nth(1))

    outcome = world.call(load("shopify_docs_port"), "register")

    assert outcome.ok  # swallowed
    assert world.own() == []
    (record,) = outcome.at_least("error")
    assert world.tenants["bot1"].token in record.message
    assert "Webhook Creation' exception" in record.message


def test_shopify_docs_port_never_rewrites_lost_state(
    world: Any, load: Callable[[str], ModuleType]
) -> None:
    module = load("shopify_docs_port")
    assert world.call(module, "register").ok
    world.store.wipe("bot1")

    assert world.call(module, "register").ok

    assert world.own() == world.wanted(topics=("orders/create",))
    assert world.states() == {}
