"""Running scenario files against an integration: load them, replay them one by one (the
library replay ``check`` starts with), and re-run a violation's minimal steps for its records."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from harness.common.redaction import Redactor
from harness.history import StepRecord
from harness.options import Options
from harness.properties import Violation
from harness.runtime import watch
from harness.scenarios.library import discover, load_library
from harness.scenarios.loader import load_scenario
from harness.scenarios.model import Scenario, ScenarioError
from harness.scenarios.replay import ScenarioResult, replay
from harness.simulator import Simulator
from harness.targets.node import NodeIntegration
from harness.targets.python import Integration, load_integration

__all__ = ["failing_records", "load_scenarios", "replay_all", "replay_library"]


def load_scenarios(paths: Sequence[str]) -> list[Scenario]:
    """Every scenario named on the command line; any unreadable file fails them all."""
    files = discover(paths)
    if not files:
        raise ScenarioError(f"no *.scenario.yaml files in {', '.join(paths)}")
    return [load_scenario(path) for path in files]


def replay_all(
    scenarios: Sequence[Scenario],
    *,
    integration: Integration | NodeIntegration | str | None,
    configuration: Mapping[str, object] | None = None,
    shop_key: str = "shopName",
    token_key: str = "access_token",
    options: Options | None = None,
    on_scenario: Callable[[ScenarioResult], None] | None = None,
    strict_references: bool = True,
) -> list[ScenarioResult]:
    """Replay each scenario (a fresh simulator each); the target is loaded once.
    ``strict_references``: see ``replay`` (``check`` replays the generic library without)."""
    loaded = load_integration(integration) if isinstance(integration, str) else integration
    results = []
    for scenario in scenarios:
        watcher = watch.current()
        if watcher is not None:
            watcher.phase(f"scenario: {scenario.name}")
        result = replay(
            scenario,
            integration=loaded,
            configuration=configuration,
            shop_key=shop_key,
            token_key=token_key,
            options=options,
            strict_references=strict_references,
        )
        results.append(result)
        if on_scenario is not None:
            on_scenario(result)
    return results


def replay_library(
    integration: Integration | NodeIntegration | str,
    **kwargs: Any,
) -> list[ScenarioResult]:
    """Replay the shipped library against ``integration`` (what ``check`` does first)."""
    return replay_all(load_library(), integration=integration, **kwargs)


def failing_records(
    integration: Integration | NodeIntegration,
    violations: Sequence[Violation],
    *,
    options: Options | None = None,
) -> tuple[dict[int, StepRecord], Callable[[str], str]]:
    """The record of each violation's failing step, by replaying its minimal steps on its world
    (deterministic, so the record is the one that failed), and a redactor for their text."""
    records: dict[int, StepRecord] = {}
    secrets: list[tuple[str, str]] = []
    for index, violation in enumerate(violations):
        if violation.world is None or not violation.steps:
            continue
        sim = Simulator(integration, world=violation.world, options=options)
        history = sim.run(violation.steps).history
        secrets.extend(history.secrets)
        if violation.step_index < len(history.records):
            records[index] = history.records[violation.step_index]
    return records, Redactor(secrets).redact
