"""Scenario files: a named, versioned step sequence with its world, configuration and
expectations, replayed deterministically by the simulator (docs/architecture.md).

The format is documented in ``scenarios/README.md``. This package is the front door for reading
(``load_scenario``, ``loads_scenario``, ``discover``), writing (``dumps_scenario``,
``write_scenario``) and the shipped library (``library_dir``, ``load_library``). Modules:

- ``model``: the scenario data model and its errors; ``loader``: YAML to model, every error with
  ``file:line:col``; ``writer``: model to YAML, secrets as placeholders;
- ``library``: discovery and the shipped library; ``replay``: one scenario through the
  simulator, and recording a violation as a scenario; ``runner``: many scenarios against one
  target (what ``check`` and ``replay`` share).

Imports: the core (steps, world, options, history, properties, simulator, exploration), the
targets, the runtime and ``harness.common``; never reports, the command line or the plugin.
"""

from __future__ import annotations

from harness.scenarios.library import discover, library_dir, load_library
from harness.scenarios.loader import load_scenario, loads_scenario
from harness.scenarios.model import (
    FORMAT_VERSION,
    PROPERTY_IDS,
    STRICTNESS_LEVELS,
    SUFFIX,
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
