"""Overlapping registers give byte-identical reports, 100 runs of 100, for every bundled example
(issue 15: the order of findings used to change with the threads' interleaving)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from harness.cli import main
from harness.examples import EXAMPLES, GRAPHQL_EXAMPLES

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios/overlapping-registers.scenario.yaml"
ALL = {**EXAMPLES, **GRAPHQL_EXAMPLES}
RUNS = 100


@pytest.mark.parametrize("name", sorted(ALL))
def test_overlapping_registers_report_is_byte_identical(name: str, tmp_path: Path) -> None:
    reports: set[bytes] = set()
    outputs: set[str] = set()
    path = tmp_path / "report.json"
    for _ in range(RUNS):
        out = io.StringIO()
        main(
            [
                "replay",
                str(SCENARIO),
                "--integration",
                ALL[name].target,
                "--report-json",
                str(path),
            ],
            out=out,
            err=io.StringIO(),
        )
        reports.add(path.read_bytes())
        outputs.add(out.getvalue())
    assert len(reports) == 1
    assert len(outputs) == 1
