"""The README's "Use it in your integration's repo" example, run as a user would copy it."""

from __future__ import annotations

import re

import pytest
from pluginkit import ROOT, Runner


def readme_files() -> dict[str, str]:
    """The code blocks of the README's plugin section that start with ``# file: <path>``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("<!-- section: plugin -->")[1].split("<!-- /section: plugin -->")[0]
    files = {}
    for block in re.findall(r"```(?:toml|python)\n(.*?)```", section, flags=re.S):
        first, _, rest = block.partition("\n")
        match = re.fullmatch(r"# file: (\S+)", first)
        if match:
            files[match.group(1)] = rest
    return files


def test_readme_has_the_three_files() -> None:
    assert set(readme_files()) == {"pyproject.toml", "my_integration.py", "tests/test_lifecycle.py"}


def test_readme_example_runs(pytester: pytest.Pytester, run: Runner) -> None:
    for name, content in readme_files().items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    tests = run.subprocess("tests", "-v")
    tests.assert_outcomes(passed=5)
    # plain `pytest` adds the lifecycle suite (run in test_plugin_suite.py): here, collected
    suite = run("--collect-only", "-q")
    assert "pyproject.toml::properties::idempotent" in suite.stdout.lines
    assert "tests/test_lifecycle.py::test_explored_strictly" in suite.stdout.lines
