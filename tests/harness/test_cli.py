"""``lifecycle-harness``: exit codes, the text summary, the JSON report, determinism."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import DEMO_TARGET, main

TARGETS = Path(__file__).with_name("lifecycle_targets.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``check`` writes a scenario file per violation into the working directory by default."""
    monkeypatch.chdir(tmp_path)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_clean_integration_exits_0_and_writes_the_report(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    code, out, err = run(
        "check",
        f"{TARGETS}:Good",
        "--examples",
        "15",
        "--seed",
        "3",
        "--report-json",
        str(report),
    )
    assert code == 0, out + err
    assert "no violations" in out
    data = json.loads(report.read_text())
    assert data["violations"] == []
    assert data["seed"] == 3
    assert data["examples"] == 15
    assert data["integration"].endswith("lifecycle_targets.py:Good")
    assert data["timings"]["total"] > 0
    assert "[" in err  # the progress bar went to stderr


def test_violations_exit_1_with_summary_and_json(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    code, out, _ = run(
        "check",
        f"{TARGETS}:Duplicates",
        "--examples",
        "10",
        "--no-progress",
        "--report-json",
        str(report),
    )
    assert code == 1
    assert "[idempotent]" in out
    assert "minimal steps:" in out
    assert "fix:" in out
    data = json.loads(report.read_text())
    idem = [v for v in data["violations"] if v["property"] == "idempotent"]
    assert idem
    assert idem[0]["steps"] == [
        {"kind": "register", "bot": "bot1"},
        {"kind": "register", "bot": "bot1"},
    ]
    # Recorded into the default directory under the project root (here the working directory:
    # no pyproject.toml above it), shown relative to the root.
    assert idem[0]["scenario"].startswith("tests/lifecycle-failures/idempotent-")
    assert (tmp_path / idem[0]["scenario"]).is_file()
    assert idem[0]["message"]
    assert set(idem[0]["evidence"]) == {"outcomes", "exchanges", "logs"}


def test_secrets_never_reach_the_report(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    token = "shpat_0123456789abcdef0123456789abcdef"
    config.write_text(f"shopName: acme\naccess_token: {token}\n")
    report = tmp_path / "r.json"
    code, out, err = run(
        "check",
        f"{TARGETS}:LogsHeaders",
        "--config",
        str(config),
        "--examples",
        "5",
        "--no-progress",
        "--report-json",
        str(report),
    )
    assert code == 1
    assert "no_secret_leak" in out
    assert token not in out + err + report.read_text()
    assert "<access_token>" in out


def test_same_seed_same_report(tmp_path: Path) -> None:
    reports = []
    for i in range(2):
        path = tmp_path / f"{i}.json"
        run(
            "check",
            f"{TARGETS}:Silent",
            "--examples",
            "40",
            "--seed",
            "11",
            "--no-progress",
            "--report-json",
            str(path),
        )
        data = json.loads(path.read_text())
        reports.append([(v["property"], v["steps"], v["message"]) for v in data["violations"]])
    assert reports[0]
    assert reports[0] == reports[1]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["check", "no_such_module_xyz"], "no_such_module_xyz"),
        (["check", "harness.steps"], "no register"),
        (["check", f"{TARGETS}:Nope"], "Nope"),
        (["check", "missing/file.py"], "missing/file.py"),
    ],
)
def test_a_wrong_target_is_one_clear_line_and_exit_2(argv: list[str], needle: str) -> None:
    code, out, err = run(*argv, "--no-progress")
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("lifecycle-harness: error: ")
    assert needle in lines[0]


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "x", "--examples", "-1"],
        ["check", "x", "--bogus"],
        ["frobnicate"],
        ["check", "x", "--profile", "weekly"],
    ],
)
def test_bad_usage_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "usage:" in capsys.readouterr().err


def test_check_without_a_target_outside_a_configured_project_says_how_to_name_one() -> None:
    # A TARGET may come from [tool.lifecycle-harness] now; without either, one clear line.
    code, out, err = run("check", "--no-progress")
    assert code == 2
    assert out == ""
    assert err.startswith(
        "lifecycle-harness: error: no TARGET given and no [tool.lifecycle-harness]"
    )
    assert 'integration = "mypackage.integration"' in err


def test_unreadable_or_wrong_config_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    code, _, err = run("check", f"{TARGETS}:Good", "--config", str(missing))
    assert code == 2
    assert "cannot read --config" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just\n- a list\n")
    code, _, err = run("check", f"{TARGETS}:Good", "--config", str(bad))
    assert code == 2
    assert "must hold a mapping" in err


