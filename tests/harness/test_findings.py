"""Issue 12: one finding per root cause, ordered by severity; long lists summarised."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from harness.check import check
from harness.examples import EXAMPLES
from harness.findings import SEVERITY, group
from harness.options import Options
from harness.properties import Violation, summarise
from harness.reports.render import CheckReport, render_text
from harness.steps import Register, Step, Unregister


def violation(prop: str, cause: str, *, last: Step | None = None, bot: str = "bot1") -> Violation:
    steps: tuple[Step, ...] = (Register(), last if last is not None else Register())
    return Violation(
        property=prop,
        message=f"{prop} says: {cause}",
        step_index=1,
        steps=steps,
        fix_hint="fix it",
        bot=bot,
        cause=cause,
    )


def test_violations_with_one_cause_are_one_finding_named_by_the_most_specific_property() -> None:
    found = group(
        [
            violation("convergent", "extra subscriptions: orders/create"),
            violation("idempotent", "extra subscriptions: orders/create"),
            violation("exactly_once", "extra subscriptions: orders/create"),
        ]
    )

    assert len(found) == 1
    assert found[0].primary.property == "idempotent"
    assert [v.property for v in found[0].related] == ["convergent", "exactly_once"]
    assert found[0].headline().startswith("idempotent: idempotent says")
    assert found[0].headline().endswith("(also convergent, exactly_once)")


def test_another_cause_another_step_or_another_bot_is_another_finding() -> None:
    found = group(
        [
            violation("clean", "subscriptions a remain", last=Unregister()),
            violation("exactly_once", "subscriptions a remain", last=Unregister()),
            violation("clean", "subscriptions b remain", last=Unregister()),
            violation("clean", "subscriptions a remain", last=Unregister("bot2"), bot="bot2"),
            violation("convergent", "subscriptions a remain"),  # a register, not an unregister
        ]
    )

    assert len(found) == 4
    assert [f.primary.property for f in found] == ["clean", "clean", "clean", "convergent"]
    assert [v.property for v in found[0].related] == ["exactly_once"]


def test_secret_leaks_and_tenant_isolation_come_first() -> None:
    found = group(
        [
            violation("convergent", "x"),
            violation("tenant_isolation", "y"),
            violation("clean", "z", last=Unregister()),
            violation("no_secret_leak", "w"),
        ]
    )

    assert [f.primary.property for f in found] == [
        "no_secret_leak",
        "tenant_isolation",
        "clean",
        "convergent",
    ]
    assert SEVERITY[:2] == ("no_secret_leak", "tenant_isolation")


def test_the_text_report_says_what_broke_and_lists_the_same_cause_under_it() -> None:
    report = CheckReport(
        integration="x",
        seed=0,
        examples=5,
        violations=[
            violation("convergent", "extra subscriptions: orders/create"),
            violation("idempotent", "extra subscriptions: orders/create"),
        ],
    )

    text = render_text(report)

    assert text.startswith("x: 1 root cause behind 2 violations (convergent, idempotent)")
    assert "  - idempotent: idempotent says: extra subscriptions" in text
    assert "1. [idempotent]" in text
    assert "   same cause: [convergent] convergent says: extra subscriptions" in text
    assert "2. [" not in text


@given(st.lists(st.text(min_size=1, max_size=8), max_size=12))
def test_long_lists_are_summarised_with_a_count_and_the_first_few(items: list[str]) -> None:
    text = summarise(items)

    if len(items) <= 3:
        assert text == ", ".join(items)
    else:
        assert text.startswith(f"{len(items)} in all: " + ", ".join(items[:3]))
        assert text.endswith("...")


def test_a_real_bug_seen_by_two_properties_is_one_finding() -> None:
    report = check(
        EXAMPLES["overwritten_ids"].target,
        examples=20,
        seed=0,
        library=False,
        options=Options(),
    )

    assert report.violations
    # The unregister that deletes nothing is clean's leftover and exactly_once's late
    # delivery: one finding, named clean.
    assert any(
        f.primary.property == "clean" and "exactly_once" in f.properties for f in report.findings
    ), [f.headline() for f in report.findings]
    assert len(report.findings) < len(report.violations)
    for finding in report.findings:
        keys = {
            (v.steps[v.step_index].__class__, v.bot) for v in (finding.primary, *finding.related)
        }
        assert len(keys) == 1
