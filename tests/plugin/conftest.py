"""Fixtures for the plugin's tests."""

from __future__ import annotations

import pytest
from pluginkit import ROOT, Runner


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Runner:
    # Absolute, so subprocesses and xdist workers (started in pytester's directory) import the
    # worktree's packages too.
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    # Hypothesis loads its own "ci" profile when it sees CI; the plugin's runs must not.
    monkeypatch.delenv("CI", raising=False)
    return Runner(pytester)
