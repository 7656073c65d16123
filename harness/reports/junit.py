"""JUnit XML (``--junit-xml PATH``): findings as test results a CI system shows natively.

Two test suites: ``properties``, one test case per enabled property, failed with every violation
of it (the text report of each, and the command that replays it); ``scenarios``, one test case per
scenario (the library ``check`` replays, or the files ``replay`` was given), failed with why.
The shape is the one pytest writes (``testsuites/testsuite/testcase/failure``), which GitLab,
Jenkins, Azure Pipelines and the GitHub test-report actions read.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from harness.common.project import shown_path
from harness.options import PROPERTY_IDS
from harness.reports.render import CheckReport, render_violation


@dataclass(frozen=True)
class ScenarioCase:
    """One scenario's result: its name, whether it passed, why not, and its file."""

    name: str
    passed: bool
    detail: str = ""
    path: str | None = None


def render_junit(
    report: CheckReport,
    *,
    scenarios: Sequence[ScenarioCase] = (),
    properties: Iterable[str] = (),
    suite: str = "lifecycle-harness check",
) -> str:
    """The JUnit XML document of ``report``; ``properties`` are the enabled property ids (a
    property that was violated always gets its test case, enabled or not)."""
    root = ET.Element("testsuites", name=suite)
    wanted = set(properties) | {v.property for v in report.violations}
    ordered = [p for p in PROPERTY_IDS if p in wanted] + sorted(wanted - set(PROPERTY_IDS))
    if ordered:
        _properties_suite(root, report, ordered)
    if scenarios:
        _scenarios_suite(root, scenarios)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _properties_suite(root: ET.Element, report: CheckReport, ids: Sequence[str]) -> None:
    failed = {p for p in ids if any(v.property == p for v in report.violations)}
    suite = ET.SubElement(
        root,
        "testsuite",
        name="properties",
        tests=str(len(ids)),
        failures=str(len(failed)),
        errors="0",
        skipped="0",
    )
    if report.seed is not None:
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="seed", value=str(report.seed))
        ET.SubElement(props, "property", name="examples", value=str(report.examples))
    for prop in ids:
        case = ET.SubElement(suite, "testcase", classname=_classname(report), name=prop)
        mine = [(i, v) for i, v in enumerate(report.violations) if v.property == prop]
        if not mine:
            continue
        texts = []
        for number, (index, violation) in enumerate(mine, start=1):
            text = render_violation(violation, number)
            scenario = report.scenarios.get(index)
            if scenario:
                text += f"\n   reproduce: lifecycle-harness replay {shown_path(scenario)}"
            texts.append(text)
        noun = "violation" if len(mine) == 1 else "violations"
        failure = ET.SubElement(
            case,
            "failure",
            message=_xml_safe(f"{len(mine)} {noun}: {_one_line(mine[0][1].message)}"),
        )
        failure.text = _xml_safe("\n\n".join(texts))


def _scenarios_suite(root: ET.Element, scenarios: Sequence[ScenarioCase]) -> None:
    failed = [s for s in scenarios if not s.passed]
    suite = ET.SubElement(
        root,
        "testsuite",
        name="scenarios",
        tests=str(len(scenarios)),
        failures=str(len(failed)),
        errors="0",
        skipped="0",
    )
    for scenario in scenarios:
        attrs = {"classname": "scenarios", "name": scenario.name}
        if scenario.path is not None:
            attrs["file"] = shown_path(scenario.path)
        case = ET.SubElement(suite, "testcase", attrs)
        if not scenario.passed:
            failure = ET.SubElement(case, "failure", message=_xml_safe(_one_line(scenario.detail)))
            text = scenario.detail
            if scenario.path is not None:
                text += f"\nreproduce: lifecycle-harness replay {shown_path(scenario.path)}"
            failure.text = _xml_safe(text)


def _classname(report: CheckReport) -> str:
    return f"properties.{report.integration}"


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_safe(text: str) -> str:
    """XML 1.0 cannot hold control characters (a log line may): shown as ``\\xNN``."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)
