"""The report of a run the supervisor stopped: what the worker found before the stop."""

from __future__ import annotations

from pathlib import Path

from harness.exploration import dedupe
from harness.options import PROPERTY_IDS
from harness.properties import Violation
from harness.reports.render import CheckReport
from harness.scenarios.replay import record_violations
from harness.supervise.supervisor import Outcome


def partial_report(
    outcome: Outcome,
    *,
    integration: str,
    seed: int | None = None,
    examples: int = 0,
    record_dir: str | Path | None = None,
) -> CheckReport:
    """A ``CheckReport`` of the violations and library results received before the stop,
    with the stop itself (``CheckReport.stopped``) and the isolation in force. The violations
    are recorded into ``record_dir`` (writing a scenario file runs no target code)."""
    found: list[Violation] = []
    library: list[tuple[str, bool, str]] = []
    escapes: list[str] = []
    for kind, payload in outcome.messages:
        if kind == "found" and isinstance(payload, Violation):
            found.append(payload)
        elif kind == "escape":
            escapes.append(str(payload))
        elif kind == "library" and isinstance(payload, tuple) and len(payload) == 3:
            library.append((str(payload[0]), bool(payload[1]), str(payload[2])))
        elif kind == "meta" and isinstance(payload, dict):
            integration = str(payload.get("integration", integration))
            seed_value = payload.get("seed", seed)
            seed = seed_value if isinstance(seed_value, int) else None
            examples_value = payload.get("examples", examples)
            examples = examples_value if isinstance(examples_value, int) else examples
    violations = sorted(dedupe(found), key=lambda v: (PROPERTY_IDS.index(v.property), len(v.steps)))
    report = CheckReport(
        integration=integration,
        seed=seed,
        examples=examples,
        violations=violations,
        scenarios_passed=sum(1 for _, passed, _ in library if passed),
        library=library,
        isolation=outcome.isolation,
        stopped=outcome.stop.to_data() if outcome.stop is not None else None,
        escapes=escapes,
    )
    if record_dir is not None and violations:
        Path(record_dir).mkdir(parents=True, exist_ok=True)
        written = record_violations(violations, record_dir, integration=integration)
        report.scenarios.update({i: str(p) for i, p in written.items()})
    return report
