"""Helpers for the plugin's tests: pytest runs, with the plugin loaded, in pytester's directory."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def plugin_installed() -> bool:
    """Whether the ``pytest11`` entry point is installed (CI installs the project; development
    runs from the worktree with PYTHONPATH and loads the plugin with ``-p``)."""
    return any(
        ep.name == "lifecycle_harness" for ep in importlib.metadata.entry_points(group="pytest11")
    )


class Runner:
    """``run(...)`` runs pytest in-process (fast); ``run.subprocess(...)`` in a fresh interpreter,
    for runs that load a Hypothesis profile or start xdist workers: an in-process run that loads
    a profile would change the global Hypothesis settings of the suite running these tests."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester

    @staticmethod
    def args(*args: str) -> list[str]:
        plugin = [] if plugin_installed() else ["-p", "harness.pytest_plugin"]
        # pytest-asyncio warns when this is unset; an in-process run would leak the warning.
        quiet = ["-o", "asyncio_default_fixture_loop_scope=function"]
        return [*plugin, "-p", "no:cacheprovider", *quiet, *args]

    def __call__(self, *args: str) -> pytest.RunResult:
        return self.pytester.runpytest_inprocess(*self.args(*args))

    def subprocess(self, *args: str) -> pytest.RunResult:
        return self.pytester.runpytest_subprocess(*self.args(*args))
