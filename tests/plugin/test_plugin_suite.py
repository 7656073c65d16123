"""Zero-code use: a small integration repository with a correct and a buggy integration."""

from __future__ import annotations

from pathlib import Path

import pytest
from pluginkit import Runner, write_repo

PROPERTY_IDS = (
    "idempotent",
    "convergent",
    "clean",
    "reported",
    "tolerant_unregister",
    "no_secret_leak",
    "tenant_isolation",
    "exactly_once",
    "subscribed",
)

OWN_SCENARIO = """\
version: 1
name: register-then-unregister
description: the repository's own scenario
steps:
  - register
  - register
  - unregister
"""


def test_collects_one_item_per_property_and_scenario(
    pytester: pytest.Pytester, run: Runner
) -> None:
    write_repo(pytester, integration="integrations/good.py")
    pytester.makefile(".scenario.yaml", **{"scenarios/register-then-unregister": OWN_SCENARIO})
    pytester.makepyfile(test_unit="def test_unit():\n    assert True\n")
    result = run("--collect-only", "-q")
    lines = result.stdout.lines
    for property_id in PROPERTY_IDS:
        assert f"pyproject.toml::properties::{property_id}" in lines
    assert "pyproject.toml::scenarios::register-five-times" in lines
    assert "pyproject.toml::scenarios::token-rotation" in lines
    assert "scenarios/register-then-unregister.scenario.yaml::register-then-unregister" in lines
    assert "test_unit.py::test_unit" in lines


def test_naming_paths_runs_what_they_name(pytester: pytest.Pytester, run: Runner) -> None:
    write_repo(pytester, integration="integrations/good.py")
    pytester.makepyfile(test_unit="def test_unit():\n    assert True\n")
    only_unit = run("--collect-only", "-q", "test_unit.py")
    assert [line for line in only_unit.stdout.lines if "::" in line] == ["test_unit.py::test_unit"]
    only_suite = run("--collect-only", "-q", "pyproject.toml")
    suite = [line for line in only_suite.stdout.lines if "::" in line]
    assert "pyproject.toml::properties::clean" in suite
    assert not any(line.startswith("test_unit.py") for line in suite)


def test_buggy_integration_fails_its_property_with_the_report(
    pytester: pytest.Pytester, run: Runner
) -> None:
    write_repo(pytester, integration="integrations/buggy.py")
    result = run.subprocess("-k", "properties", "--hypothesis-seed=3")
    # Nothing deleted: the subscriptions remain (clean) and events still arrive (exactly_once).
    result.assert_outcomes(passed=len(PROPERTY_IDS) - 2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*_ lifecycle property clean _*",
            "*1 violation (clean) in 5 generated lifecycles (seed 3*",
            # Issue 12: the message says how the unregister ended.
            "1. [[]clean[]] after a fault-free unregister of bot1 (it returned), subscriptions *remain",
            "   minimal steps:",
            "     1. register bot=bot1",
            "     2. unregister bot=bot1  <- fails here",
            "   fix: *",
            "FAILED pyproject.toml::properties::clean - *",
            "FAILED pyproject.toml::properties::exactly_once - *",
        ]
    )
    # the simulated runs' captured logs stay out of the report
    result.stdout.no_fnmatch_line("*Captured log*")
    result.stdout.no_fnmatch_line("*shpat_*")  # no provisioned token in the report
    result.stdout.fnmatch_lines(["   reproduce: lifecycle-harness replay *.scenario.yaml"])
    # the minimal failing scenario is recorded, and replaying it reproduces the violation
    recorded = sorted((pytester.path / "tests" / "lifecycle-failures").glob("*.scenario.yaml"))
    # one file per distinct finding, named after its property
    assert {path.name.split("-")[0] for path in recorded} == {"clean", "exactly_once"}
    from harness.scenarios import load_scenario
    from harness.scenarios.replay import replay

    clean = next(path for path in recorded if path.name.startswith("clean-"))
    replayed = replay(
        load_scenario(clean), integration=str(pytester.path / "integrations" / "buggy.py")
    )
    assert "clean" in {v.property for v in replayed.violations}


def test_keyword_selection_picks_lifecycle_items(pytester: pytest.Pytester, run: Runner) -> None:
    write_repo(pytester, integration="integrations/buggy.py")
    result = run("--collect-only", "-q", "-k", "idempotent or token-rotation")
    selected = [line for line in result.stdout.lines if "::" in line]
    assert selected == [
        "pyproject.toml::properties::idempotent",
        "pyproject.toml::scenarios::token-rotation",
    ]


def test_correct_integration_passes_every_property_under_xdist(
    pytester: pytest.Pytester, run: Runner
) -> None:
    write_repo(pytester, integration="integrations/good.py")
    result = run.subprocess("-n", "2", "-k", "properties", "--hypothesis-seed=3")
    result.stdout.fnmatch_lines(["created: 2/2 workers"])
    result.assert_outcomes(passed=len(PROPERTY_IDS))
    # nothing failed, so nothing was recorded
    assert not (pytester.path / "tests" / "lifecycle-failures").exists() or not list(
        (pytester.path / "tests" / "lifecycle-failures").iterdir()
    )


