"""Violation reports: plain text for people, JSON for machines (the README).

Everything here is already redacted: violations carry redacted messages and evidence, and the
step data never holds a configuration (tokens live in the world, not in steps).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from harness.common.project import shown_path, shown_target
from harness.findings import Finding, group
from harness.properties import Violation
from harness.steps import describe_step, step_to_data
from harness.world import WorldSpec

REPORT_VERSION = 1


@dataclass
class CheckReport:
    """What ``check`` found (``harness.check.check``)."""

    integration: str
    seed: int | None
    examples: int
    violations: list[Violation] = field(default_factory=list)
    scenarios_passed: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    scenarios: dict[int, str] = field(default_factory=dict)  # violation index -> scenario path
    library: list[tuple[str, bool, str]] = field(default_factory=list)  # (scenario, passed, why)
    command: str | None = None
    """The command that repeats this run, as the command line was given it (``None``: the
    target and seed alone)."""
    notices: list[str] = field(default_factory=list)  # what was not checked (issue 15), first
    # Which network isolation was in force (a supervised run says; ``None``: in-process).
    isolation: str | None = None
    # The run was stopped early (a worker that crashed, hung, ...): the supervisor's finding,
    # ``{"kind", "cause", "hook", "bot", "step", "steps", "phase", "running", "text"}``.
    stopped: dict[str, object] | None = None
    # Attempts to reach the network that the isolation contained (one line each).
    escapes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations and self.stopped is None and not self.escapes

    @property
    def findings(self) -> list[Finding]:
        """The violations grouped by root cause, in severity order (``harness.findings``)."""
        return group(self.violations)


def violation_to_data(v: Violation, *, scenario: str | None = None) -> dict[str, object]:
    return {
        "property": v.property,
        "message": v.message,
        "bot": v.bot,
        "steps": [step_to_data(s) for s in v.steps],
        "failing_step": v.step_index,
        "fix": v.fix_hint,
        "evidence": {
            "outcomes": list(v.evidence.outcomes),
            "exchanges": list(v.evidence.exchanges),
            "logs": list(v.evidence.logs),
            "platform_calls": list(v.evidence.platform),
        },
        "world": None if v.world is None else world_to_data(v.world),
        "scenario": scenario,
    }


def world_to_data(world: WorldSpec) -> dict[str, object]:
    """The initial world of a violation, without the configuration (it holds the secrets)."""
    return {
        "bots": [{"name": b.name, "shop": b.shop} for b in world.bots],
        "shops": [
            {"handle": s.handle, "crowd": s.crowd, "other_apps": s.other_apps} for s in world.shops
        ],
    }


def render_json(report: CheckReport) -> str:
    data = {
        "version": REPORT_VERSION,
        "integration": report.integration,
        "seed": report.seed,
        "examples": report.examples,
        "ok": report.ok,
        "summary": summary_data(report),
        "notices": list(report.notices),
        "isolation": report.isolation,
        "stopped": report.stopped,
        "escapes": list(report.escapes),
        "violations": [
            violation_to_data(v, scenario=_shown(report.scenarios.get(i)))
            for i, v in enumerate(report.violations)
        ],
        "scenarios_passed": report.scenarios_passed,
        "library": [
            {"scenario": name, "passed": passed, "detail": detail}
            for name, passed, detail in report.library
        ],
        "timings": {k: round(v, 4) for k, v in report.timings.items()},
    }
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def _shown(path: str | None) -> str | None:
    return None if path is None else shown_path(path)


def render_violation(v: Violation, number: int | None = None, *, indent: str = "   ") -> str:
    head = f"{number}. " if number is not None else ""
    lines = [f"{head}[{v.property}] {v.message}"]
    if v.world is not None and (
        len(v.world.bots) > 1 or any(s.crowd or s.other_apps for s in v.world.shops)
    ):
        lines.append(f"{indent}world: {describe_world(v.world)}")
    lines.append(f"{indent}minimal steps:")
    for i, step in enumerate(v.steps, start=1):
        marker = "  <- fails here" if i - 1 == v.step_index else ""
        lines.append(f"{indent}  {i}. {describe_step(step)}{marker}")
    ev = v.evidence
    if ev.outcomes or ev.exchanges or ev.logs or ev.platform:
        lines.append(f"{indent}failing step:")
        for text in (*ev.outcomes, *ev.exchanges, *ev.platform, *ev.logs):
            for j, part in enumerate(text.splitlines() or [""]):
                lines.append(f"{indent}  {'' if j == 0 else '  '}{part}")
    lines.append(f"{indent}fix: {v.fix_hint}")
    return "\n".join(lines)


def describe_world(world: WorldSpec) -> str:
    """``bot1, bot2 on acme (crowd 60, 3 of other apps); bot3 on acme-2``."""
    parts = []
    for shop in world.shops:
        bots = [b.name for b in world.bots if b.shop == shop.handle]
        extra = []
        if shop.crowd:
            extra.append(f"{shop.crowd} subscriptions of other bots of the app")
        if shop.other_apps:
            extra.append(f"{shop.other_apps} of other apps")
        label = f"{', '.join(bots) or 'no bot'} on {shop.handle}"
        parts.append(label + (f" ({'; '.join(extra)})" if extra else ""))
    return "; ".join(parts)


def render_violations(violations: Sequence[Violation]) -> str:
    return "\n\n".join(render_violation(v, i) for i, v in enumerate(violations, start=1))


def render_library(report: CheckReport) -> str:
    """Which library scenarios passed, and why each failed one failed."""
    if not report.library:
        return ""
    passed = [name for name, ok, _ in report.library if ok]
    failed = [(name, detail) for name, ok, detail in report.library if not ok]
    lines = [f"scenario library: {library_summary(report)}"]
    if passed:
        lines.append(f"  passed: {', '.join(passed)}")
    lines += [f"  failed: {name}: {detail}" for name, detail in failed]
    return "\n".join(lines) + "\n"


def count_text(count: int) -> str:
    return f"{count} violation{'s' if count != 1 else ''}"


def library_summary(report: CheckReport) -> str:
    """The library's line, in the headline's terms: a library scenario is a way to reach a
    bug, not a bug; every property a failed scenario violates is among the report's
    violations (``check`` adds a library violation of a property nothing else found)."""
    total = len(report.library)
    failed = sum(1 for _, ok, _ in report.library if not ok)
    text = f"{total - failed} of {total} scenarios passed"
    if failed:
        text += (
            f"; the {failed} that failed {'violate' if failed > 1 else 'violates'} only "
            "properties of the "
            f"{count_text(len(report.violations))} above"
        )
    return text


def summary_data(report: CheckReport) -> dict[str, object]:
    """The counts every report shows, in one place (text headline, library line, Markdown,
    JSON and the last progress line agree)."""
    return {
        "violations": len(report.violations),
        "properties": sorted({v.property for v in report.violations}),
        "library": {
            "scenarios": len(report.library),
            "passed": sum(1 for _, ok, _ in report.library if ok),
            "failed": sum(1 for _, ok, _ in report.library if not ok),
        },
    }


def render_text(report: CheckReport) -> str:
    library = render_library(report)
    return (
        render_header(report)
        + render_notices(report.notices)
        + _render_text(report)
        + render_stop(report)
        + (f"\n{library}" if library else "")
    )


def render_header(report: CheckReport) -> str:
    """The isolation line of a supervised run (nothing for an in-process one), and every
    escape attempt it contained."""
    lines = [report.isolation] if report.isolation else []
    if report.escapes:
        lines.append(f"network escape attempts: {len(report.escapes)}")
        lines += [f"  {line}" for line in report.escapes]
    return "".join(f"{line}\n" for line in lines)


def render_stop(report: CheckReport) -> str:
    """The supervisor's finding when the run was stopped early (nothing otherwise)."""
    stop = report.stopped
    if stop is None:
        return ""
    lines = ["", f"STOPPED: {stop.get('text') or stop.get('cause')}"]
    steps = stop.get("steps")
    if isinstance(steps, list) and steps:
        lines.append("   lifecycle so far:")
        lines += [f"     {s}" for s in steps]
        lines[-1] += "  <- stopped here"
    lines.append("   the run ended here; the findings above are those made before the stop")
    return "\n".join(lines) + "\n"


