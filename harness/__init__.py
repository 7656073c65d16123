"""The lifecycle harness: simulate the platform, explore lifecycles, check properties.

The front door: ``from harness import check, Simulator, default_world, Options``. Names are
loaded on first use (PEP 562), so importing one submodule (``harness.steps``) stays cheap and
the runtime modules can import each other without cycles through this file.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.check import CheckReport, Progress, check
    from harness.exploration import enumerate_crashes, explore
    from harness.options import PROPERTY_IDS, Options
    from harness.properties import PROPERTIES, Violation
    from harness.reports.render import render_json, render_text
    from harness.simulator import RunResult, Session, Simulator
    from harness.targets.python import (
        HookCrash,
        Integration,
        IntegrationLoadError,
        load_integration,
    )
    from harness.world import WorldSpec, default_world

_EXPORTS: dict[str, str] = {
    "PROPERTIES": "harness.properties",
    "PROPERTY_IDS": "harness.options",
    "CheckReport": "harness.check",
    "HookCrash": "harness.targets.python",
    "Integration": "harness.targets.python",
    "IntegrationLoadError": "harness.targets.python",
    "Options": "harness.options",
    "Progress": "harness.check",
    "RunResult": "harness.simulator",
    "Session": "harness.simulator",
    "Simulator": "harness.simulator",
    "Violation": "harness.properties",
    "WorldSpec": "harness.world",
    "check": "harness.check",
    "default_world": "harness.world",
    "enumerate_crashes": "harness.exploration",
    "explore": "harness.exploration",
    "load_integration": "harness.targets.python",
    "render_json": "harness.reports.render",
    "render_text": "harness.reports.render",
}

__all__ = [
    "PROPERTIES",
    "PROPERTY_IDS",
    "CheckReport",
    "HookCrash",
    "Integration",
    "IntegrationLoadError",
    "Options",
    "Progress",
    "RunResult",
    "Session",
    "Simulator",
    "Violation",
    "WorldSpec",
    "check",
    "default_world",
    "enumerate_crashes",
    "explore",
    "load_integration",
    "render_json",
    "render_text",
]


assert set(_EXPORTS) == set(__all__)  # one list of public names, kept in step


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
