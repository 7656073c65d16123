"""The ``lifecycle`` fixture and marker in a small integration repository."""

from __future__ import annotations

import pytest
from pluginkit import Runner, write_repo

TESTS = """
import pytest

from fake_shopify import HttpError, Match
from harness.steps import Register, ShopifyFault, Unregister


def test_steps_hold_for_the_configured_integration(lifecycle):
    fault = ShopifyFault(HttpError(503), match=Match(action="create_webhook"))
    lifecycle.assert_holds([fault, Register(), Register(), Unregister()])
    result = lifecycle.run([Register(), Register()])
    assert result.violations == []
    assert len(result.history.records) == 2


@pytest.mark.lifecycle(integration="integrations/buggy.py")
def test_marker_names_another_integration(lifecycle):
    lifecycle.assert_holds([Register(), Unregister()])


@pytest.mark.lifecycle(integration="integrations/buggy.py", properties=["idempotent"])
def test_marker_options_reach_the_checks(lifecycle):
    lifecycle.assert_holds([Register(), Unregister()])  # clean is not checked here


@pytest.mark.lifecycle(bots=2, shops=2)
def test_marker_world(lifecycle):
    assert lifecycle.world.bot_names == ("bot1", "bot2")
"""


def test_lifecycle_fixture_runs_steps_and_reports_violations(
    pytester: pytest.Pytester, run: Runner
) -> None:
    write_repo(pytester, integration="integrations/good.py")
    pytester.makepyfile(test_lifecycle=TESTS)
    result = run.subprocess("test_lifecycle.py")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_marker_names_another_integration _*",
            "1. [[]clean[]] after a fault-free unregister of bot1*",
            "     2. unregister bot=bot1  <- fails here",
            "   reproduce: lifecycle-harness replay tests/lifecycle-failures/*.scenario.yaml",
        ]
    )
    recorded = list((pytester.path / "tests" / "lifecycle-failures").glob("*.scenario.yaml"))
    # nothing deleted: subscriptions remain (clean) and events still arrive (exactly_once)
    assert {path.name.split("-")[0] for path in recorded} == {"clean", "exactly_once"}
    for path in recorded:
        assert "steps: [register, unregister]" in path.read_text()


def test_unknown_marker_option_is_a_usage_error_listing_valid_ones(
    pytester: pytest.Pytester, run: Runner
) -> None:
    write_repo(pytester, integration="integrations/good.py")
    pytester.makepyfile(
        test_bad="""
import pytest

@pytest.mark.lifecycle(integraton="integrations/buggy.py")
def test_x(lifecycle):
    pass
"""
    )
    result = run("test_bad.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*test_x: unknown lifecycle marker option(s): integraton; valid options: *integration*"]
    )


def test_no_integration_is_a_clear_failure_of_the_fixture(
    pytester: pytest.Pytester, run: Runner
) -> None:
    pytester.makepyfile(test_x="def test_x(lifecycle):\n    pass\n")
    result = run("test_x.py")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*lifecycle fixture: no integration configured; name one with @pytest.mark.lifecycle*"]
    )


ASYNC_TESTS = """
import pytest

from harness.steps import Register, Unregister


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.asyncio
async def test_pytest_asyncio(lifecycle):
    result = await lifecycle.arun([Register(), Register(), Unregister()])
    assert result.violations == []


@pytest.mark.anyio
async def test_anyio(lifecycle):
    result = await lifecycle.arun([Register(), Unregister()])
    assert result.violations == []
    await lifecycle.aassert_holds([Register()])


@pytest.mark.asyncio
@pytest.mark.lifecycle(integration="integrations/buggy.py")
async def test_async_failure(lifecycle):
    await lifecycle.aassert_holds([Register(), Unregister()])
"""


def test_lifecycle_fixture_in_async_tests(pytester: pytest.Pytester, run: Runner) -> None:
    write_repo(pytester, integration="integrations/good.py")
    pytester.makepyfile(test_async=ASYNC_TESTS)
    result = run.subprocess("test_async.py")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*[[]clean[]] after a fault-free unregister of bot1*"])