def test_python_dash_m_harness_is_the_same_command() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "check", "no_such_module_xyz"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert proc.returncode == 2
    assert "no_such_module_xyz" in proc.stderr


def test_demo_reports_the_ported_examples_bugs(tmp_path: Path) -> None:
    pytest.importorskip(DEMO_TARGET, reason="the bundled examples are not merged yet")
    report = tmp_path / "demo.json"
    code, out, _ = run("demo", "--examples", "40", "--no-progress", "--report-json", str(report))
    assert code == 1
    found = {v["property"] for v in json.loads(report.read_text())["violations"]}
    assert {"clean", "no_secret_leak"} <= found
    assert "shopify_docs_port" in out


def test_strict_flags_mutations_of_a_world_idempotent_integration(tmp_path: Path) -> None:
    target = "harness.examples.correct.delete_and_recreate"
    pytest.importorskip(target)
    code, _, _ = run("check", target, "--examples", "5", "--no-progress")
    assert code == 0
    report = tmp_path / "strict.json"
    code, out, _ = run(
        "check",
        target,
        "--examples",
        "5",
        "--no-progress",
        "--strict",
        "--report-json",
        str(report),
    )
    assert code == 1
    assert "mutating request" in out
    data = json.loads(report.read_text())
    v = next(v for v in data["violations"] if v["property"] == "idempotent")
    assert v["world"] == {
        "bots": [{"name": "bot1", "shop": "acme"}],
        "shops": [{"handle": "acme", "crowd": 0, "other_apps": 0}],
    }


def test_the_project_table_names_target_configuration_and_record_dir(tmp_path: Path) -> None:
    (tmp_path / "integrations").mkdir()
    (tmp_path / "integrations" / "targets.py").write_text(TARGETS.read_text())
    (tmp_path / "pyproject.toml").write_text(
        "[tool.lifecycle-harness]\n"
        'integration = "integrations/targets.py:Duplicates"\n'
        "examples = 3\n"
        'record-dir = "found"\n'
        'configuration = { shopName = "bravo", access_token = "shpat_table_token_123456" }\n'
    )
    (tmp_path / "sub").mkdir()
    os.chdir(tmp_path / "sub")  # anywhere inside the project (the fixture restores the cwd)
    code, out, err = run("check", "--no-progress", "--report-json", "../r.json")
    assert code == 1, err
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["examples"] == 3
    assert all(v["scenario"].startswith("found/") for v in data["violations"])
    assert list((tmp_path / "found").glob("*.scenario.yaml"))
    assert "acme" not in json.dumps(data["violations"])  # the table's shop, not the default
    assert "shpat_table_token_123456" not in out + json.dumps(data)


def test_a_bad_project_table_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.lifecycle-harness]\nintegraton = "x"\n')
    code, out, err = run("check", "x")
    assert (code, out) == (2, "")
    assert "unknown key(s) in [tool.lifecycle-harness]: integraton" in err
    assert "valid keys: configuration, examples, integration, profile, record-dir" in err


def test_the_demo_writes_into_a_temporary_directory_and_says_where(tmp_path: Path) -> None:
    code, out, err = run("demo", "--examples", "0", "--no-progress")
    assert code == 1
    assert list(tmp_path.iterdir()) == []  # nothing in the working directory
    (where,) = re.findall(r"failing scenarios go to (\S+)", err)
    assert list(Path(where).glob("*.scenario.yaml"))
    assert f"reproduce: lifecycle-harness replay {Path(where).as_posix()}/" in out
    shutil.rmtree(where)


def test_the_reproduce_line_repeats_the_options_given(tmp_path: Path) -> None:
    config = tmp_path / "conf.yaml"
    config.write_text("shopName: bravo\n")
    code, out, _ = run(
        "check",
        f"{TARGETS}:Duplicates",
        "--examples",
        "2",
        "--seed",
        "5",
        "--strict",
        "--config",
        str(config),
        "--no-progress",
    )
    assert code == 1
    (line,) = [x for x in out.splitlines() if x.startswith("reproduce: lifecycle-harness check ")]
    # The options given, paths relative to the project root (the working directory here).
    assert line.endswith(
        "lifecycle_targets.py:Duplicates --seed 5 --examples 2 --config conf.yaml --strict"
    )
