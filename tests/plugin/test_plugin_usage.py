"""The plugin in a pytest run: inert without an integration, usage errors, markers, header."""

from __future__ import annotations

import pytest
from pluginkit import Runner


def test_inert_when_no_integration_is_configured(pytester: pytest.Pytester, run: Runner) -> None:
    pytester.makepyfile("def test_one():\n    assert True\n")
    result = run("-v")
    result.assert_outcomes(passed=1)
    # one item, and no lifecycle header line
    result.stdout.no_fnmatch_line("*lifecycle-harness:*")
    result.stdout.fnmatch_lines(["*test_one PASSED*"])


@pytest.mark.parametrize(
    ("args", "ini", "expected"),
    [
        (
            ["--lifecycle-examples=0"],
            "",
            "*lifecycle-harness: examples (--lifecycle-examples) must be a positive whole number,"
            " got '0'; valid values: 1, 2, 3, ...",
        ),
        (
            [],
            "lifecycle_profile = turbo",
            "*lifecycle-harness: unknown Hypothesis profile 'turbo' (ini key lifecycle_profile);"
            " valid profiles: ci, dev, nightly*",
        ),
        (
            ["--hypothesis-seed=abc", "test_one.py"],
            "lifecycle_integration = x",
            "*--hypothesis-seed='abc' is not a whole number*--hypothesis-seed=1234",
        ),
        (
            ["--hypothesis-profile=turbo"],
            "lifecycle_profile = dev",
            "*unknown Hypothesis profile 'turbo' (--hypothesis-profile)*",
        ),
    ],
)
def test_bad_values_are_usage_errors_listing_valid_values(
    pytester: pytest.Pytester, run: Runner, args: list[str], ini: str, expected: str
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile("def test_one():\n    assert True\n")
    result = run.subprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([expected])


def test_unknown_pyproject_key_is_a_usage_error(pytester: pytest.Pytester, run: Runner) -> None:
    pytester.makepyprojecttoml('[tool.lifecycle-harness]\nintegraton = "good"\n')
    pytester.makepyfile("def test_one():\n    assert True\n")
    result = run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*unknown key(s) in [[]tool.lifecycle-harness[]]: integraton; valid keys: *integration*"]
    )


def test_markers_are_registered(pytester: pytest.Pytester, run: Runner) -> None:
    result = run("--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.lifecycle(*, integration=..., configuration=..., examples=...*",
            "@pytest.mark.fake_shopify(*, assert_all_faults_fired=True*",
        ]
    )


def test_options_are_in_help(pytester: pytest.Pytester, run: Runner) -> None:
    result = run("--help")
    result.stdout.fnmatch_lines(
        [
            "*--lifecycle-integration=LIFECYCLE_INTEGRATION*",
            "*--lifecycle-examples=LIFECYCLE_EXAMPLES*",
            "*lifecycle_record_dir (string):*",
        ]
    )


def test_header_names_integration_profile_options_and_how_to_reproduce(
    pytester: pytest.Pytester, run: Runner
) -> None:
    pytester.makepyprojecttoml(
        '[tool.lifecycle-harness]\nintegration = "integrations/good.py"\nexamples = 7\n'
    )
    pytester.makepyfile(test_one="def test_one():\n    assert True\n")
    # naming a path: the header is printed, the lifecycle suite is not collected
    result = run.subprocess("test_one.py", "--hypothesis-seed=1234")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "lifecycle-harness: integration integrations/good.py "
            "([[]tool.lifecycle-harness[]] integration in pyproject.toml)",
            "lifecycle-harness: profile ci (200 examples, 10 steps at most) [[]default[]],"
            " examples 7 [[][[]tool.lifecycle-harness[]] examples in pyproject.toml[]],"
            " configuration provisioned by the harness",
            "lifecycle-harness: failing scenarios recorded in tests/lifecycle-failures",
            "lifecycle-harness: reproduce with: pytest --lifecycle-integration=integrations/good.py"
            " --hypothesis-profile=lifecycle-ci --lifecycle-examples=7 --hypothesis-seed=1234",
        ]
    )


def test_command_line_overrides_ini_in_the_header(pytester: pytest.Pytester, run: Runner) -> None:
    pytester.makeini("[pytest]\nlifecycle_integration = from_ini\nlifecycle_examples = 3\n")
    pytester.makepyfile(test_one="def test_one():\n    assert True\n")
    result = run.subprocess(
        "test_one.py", "--lifecycle-examples=9", "--hypothesis-profile=lifecycle-dev"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "lifecycle-harness: integration from_ini (ini key lifecycle_integration)",
            "lifecycle-harness: profile lifecycle-dev (60 examples, 8 steps at most)"
            " [[]--hypothesis-profile[]], examples 9 [[]--lifecycle-examples[]]*",
            "*seed chosen by Hypothesis*--hypothesis-profile=lifecycle-dev"
            " --lifecycle-examples=9 --hypothesis-seed=N",
        ]
    )


def test_profile_from_the_environment_overrides_the_ini(
    pytester: pytest.Pytester, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\nlifecycle_integration = x\nlifecycle_profile = dev\n")
    pytester.makepyfile(test_one="def test_one():\n    assert True\n")
    monkeypatch.setenv("LIFECYCLE_HARNESS_PROFILE", "nightly")
    result = run.subprocess("test_one.py")
    result.stdout.fnmatch_lines(
        [
            "lifecycle-harness: profile nightly (2000 examples, 16 steps at most)"
            " [[]$LIFECYCLE_HARNESS_PROFILE[]]*"
        ]
    )