def render_notices(notices: Sequence[str]) -> str:
    """The notices of a report, one ``NOTE:`` line each, for the top of a text report."""
    return "".join(f"NOTE: {notice}\n" for notice in notices)


def _render_text(report: CheckReport) -> str:
    total = report.timings.get("total")
    took = f", {total:.1f} s" if total is not None else ""
    seed = f"seed {report.seed}" if report.seed is not None else "no seed"
    if report.stopped is not None:
        count = len(report.violations)
        return (
            f"{report.integration}: the run was stopped early; {count} violation"
            f"{'s' if count != 1 else ''} found before the stop ({seed})\n"
            + "".join(f"\n{render_violation(v, i)}\n" for i, v in enumerate(report.violations, 1))
        )
    if not report.violations:
        head = (
            f"{report.integration}: no violations in {report.examples} generated lifecycles "
            f"and the crash points ({seed}{took})"
        )
        return head + "\n"
    count = len(report.violations)
    props = sorted({v.property for v in report.violations})
    findings = report.findings
    head = (
        f"{report.integration}: {count_text(count)} "
        f"({', '.join(props)}) in {report.examples} generated lifecycles ({seed}{took})"
    )
    if len(findings) < count:
        head = (
            f"{report.integration}: {len(findings)} root cause{'s' if len(findings) != 1 else ''}"
            f" behind {count_text(count)} ({', '.join(props)}) in {report.examples} generated "
            f"lifecycles ({seed}{took})"
        )
    parts = [head]
    # What broke, one line per root cause, most severe first.
    parts += [f"  - {f.headline()}" for f in findings]
    parts.append("")
    index = {id(v): i for i, v in enumerate(report.violations)}
    for number, finding in enumerate(findings, start=1):
        v = finding.primary
        parts.append(render_violation(v, number))
        for other in finding.related:
            parts.append(f"   same cause: [{other.property}] {other.message}")
        for member in (v, *finding.related):
            scenario = report.scenarios.get(index[id(member)])
            if scenario:
                parts.append(f"   reproduce: lifecycle-harness replay {shown_path(scenario)}")
        parts.append("")
    if report.command is not None:
        parts.append(f"reproduce: {report.command}")
    elif report.seed is not None:
        parts.append(
            f"reproduce: lifecycle-harness check {shown_target(report.integration)} "
            f"--seed {report.seed}"
        )
    return "\n".join(parts) + "\n"
