"""Malformed scenario files: each gets ``file:line:col`` and one exact message, never a
traceback or a hang (issue 15). Limits are named in the message."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.scenarios.loader import loads_scenario
from harness.scenarios.model import ScenarioError
from harness.scenarios.replay import replay

HEAD = "version: 1\nname: bad\n"
SOURCE = "bad.scenario.yaml"


def _laughs(levels: int) -> str:
    lines = ["version: 1", "name: bad", "world:", "  states:", "  - name: lol", "    payload:"]
    lines.append("      a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]")
    for i in range(1, levels):
        lines.append(f"      a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    lines.append("steps: [register]")
    return "\n".join(lines) + "\n"


def _schema(*problems: str) -> str:
    count = len(problems)
    head = f"{count} problem{'s' if count != 1 else ''} in scenario file {SOURCE}"
    return "\n".join([head, *(f"  {SOURCE}:{p}" for p in problems)])


CORPUS: dict[str, tuple[str, str]] = {
    "deep flow nesting": (
        HEAD + "steps: " + "[" * 100 + "]" * 100 + "\n",
        f"{SOURCE}:3:71: values nested more than 64 levels deep (max nesting depth)",
    ),
    "deep block nesting": (
        HEAD
        + "world:\n  states:\n  - name: s\n    payload:\n"
        + "".join("      " + "  " * i + f"k{i}:\n" for i in range(70))
        + "steps: [register]\n",
        f"{SOURCE}:67:127: values nested more than 64 levels deep (max nesting depth)",
    ),
    "billion laughs": (
        _laughs(9),
        f"{SOURCE}:12:16: the file expands to more than 200,000 values once its aliases are "
        "expanded (max expanded size)",
    ),
    "too large": (
        HEAD + "description: " + "x" * 1_000_000 + "\nsteps: [register]\n",
        f"{SOURCE}:1:1: the file is 1,000,053 bytes, more than the limit of 1,000,000 "
        "(max file size)",
    ),
    "too many steps": (
        HEAD + "steps:\n" + "- register\n" * 5001,
        _schema("4:1: 5,001 steps, more than the limit of 5,000 (max steps)"),
    ),
    "5,000-digit version": (
        "version: " + "9" * 5000 + "\nname: bad\nsteps: [register]\n",
        _schema("1:10: a whole number of 5,000 digits; the limit is 30 (max number length)"),
    ),
    "5,000-digit crowd": (
        HEAD + "world: {crowd: " + "1" * 5000 + "}\nsteps: [register]\n",
        _schema("3:16: a whole number of 5,000 digits; the limit is 30 (max number length)"),
    ),
    "date in a state payload": (
        HEAD
        + "world:\n  states:\n  - name: s\n    payload: {when: 2024-01-01}\nsteps: [register]\n",
        _schema(
            "6:21: expected plain data in the state's payload, got a date (2024-01-01); quote it"
        ),
    ),
    "unknown topic in a world subscription": (
        HEAD + "world:\n  subscriptions:\n  - topic: orders/explode\nsteps: [register]\n",
        _schema(
            "5:12: unknown webhook topic 'orders/explode' in a world subscription; did you "
            "mean 'orders/edited'?"
        ),
    ),
    "GraphQL topic name in a world subscription": (
        HEAD + "world:\n  subscriptions:\n  - topic: ORDERS_CREATE\nsteps: [register]\n",
        _schema(
            "5:12: unknown webhook topic 'ORDERS_CREATE' in a world subscription; write its "
            "REST name 'orders/create'"
        ),
    ),
    "duplicate world subscription": (
        HEAD
        + "world:\n  subscriptions:\n  - topic: orders/create\n  - topic: orders/create\n"
        + "steps: [register]\n",
        _schema(
            "6:5: duplicate world subscription: orders/create to https://example.com/hooks/other "
            "on shop1 (other app) is declared twice; Shopify keeps one subscription per topic "
            "and address"
        ),
    ),
    "unknown fault action": (
        HEAD
        + "steps:\n- fault: {effect: lost_response, match: {action: explode_webhook}}\n"
        + "- register\n",
        _schema(
            "4:50: unknown action 'explode_webhook' in a fault match; did you mean "
            "'update_webhook'?; valid: count_webhooks, create_webhook, delete_webhook, get_shop, "
            "get_webhook, graphql, list_access_scopes, list_webhooks, update_webhook, "
            "currentAppInstallation, shop, webhookSubscription, webhookSubscriptionCreate, "
            "webhookSubscriptionDelete, webhookSubscriptionUpdate, webhookSubscriptions, "
            "webhookSubscriptionsCount, or a GraphQL operation name (capitalised, e.g. "
            "CreateWebhook)"
        ),
    ),
    "unknown placeholder": (
        HEAD + "configuration: {shopName: acme, access_token: <nope>}\nsteps: [register]\n",
        _schema(
            "3:47: unknown placeholder <nope> for configuration.access_token: a placeholder "
            "names its own key (<access_token>); write a value or that placeholder"
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_malformed_file_gets_its_exact_message(case: str) -> None:
    text, message = CORPUS[case]
    with pytest.raises(ScenarioError) as info:
        loads_scenario(text, source=SOURCE)
    assert str(info.value) == message


def test_a_capitalised_action_is_a_graphql_operation_name() -> None:
    text = HEAD + "steps:\n- fault: {effect: lost_response, match: {action: Subscribe}}\n"
    scenario = loads_scenario(text + "- register\n", source=SOURCE)
    assert len(scenario.steps) == 2


FIND_OR_CREATE = "harness.examples.correct.find_or_create"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "steps:\n- register\n- drift: {index: 3}\n- register\n",
            "step 2 (remove_subscription) names subscription index 3 of bot1, which has 3 "
            "subscriptions at that point (indices from 0)",
        ),
        (
            "steps:\n- drift: {change: delivery_failures}\n- register\n",
            "step 1 (delivery_failures) names subscription index 0 of bot1, which has 0 "
            "subscriptions at that point (indices from 0)",
        ),
        (
            "configuration: {access_token: shpat_abcdef}\nsteps: [register]\n",
            "the configuration has no 'shopName' (the shop key): add the shop handle, or pass "
            "the run's shop key if the file uses another",
        ),
    ],
)
def test_references_a_replay_cannot_satisfy_are_errors(
    tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / "bad.scenario.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    from harness.scenarios.loader import load_scenario

    with pytest.raises(ScenarioError) as info:
        replay(load_scenario(path), integration=FIND_OR_CREATE)
    assert str(info.value) == f"{path}: {message}"
