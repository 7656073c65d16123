"""``Match(action=...)`` names an action the fake knows, or says which one was meant (issue 13).

Known actions: the REST action stems of the route table and the GraphQL root fields of every
served version; GraphQL operation names pass when spelt as they are by convention (capital
first letter). A mistyped action used to be accepted and only showed up as "never fired".
"""

from __future__ import annotations

import difflib
from typing import Any

import pytest
from fake_world import World
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fake_shopify import FakeUsageError, HttpError, Match, Nth
from fake_shopify.faults import known_actions, unknown_action_message
from fake_shopify.routes import ROUTES

KNOWN = known_actions()
MUTATIONS = {"webhookSubscriptionCreate", "webhookSubscriptionUpdate", "webhookSubscriptionDelete"}


def test_a_mistyped_action_names_the_closest_known_one(world: World) -> None:
    with pytest.raises(FakeUsageError) as raised:
        world.fake.faults.arm(HttpError(500), match=Match(action="create_webhok"))
    message = str(raised.value)
    assert message.startswith(
        "Match(action='create_webhok') names no action the fake knows, so the fault could "
        "never fire. Did you mean 'create_webhook'?\n"
    )
    assert "REST actions: count_webhooks, create_webhook, delete_webhook," in message
    assert "GraphQL root fields: __schema, __type, __typename, currentAppInstallation," in message
    assert world.fake.faults.armed() == []


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("webhookSubscriptionCreat", "webhookSubscriptionCreate"),
        ("webhooksubscriptions", "webhookSubscriptions"),
        ("list_webhook", "list_webhooks"),
        ("grapql", "graphql"),
        ("webhook_subscription_create", "webhookSubscriptionCreate"),
    ],
)
def test_suggestions(typo: str, meant: str) -> None:
    with pytest.raises(FakeUsageError, match=f"Did you mean '{meant}'\\?"):
        Match(action=typo)


def test_known_actions_are_the_route_table_and_every_versions_root_fields() -> None:
    assert {route.action for route in ROUTES} <= set(KNOWN)
    assert {"shop", "webhookSubscriptions", "webhookSubscriptionsCount", *MUTATIONS} <= set(KNOWN)
    assert list(KNOWN) == sorted({r.action for r in ROUTES}) + sorted(
        set(KNOWN) - {r.action for r in ROUTES}
    )


def _request_for(world: World, action: str) -> Any:
    """Send one request that the fake names ``action``: a route, or a document with that root
    field (parsed for fault matching before validation, so no arguments are needed)."""
    for route in ROUTES:
        if route.action == action and action != "graphql":
            path = route.pattern.replace("\\", "").replace("(?P<id>[0-9]+)", "1")
            url = path if route.versioned else f"https://acme.myshopify.com{path}"
            return world.client.request(route.method, url, json={"webhook": {}})
    operation = "mutation" if action in MUTATIONS else "query"
    document = f"{operation} {{ {action} }}" if action != "graphql" else "{ shop { name } }"
    return world.client.post("/graphql.json", json={"query": document})


@pytest.mark.parametrize("action", KNOWN)
def test_every_known_action_is_accepted_and_fires(world: World, action: str) -> None:
    fault = world.fake.faults.arm(HttpError(418), match=Match(action=action), schedule=Nth(1))
    response = _request_for(world, action)
    assert response.status_code == 418
    assert [f.fault_id for f in world.fake.faults.fired] == [fault.id]


def test_operation_names_with_a_capital_are_accepted_and_fire(world: World) -> None:
    world.fake.faults.arm(HttpError(503), match=Match(action="BotSubscriptions"))
    document = "query BotSubscriptions { webhookSubscriptions(first: 5) { nodes { id } } }"
    response = world.client.post("/graphql.json", json={"query": document})
    assert response.status_code == 503
    assert unknown_action_message("BotSubscriptions") is None


# -- Hypothesis: any misspelling of a known action is refused with a suggestion ---------------------

LETTERS = "abcdefghijklmnopqrstuvwxyz_ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@st.composite
def misspellings(draw: st.DrawFn) -> tuple[str, str]:
    """(a known action, the same with one or two typing slips: insert, drop, swap, replace)."""
    meant = draw(st.sampled_from(KNOWN))
    word = meant
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(["insert", "drop", "swap", "replace"]))
        at = draw(st.integers(0, max(len(word) - 1, 0)))
        letter = draw(st.sampled_from(LETTERS))
        if kind == "insert":
            word = word[:at] + letter + word[at:]
        elif kind == "drop" and len(word) > 1:
            word = word[:at] + word[at + 1 :]
        elif kind == "swap" and at + 1 < len(word):
            word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        else:
            word = word[:at] + letter + word[at + 1 :]
    return meant, word


@settings(max_examples=200, deadline=None)
@given(misspellings())
@example(("create_webhook", "create_webhok"))
@example(("shop", "shp"))
def test_any_misspelling_is_refused_with_a_closest_known_name(pair: tuple[str, str]) -> None:
    meant, typo = pair
    if typo in KNOWN or typo[:1].isupper():
        # Another known action, or spelt as an operation name (which the fake cannot know).
        assert unknown_action_message(typo) is None
        return
    with pytest.raises(FakeUsageError) as raised:
        Match(action=typo)
    message = str(raised.value)
    assert message.startswith(f"Match(action={typo!r}) names no action the fake knows")
    suggested = message.split("Did you mean '", 1)[1].split("'", 1)[0]
    assert suggested in KNOWN
    # The suggestion is at least as close to the typo as the action that was meant.
    # (difflib's ratio is not symmetric: candidate first, as get_close_matches compares.)
    ratio = difflib.SequenceMatcher(None, suggested, typo).ratio()
    assert ratio >= difflib.SequenceMatcher(None, meant, typo).ratio()
    assert f" {meant}," in message or f" {meant}." in message  # every known action is listed
