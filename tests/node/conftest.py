"""Fixtures of the Node target's tests: packages installed with `npm ci` from their lock files."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.targets.node import NodeIntegration, load_node_integration

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).resolve().parent / "probe"
EXAMPLES = ROOT / "harness" / "examples" / "typescript"


def npm_ci(package: Path) -> Path:
    """``npm ci`` in ``package`` unless its node_modules matches its lock already."""
    installed = package / "node_modules" / ".package-lock.json"
    lock = package / "package-lock.json"
    with open(package / ".npm-ci.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # test workers share the folder
        if installed.is_file() and installed.stat().st_mtime >= lock.stat().st_mtime:
            return package
        npm = shutil.which("npm")
        assert npm is not None, "the Node target's tests need node and npm (CI has node 20)"
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
            cwd=package,
            check=True,
            timeout=600,
        )
    return package


@pytest.fixture(scope="session")
def probe_package() -> Path:
    return npm_ci(PROBE)


@pytest.fixture(scope="session")
def example_package() -> Iterator[object]:
    def get(name: str) -> Path:
        return npm_ci(EXAMPLES / name)

    return get


@pytest.fixture(scope="module")
def probe(probe_package: Path) -> Iterator[NodeIntegration]:
    integration = load_node_integration(str(probe_package))
    try:
        yield integration
    finally:
        integration.close()
