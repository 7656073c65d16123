"""The scenario side of the command line: ``replay``, ``--report-md``, recording, the library.

``harness.cli`` owns the parser and the exit codes; this module adds the ``replay`` subcommand
and the helpers ``check`` and ``replay`` share (the library replay, the Markdown report), so the
CLI and ``check`` need only a few lines each.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from harness.common.project import shown_path
from harness.common.redaction import Redactor
from harness.history import StepRecord
from harness.options import Options
from harness.properties import Violation
from harness.reports.junit import ScenarioCase, render_junit
from harness.reports.markdown import LibraryResult, render_markdown
from harness.reports.render import CheckReport, render_json, render_violation
from harness.scenarios.model import Scenario, ScenarioError
from harness.scenarios.replay import ScenarioResult
from harness.scenarios.runner import failing_records, load_scenarios, replay_all
from harness.targets.python import Integration, load_integration

EXIT_OK, EXIT_VIOLATIONS = 0, 1


def add_replay_parser(
    sub: Any, *, add_config: Callable[[argparse.ArgumentParser], None]
) -> argparse.ArgumentParser:
    """``replay SCENARIO... [--integration TARGET] [--config FILE] [--report-json PATH]
    [--report-md PATH]``."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "replay",
        help="replay scenario files (or directories of them) deterministically",
        description="Replay scenario files deterministically; exit 0 when every one passes, "
        "1 when one fails, 2 on bad usage.",
    )
    parser.add_argument(
        "scenarios",
        nargs="+",
        metavar="SCENARIO",
        help="*.scenario.yaml files or directories (searched recursively)",
    )
    parser.add_argument(
        "--integration",
        metavar="TARGET",
        help="the integration to replay against (default: the one each file names)",
    )
    add_config(parser)
    parser.add_argument("--report-json", metavar="PATH", help="write the JSON report to PATH")
    parser.add_argument("--report-md", metavar="PATH", help="write a Markdown report to PATH")
    parser.add_argument(
        "--junit-xml",
        metavar="PATH",
        help="write a JUnit XML report to PATH (one test case per scenario and per property)",
    )
    return parser


def library_results(results: Sequence[ScenarioResult]) -> list[LibraryResult]:
    return [
        LibraryResult(r.scenario.name, r.passed, "" if r.passed else r.summary()) for r in results
    ]


def write_markdown(
    path: str | Path,
    report: CheckReport,
    *,
    integration: Integration,
    options: Options | None = None,
) -> None:
    """``check --report-md``: the report, with each failing step replayed for its diagram."""
    records, redact = failing_records(integration, report.violations, options=options)
    library = [LibraryResult(name, passed, detail) for name, passed, detail in report.library]
    text = render_markdown(report, records=records, redact=redact, library=library)
    Path(path).write_text(text, encoding="utf-8")


def write_junit(path: str | Path, report: CheckReport, *, options: Options | None = None) -> None:
    """``check --junit-xml``: a test case per enabled property and per library scenario."""
    cases = [ScenarioCase(name, passed, detail, None) for name, passed, detail in report.library]
    properties = (options or Options()).properties
    text = render_junit(report, scenarios=cases, properties=properties)
    Path(path).write_text(text, encoding="utf-8")


def scenario_cases(results: Sequence[ScenarioResult]) -> list[ScenarioCase]:
    return [
        ScenarioCase(
            r.scenario.name,
            r.passed,
            "" if r.passed else r.summary(),
            str(r.scenario.source) if r.scenario.source is not None else None,
        )
        for r in results
    ]


def replay_report(results: Sequence[ScenarioResult], *, integration: str) -> CheckReport:
    """The ``check``-shaped report of a replay: every unexpected violation, each with the
    scenario file it came from."""
    violations: list[Violation] = []
    scenarios: dict[int, str] = {}
    for result in results:
        for violation in result.violations:
            if result.scenario.source is not None:
                scenarios[len(violations)] = str(result.scenario.source)
            violations.append(violation)
    return CheckReport(
        integration=integration,
        seed=None,
        examples=0,
        violations=violations,
        scenarios_passed=sum(1 for r in results if r.passed),
        scenarios=scenarios,
    )


