"""Hypothesis settings profiles for lifecycle exploration, in one place.

``dev`` is quick, ``ci`` is the default of ``lifecycle-harness check``, ``nightly`` digs deep.
The CLI and the pytest plugin pick one by name (``--profile`` / ``LIFECYCLE_HARNESS_PROFILE``);
``register_profiles`` also registers them with Hypothesis under ``lifecycle-<name>`` for code
that selects profiles the Hypothesis way. No seed option is invented here: Hypothesis owns its
seed (``--hypothesis-seed``); only the CLI has ``--seed``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, Verbosity, settings

PROFILE_ENV = "LIFECYCLE_HARNESS_PROFILE"
DEFAULT_PROFILE = "ci"


@dataclass(frozen=True)
class Profile:
    """How hard to explore: generated lifecycles and the step bound of each."""

    examples: int
    max_steps: int


PROFILES: Mapping[str, Profile] = {
    "dev": Profile(examples=60, max_steps=8),
    "ci": Profile(examples=200, max_steps=10),
    "nightly": Profile(examples=2000, max_steps=16),
}


class ProfileError(ValueError):
    """An unknown profile name."""


def profile(name: str | None = None) -> Profile:
    """The profile ``name``, else the one named by ``$LIFECYCLE_HARNESS_PROFILE``, else ``ci``."""
    chosen = name or os.environ.get(PROFILE_ENV) or DEFAULT_PROFILE
    try:
        return PROFILES[chosen]
    except KeyError:
        raise ProfileError(f"unknown profile {chosen!r}; valid: {', '.join(PROFILES)}") from None


def hypothesis_settings(
    *, examples: int, max_steps: int, database: bool = False, quiet: bool = True
) -> settings:
    """Settings for one exploration. No database by default: a CLI run with ``--seed`` must be
    reproducible, which replaying stored failures would break."""
    return settings(
        max_examples=examples,
        stateful_step_count=max_steps,
        deadline=None,
        database=settings().database if database else None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet if quiet else Verbosity.normal,
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        report_multiple_bugs=False,
        print_blob=False,
    )


def register_profiles() -> None:
    """Register ``lifecycle-dev``, ``lifecycle-ci``, ``lifecycle-nightly`` with Hypothesis."""
    for name, p in PROFILES.items():
        settings.register_profile(
            f"lifecycle-{name}", hypothesis_settings(examples=p.examples, max_steps=p.max_steps)
        )
