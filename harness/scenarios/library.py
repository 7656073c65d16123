"""Scenario files: a named, versioned step sequence with its world, configuration and
expectations, replayed deterministically by the simulator (docs/architecture.md, issue 4).

Discovery of scenario files (``discover``) and the shipped library (``library_dir``,
``load_library``). The front door for reading, writing and the library is the package,
``harness.scenarios``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from harness.scenarios.loader import load_scenario
from harness.scenarios.model import SUFFIX, Scenario, ScenarioError

__all__ = ["SUFFIX", "discover", "library_dir", "load_library"]


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Scenario files named by ``paths``: files as given, directories searched recursively for
    ``*.scenario.yaml``; sorted within each directory, duplicates dropped, order kept."""
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.update(dict.fromkeys(sorted(path.rglob(f"*{SUFFIX}"))))
        elif path.exists():
            found[path] = None
        else:
            raise ScenarioError(f"{path}: no such scenario file or directory")
    return list(found)


def library_dir() -> Path:
    """The shipped scenario library: ``scenarios/`` beside the package in a source checkout
    or an editable install, ``harness/scenario_library`` inside a built wheel."""
    package = Path(__file__).resolve().parents[1]  # harness/
    for candidate in (package / "scenario_library", package.parent / "scenarios"):
        if candidate.is_dir():
            return candidate
    raise ScenarioError(
        f"the scenario library is not installed (looked in {package / 'scenario_library'} "
        f"and {package.parent / 'scenarios'})"
    )


def load_library() -> list[Scenario]:
    """Every scenario of the shipped library, in file-name order."""
    return [load_scenario(path) for path in discover([library_dir()])]
