"""Issue 3 acceptance: every correct example passes many generated lifecycles and every crash.

``check`` with all properties runs the fixed probes, systematic crash enumeration and Hypothesis
exploration over generated worlds (several bots, several shops, crowded shops, other apps) and
step sequences (faults, drift, lost state, token rotation, crashes, concurrency). A correct
example must come out without a single violation; if one does not, the example has a real bug.
"""

from __future__ import annotations

import pytest

from harness.check import check
from harness.examples import EXAMPLES
from harness.exploration import crash_plans, enumerate_crashes
from harness.options import Options
from harness.reports.render import render_violations
from harness.simulator import Simulator
from harness.targets.python import load_integration
from harness.world import default_world

EXAMPLES_PER_CHECK = 100

CORRECT = sorted(name for name, example in EXAMPLES.items() if example.correct)


@pytest.mark.parametrize("name", CORRECT)
def test_correct_example_passes_generated_lifecycles(name: str) -> None:
    report = check(EXAMPLES[name].target, examples=EXAMPLES_PER_CHECK, seed=0)

    assert report.violations == [], render_violations(report.violations)
    assert report.examples == EXAMPLES_PER_CHECK


@pytest.mark.parametrize("name", CORRECT)
def test_correct_example_survives_every_crash_point(name: str) -> None:
    world = default_world(bots=1, shops=1)
    with Simulator(load_integration(EXAMPLES[name].target), world=world, options=Options()) as sim:
        plans = crash_plans(sim, world=world)
        violations = enumerate_crashes(sim, world=world, plans=plans)

    # A register sends at least one request per topic, so there is something to crash.
    assert len(plans) >= 2 * 3
    assert violations == [], render_violations(violations)
