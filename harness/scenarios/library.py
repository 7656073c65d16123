"""Scenario files: a named, versioned step sequence with its world, configuration and
expectations, replayed deterministically by the simulator (docs/architecture.md, issue 4).

The format is documented in ``scenarios/README.md``. This module is the front door: reading
(``load_scenario``, ``loads_scenario``, ``discover``), writing (``dumps_scenario``,
``write_scenario``), the shipped library (``library_dir``, ``load_library``) and replay.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from harness.scenarios.loader import load_scenario, loads_scenario
from harness.scenarios.model import (
    FORMAT_VERSION,
    PROPERTY_IDS,
    STRICTNESS_LEVELS,
    Expect,
    Scenario,
    ScenarioError,
    ScenarioOptions,
    ScenarioProblem,
    ScenarioSchemaError,
    ScenarioSyntaxError,
    ScenarioVersionError,
    SeedState,
    SeedSubscription,
    WorldDecl,
    placeholder,
    placeholder_value,
)
from harness.scenarios.writer import ScenarioWriteError, dumps_scenario, write_scenario

SUFFIX = ".scenario.yaml"
"""Scenario files are named ``<name>.scenario.yaml``."""

__all__ = [
    "FORMAT_VERSION",
    "PROPERTY_IDS",
    "STRICTNESS_LEVELS",
    "SUFFIX",
    "Expect",
    "Scenario",
    "ScenarioError",
    "ScenarioOptions",
    "ScenarioProblem",
    "ScenarioSchemaError",
    "ScenarioSyntaxError",
    "ScenarioVersionError",
    "ScenarioWriteError",
    "SeedState",
    "SeedSubscription",
    "WorldDecl",
    "discover",
    "dumps_scenario",
    "library_dir",
    "load_library",
    "load_scenario",
    "loads_scenario",
    "placeholder",
    "placeholder_value",
    "write_scenario",
]


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
