"""``lifecycle-harness replay``, ``check``'s library replay and recording, ``--report-md``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from harness.check import check
from harness.cli import main
from harness.scenarios import Scenario, library_dir, load_scenario, write_scenario
from harness.scenarios.replay import replay
from harness.steps import Register, Unregister

INTEGRATIONS = Path(__file__).parent / "integrations" / "buggy_integrations.py"
TOKEN = "shpat_" + "5" * 32


def target(name: str) -> str:
    return f"{INTEGRATIONS}:{name}"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_replay_the_library_against_a_correct_integration(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    code, out, err = run(
        "replay",
        str(library_dir()),
        "--integration",
        target("correct"),
        "--report-json",
        str(report),
    )
    assert (code, err) == (0, "")
    count = len(list(library_dir().glob("*.scenario.yaml")))
    # The first line says which network isolation the supervised worker had (issue 15).
    isolation, _, summary = out.partition("\n")
    assert isolation.startswith("network isolation: ")
    assert summary.startswith(f"{target('correct')}: {count} of {count} scenarios passed\n")
    data = json.loads(report.read_text())
    assert data["ok"] is True
    assert data["isolation"] == isolation
    assert data["violations"] == []
    assert data["scenarios_passed"] == count
    assert {r["name"] for r in data["scenario_results"]} >= {
        "register-five-times",
        "unregister-twice",
    }
    assert all(r["passed"] for r in data["scenario_results"])


def test_replay_failures_exit_1_with_the_checks_report(tmp_path: Path) -> None:
    path = write_scenario(
        Scenario(
            name="leaves-things", steps=(Register(), Unregister()), integration=target("clean")
        ),
        tmp_path,
    )
    report, markdown = tmp_path / "r.json", tmp_path / "r.md"
    code, out, _ = run(
        "replay", str(path), "--report-json", str(report), "--report-md", str(markdown)
    )
    assert code == 1
    assert "  FAILED  leaves-things: violated clean, exactly_once" in out
    assert f"   reproduce: lifecycle-harness replay {path}" in out
    data = json.loads(report.read_text())
    # Nothing deleted: the subscriptions remain (clean) and events still arrive (exactly_once).
    assert {v["property"] for v in data["violations"]} == {"clean", "exactly_once"}
    (violation,) = [v for v in data["violations"] if v["property"] == "clean"]
    assert violation["scenario"] == str(path)
    assert [s["kind"] for s in violation["steps"]] == ["register", "unregister"]
    assert data["scenario_results"][0]["violated"] == ["clean", "exactly_once"]
    md = markdown.read_text()
    assert md.startswith("## lifecycle-harness replay: 2 violations in ")
    assert "```mermaid\nsequenceDiagram\n" in md
    assert "    P->>I: unregister (bot1)" in md
    assert f"lifecycle-harness replay {path}" in md


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["replay", "missing.scenario.yaml"], "missing.scenario.yaml: no such scenario file"),
        (["replay", "{dir}"], "no *.scenario.yaml files in"),
        (["replay", "{bad}"], "bad.scenario.yaml:3:9: expected a step"),
        (
            ["replay", "{unnamed}"],
            "scenario unnamed names no integration; pass one with --integration TARGET",
        ),
        (["replay", "{unnamed}", "--integration", "no_such_module_xyz"], "no_such_module_xyz"),
    ],
)
def test_replay_bad_usage_exits_2_with_one_clear_error(
    argv: list[str], expected: str, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = tmp_path / "bad.scenario.yaml"
    bad.write_text("version: 1\nname: bad\nsteps: [registr]\n")
    unnamed = write_scenario(Scenario(name="unnamed", steps=(Register(),)), tmp_path / "u")
    argv = [a.format(dir=empty, bad=bad, unnamed=unnamed) for a in argv]
    code, out, err = run(*argv)
    assert code == 2
    assert out == ""
    assert err.startswith("lifecycle-harness: error: ")
    assert expected in err


def test_check_replays_the_library_first_and_records_every_violation(tmp_path: Path) -> None:
    record_dir = tmp_path / "recorded"
    report = check(
        target("reported"),
        configuration={"shopName": "acme", "access_token": TOKEN},
        examples=0,
        record_dir=record_dir,
    )
    names = [name for name, _, _ in report.library]
    assert names == sorted(
        p.name.removesuffix(".scenario.yaml") for p in library_dir().glob("*.scenario.yaml")
    )
    assert report.scenarios_passed == sum(1 for _, passed, _ in report.library if passed)
    failed = {name: detail for name, passed, detail in report.library if not passed}
    assert "violated reported" in failed["server-error-on-create"]
    assert report.violations
    assert set(report.scenarios) == set(range(len(report.violations)))  # every one recorded
    for index, violation in enumerate(report.violations):
        path = Path(report.scenarios[index])
        assert path.parent == record_dir
        assert TOKEN not in path.read_text()
        again = replay(load_scenario(path))
        assert violation.property in {v.property for v in again.violations}, path.read_text()


def test_check_cli_writes_scenarios_and_the_markdown_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(
        "check",
        target("clean"),
        "--examples",
        "0",
        "--no-progress",
        "--report-md",
        "report.md",
        "--report-json",
        "report.json",
    )
    assert code == 1
    assert "scenario library: " in out
    recorded = sorted(
        (tmp_path / "tests" / "lifecycle-failures").glob("*.scenario.yaml")
    )  # the default
    assert recorded
    assert f"reproduce: lifecycle-harness replay tests/lifecycle-failures/{recorded[0].name}" in out
    data = json.loads((tmp_path / "report.json").read_text())
    library = {entry["scenario"]: entry for entry in data["library"]}
    assert library["register-five-times"] == {
        "scenario": "register-five-times",
        "passed": False,
        "detail": "violated clean, exactly_once",
    }
    assert library["unregister-nothing-registered"]["passed"] is True
    assert data["scenarios_passed"] == sum(e["passed"] for e in data["library"])
    assert all(v["scenario"] for v in data["violations"])  # each one recorded
    md = (tmp_path / "report.md").read_text()
    assert "| `register-five-times` | **failed** (violated clean, exactly_once) |" in md
    assert "```mermaid" in md
    assert "lifecycle-harness replay tests/lifecycle-failures/clean-" in md