def test_a_broken_scenario_file_is_a_collection_error_with_its_position(
    pytester: pytest.Pytester, run: Runner
) -> None:
    write_repo(pytester, integration="integrations/good.py")
    pytester.makefile(
        ".scenario.yaml",
        **{"scenarios/broken": OWN_SCENARIO.replace("  - unregister", "  - unregisterr")},
    )
    result = run("--collect-only", "scenarios")
    result.stdout.fnmatch_lines(
        ["*ERROR collecting scenarios/broken.scenario.yaml*", "*broken.scenario.yaml:7:*"]
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED


def test_items_point_at_the_configuration_and_scenario_lines(
    pytester: pytest.Pytester, run: Runner
) -> None:
    write_repo(pytester, integration="integrations/good.py")
    pytester.makefile(".scenario.yaml", **{"scenarios/register-then-unregister": OWN_SCENARIO})
    items, _ = pytester.inline_genitems(*run.args())
    by_id = {item.nodeid: item for item in items}
    clean = by_id["pyproject.toml::properties::clean"]
    path, line, description = clean.reportinfo()
    assert path == pytester.path / "pyproject.toml"
    assert line is not None
    assert (
        (pytester.path / "pyproject.toml")
        .read_text()
        .splitlines()[line]
        .startswith("integration = ")
    )
    assert description == "lifecycle property clean"
    mine = by_id["scenarios/register-then-unregister.scenario.yaml::register-then-unregister"]
    path, line, description = mine.reportinfo()
    assert path == pytester.path / "scenarios" / "register-then-unregister.scenario.yaml"
    assert line == 3  # the `steps:` key, 0-based
    assert description == "scenario register-then-unregister"
    library = by_id["pyproject.toml::scenarios::token-rotation"]
    assert Path(library.reportinfo()[0]).name == "token-rotation.scenario.yaml"


def test_suite_joins_a_testpaths_run(pytester: pytest.Pytester, run: Runner) -> None:
    write_repo(pytester, integration="integrations/good.py")
    pyproject = pytester.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "[tool.pytest.ini_options]", '[tool.pytest.ini_options]\ntestpaths = ["tests"]'
        )
    )
    pytester.makepyfile(**{"tests/test_unit": "def test_unit():\n    assert True\n"})
    result = run("--collect-only", "-q")
    lines = [line for line in result.stdout.lines if "::" in line]
    assert lines[0] == "tests/test_unit.py::test_unit"
    assert "pyproject.toml::properties::convergent" in lines
    assert "pyproject.toml::scenarios::unregister-twice" in lines


def test_scenario_failures_point_at_the_failing_step(
    pytester: pytest.Pytester, run: Runner
) -> None:
    write_repo(pytester, integration="integrations/buggy.py")
    pytester.makefile(".scenario.yaml", **{"scenarios/register-then-unregister": OWN_SCENARIO})
    result = run("-k", "register-five-times or register-then-unregister")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines_random(
        [
            "*_ scenario register-five-times _*",
            "*register-five-times.scenario.yaml:16: step 6 violates clean",
            "*_ scenario register-then-unregister _*",
            "*scenarios/register-then-unregister.scenario.yaml:7: step 3 violates clean",
            "     3. unregister bot=bot1  <- fails here",
            # relative to the rootdir: runs as printed there
            "*reproduce: lifecycle-harness replay scenarios/register-then-unregister.scenario.yaml",
        ]
    )


def test_a_scenario_pinning_a_known_violation_passes(
    pytester: pytest.Pytester, run: Runner
) -> None:
    write_repo(pytester, integration="integrations/buggy.py")
    # nothing deleted: subscriptions remain (clean) and events still arrive (exactly_once)
    pinned = OWN_SCENARIO.replace("name: register-then-unregister", "name: pinned")
    pinned += "expect:\n  violated: [clean, exactly_once]\n"
    pytester.makefile(".scenario.yaml", **{"scenarios/pinned": pinned})
    result = run("scenarios")
    result.assert_outcomes(passed=1)


EXITS = """
import os

def register(ctx):
    os._exit(3)

def unregister(ctx):
    pass
"""


def test_a_hook_that_exits_fails_its_items_not_the_session(
    pytester: pytest.Pytester, run: Runner
) -> None:
    """Lifecycle items run the target in a supervised worker (issue 15): an ``os._exit`` in a
    hook fails the item with the supervisor's finding; pytest goes on and reports."""
    write_repo(pytester, integration="integrations/exits.py")
    pytester.makepyfile(**{"integrations/exits": EXITS})
    pytester.makepyfile(test_unit="def test_unit():\n    assert True\n")
    result = run("-k", "idempotent or register-five-times or test_unit")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*the run was stopped: register of bot1-id at step 1 (register bot=bot1)*: "
            "the worker exited with code 3",
        ]
    )
    result.stdout.fnmatch_lines(["network isolation: *"])
