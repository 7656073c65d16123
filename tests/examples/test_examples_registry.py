"""The registry of examples: every entry loads, has both hooks, and names real property ids."""

from __future__ import annotations

import importlib
import inspect

import pytest

from harness.examples import EXAMPLES, Example

PROPERTY_IDS = {
    "idempotent",
    "convergent",
    "clean",
    "reported",
    "tolerant_unregister",
    "no_secret_leak",
    "tenant_isolation",
    "exactly_once",
}
BUG_CLASSES = {  # the bug classes of docs/examples.md, one example each
    "duplicate_webhooks",
    "overwritten_ids",
    "swallowed_errors",
    "leaky_error_log",
    "stale_state",
    "orphaned_partial",
    "shared_client",
    "intolerant_unregister",
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_example_loads_with_both_hooks(name: str) -> None:
    example = EXAMPLES[name]
    module = importlib.import_module(example.target)

    for hook in ("register", "unregister"):
        assert callable(getattr(module, hook)), f"{example.target} lacks {hook}"
    assert example.violates <= PROPERTY_IDS
    assert module.__doc__
    assert ("Correct" if example.correct else "Buggy") in module.__doc__


@pytest.mark.parametrize("name", sorted(n for n, e in EXAMPLES.items() if not e.correct))
def test_buggy_examples_cite_where_their_bug_comes_from(name: str) -> None:
    module = importlib.import_module(EXAMPLES[name].target)

    # A public source: the Botpress integration or pull request the bug comes from.
    assert "https://github.com/botpress/" in (module.__doc__ or "")
    for prop in EXAMPLES[name].violates:
        assert f"``{prop}``" in (module.__doc__ or ""), f"docstring does not name {prop}"


def test_registry_covers_every_bug_class_the_docs_port_and_four_correct_styles() -> None:
    assert BUG_CLASSES | {"shopify_docs_port"} == {n for n, e in EXAMPLES.items() if not e.correct}
    assert len([e for e in EXAMPLES.values() if e.correct]) == 4
    assert {"sync_backoff"} == {
        n
        for n, e in EXAMPLES.items()
        if not inspect.iscoroutinefunction(importlib.import_module(e.target).register)
    }


def test_example_is_a_target_and_a_floor_of_violations() -> None:
    target, violates = EXAMPLES["orphaned_partial"]

    assert isinstance(EXAMPLES["orphaned_partial"], Example)
    assert target == "harness.examples.buggy.orphaned_partial"
    assert violates == frozenset({"clean"})
    assert not EXAMPLES["orphaned_partial"].correct
    assert EXAMPLES["state_tracked"].correct