def results_data(results: Sequence[ScenarioResult]) -> list[dict[str, object]]:
    return [
        {
            "name": r.scenario.name,
            "path": shown_path(r.scenario.source) if r.scenario.source is not None else None,
            "passed": r.passed,
            "violated": sorted({v.property for v in r.violations}),
            "expected": sorted({v.property for v in r.expected}),
            "missing": list(r.missing),
            "unchecked": list(r.unchecked),
        }
        for r in results
    ]


def render_replay_text(results: Sequence[ScenarioResult], report: CheckReport) -> str:
    failed = [r for r in results if not r.passed]
    lines = [
        f"{report.integration}: {len(results) - len(failed)} of {len(results)} scenario"
        f"{'s' if len(results) != 1 else ''} passed"
    ]
    for r in results:
        mark = "passed" if r.passed else "FAILED"
        detail = "" if r.passed else f": {r.summary()}"
        lines.append(f"  {mark:6}  {r.scenario.name}{detail}")
    for i, violation in enumerate(report.violations, start=1):
        lines += ["", render_violation(violation, i)]
        scenario = report.scenarios.get(i - 1)
        if scenario:
            lines.append(f"   reproduce: lifecycle-harness replay {shown_path(scenario)}")
    return "\n".join(lines) + "\n"


def run_replay(
    args: argparse.Namespace,
    out: IO[str],
    *,
    settings: Mapping[str, Any],
    default_integration: str | None = None,
) -> int:
    """``lifecycle-harness replay``; raises ``ScenarioError`` (and the integration's load
    errors) for bad usage, which the CLI turns into exit code 2. ``default_integration`` (the
    project's) is used for files that name none."""
    scenarios = load_scenarios(args.scenarios)
    if args.integration is None:
        unnamed = [s.name for s in scenarios if s.integration is None]
        if unnamed and default_integration is not None:
            scenarios = [
                s if s.integration is not None else replace(s, integration=default_integration)
                for s in scenarios
            ]
        elif unnamed:
            subject = (
                f"scenarios {', '.join(unnamed)} name"
                if len(unnamed) > 1
                else (f"scenario {unnamed[0]} names")
            )
            raise ScenarioError(f"{subject} no integration; pass one with --integration TARGET")
    integration = load_integration(args.integration) if args.integration else None
    results = replay_all(
        scenarios,
        integration=integration,
        configuration=settings.get("configuration"),
        shop_key=settings.get("shop_key", "shopName"),
        token_key=settings.get("token_key", "access_token"),
    )
    name = integration.name if integration is not None else _targets(scenarios)
    report = replay_report(results, integration=name)
    out.write(render_replay_text(results, report))
    if args.junit_xml:
        _write(
            args.junit_xml,
            render_junit(
                report,
                scenarios=scenario_cases(results),
                properties=Options().properties,
                suite="lifecycle-harness replay",
            ),
            "--junit-xml",
        )
    if args.report_json:
        data = json.loads(render_json(report))
        data["scenario_results"] = results_data(results)
        _write(args.report_json, json.dumps(data, indent=2) + "\n", "--report-json")
    if args.report_md:
        records: dict[int, StepRecord] = {}
        secrets: list[tuple[str, str]] = []
        for index, violation in enumerate(report.violations):
            for result in results:
                if violation in result.violations:
                    record = result.record(violation.step_index)
                    if record is not None:
                        records[index] = record
                    if result.history is not None:
                        secrets.extend(result.history.secrets)
        text = render_markdown(
            report,
            records=records,
            redact=Redactor(secrets).redact,
            library=library_results(results),
            title="lifecycle-harness replay",
        )
        _write(args.report_md, text, "--report-md")
    return EXIT_OK if all(r.passed for r in results) else EXIT_VIOLATIONS


def _targets(scenarios: Sequence[Scenario]) -> str:
    names = sorted({s.integration for s in scenarios if s.integration is not None})
    return ", ".join(names)


def _write(path: str, text: str, option: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot write {option} {path}: {exc.strerror}") from None
