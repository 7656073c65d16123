"""Issue 3 acceptance: each buggy example is found by the property meant for it.

``check`` (what ``lifecycle-harness check`` runs: probes, crash enumeration, Hypothesis
exploration) is pointed at each buggy example with only its intended properties enabled, so the
test asks exactly "does this property find this bug", and the reported minimal steps are checked
to tell the bug's story (two registers for a duplicate, a drift for a stale id, and so on).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.check import check
from harness.examples import EXAMPLES
from harness.options import Options
from harness.properties import Violation
from harness.reports.render import render_json, render_violations
from harness.steps import (
    Concurrently,
    Crash,
    Drift,
    LoseState,
    PlatformFault,
    Register,
    ShopifyFault,
    Step,
    Unregister,
)
from harness.world import derived_token

EXAMPLES_PER_CHECK = 60  # probes and crash plans find most bugs before any generated example

Story = Callable[[tuple[Step, ...]], bool]


def kinds(steps: tuple[Step, ...]) -> list[type]:
    return [type(step) for step in steps]


def faulted_before_last(steps: tuple[Step, ...]) -> bool:
    """Some fault or crash comes before the final hook call."""
    return any(isinstance(s, ShopifyFault | PlatformFault | Crash) for s in steps[:-1]) or any(
        isinstance(s, Crash) for s in steps
    )


def two_bots_overlap(steps: tuple[Step, ...]) -> bool:
    return any(
        isinstance(s, Concurrently) and len({hook.bot for hook in s.steps}) >= 2 for s in steps
    )


# For each (example, property): what the minimal steps must show for the report to make sense.
STORIES: dict[tuple[str, str], Story] = {
    ("duplicate_webhooks", "idempotent"): lambda s: kinds(s) == [Register, Register],
    ("overwritten_ids", "idempotent"): lambda s: kinds(s) == [Register, Register],
    ("overwritten_ids", "clean"): lambda s: kinds(s) == [Register, Register, Unregister],
    ("swallowed_errors", "reported"): lambda s: (
        faulted_before_last(s) and isinstance(s[-1], Register | Unregister)
    ),
    ("leaky_error_log", "no_secret_leak"): faulted_before_last,
    ("stale_state", "convergent"): lambda s: (
        any(isinstance(x, Drift) for x in s) and isinstance(s[-1], Register)
    ),
    ("orphaned_partial", "clean"): lambda s: (
        faulted_before_last(s) and isinstance(s[-1], Unregister)
    ),
    ("shared_client", "tenant_isolation"): two_bots_overlap,
    ("intolerant_unregister", "tolerant_unregister"): lambda s: (
        isinstance(s[-1], Unregister) and not faulted_before_last(s)
    ),
    ("shopify_docs_port", "clean"): lambda s: kinds(s) == [Register, Unregister],
    ("shopify_docs_port", "convergent"): lambda s: (
        any(isinstance(x, LoseState) for x in s) and isinstance(s[-1], Register)
    ),
    ("shopify_docs_port", "no_secret_leak"): faulted_before_last,
    ("shopify_docs_port", "tenant_isolation"): two_bots_overlap,
}

BUGGY = sorted(name for name, example in EXAMPLES.items() if not example.correct)


def test_every_intended_violation_has_a_story() -> None:
    intended = {(name, prop) for name in BUGGY for prop in EXAMPLES[name].violates}
    assert intended == set(STORIES)


@pytest.mark.parametrize("name", BUGGY)
def test_buggy_example_is_found_by_the_property_meant_for_it(name: str) -> None:
    example = EXAMPLES[name]

    report = check(
        example.target,
        examples=EXAMPLES_PER_CHECK,
        seed=0,
        options=Options().only(*example.violates),
    )

    by_property: dict[str, list[Violation]] = {}
    for violation in report.violations:
        by_property.setdefault(violation.property, []).append(violation)
    assert set(by_property) == set(example.violates), render_violations(report.violations)
    for prop, violations in by_property.items():
        story = STORIES[(name, prop)]
        assert any(story(v.steps) for v in violations), (
            f"{name}: no {prop} violation tells the bug's story:\n" + render_violations(violations)
        )
        for v in violations:
            assert v.fix_hint
            assert v.steps[v.step_index] is v.steps[-1]
    # Reports are redacted: the shop's real token never appears, whatever leaked.
    token = derived_token("acme", "lifecycle-harness")
    assert token not in render_json(report)
    assert token not in render_violations(report.violations)
