"""Which properties a run checks, and how strictly (README, "The hook contract").

``Options`` is plain, frozen data so scenario files and the pytest plugin can carry it; every
strictness level documented as opt-in is off by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from harness.steps import ConfigureChange

PROPERTY_IDS: tuple[str, ...] = (
    "idempotent",
    "convergent",
    "clean",
    "reported",
    "tolerant_unregister",
    "no_secret_leak",
    "tenant_isolation",
    "exactly_once",
)
"""Stable property identifiers (reports, options, scenario files), in the documented order."""

IMPLEMENTED_PROPERTIES: tuple[str, ...] = PROPERTY_IDS
"""Every property is checked by default (``exactly_once`` since issue 6, event delivery)."""

IdempotentLevel = Literal["world", "requests"]


LIBRARY_LOG_LEVELS = ("debug", "info", "warn", "error")


class OptionsError(ValueError):
    """An option names something that does not exist (a property id, a level)."""


@dataclass(frozen=True)
class Options:
    """What a run checks.

    ``idempotent_level``: ``"world"`` compares worlds; ``"requests"`` (stricter, opt-in) also
    forbids any mutating request in a ``register`` that follows a successful one.
    ``configure_changes``: what a ``configure`` step may do; ``move_shop`` is opt-in.
    ``clean_allowlist``: platform state names (or ``type/name``; ``fnmatch`` globs) that
    ``unregister`` may keep on purpose.
    ``hook_budget_seconds``: virtual seconds a hook may run before it is stopped and named;
    ``hook_wall_seconds``: wall seconds before a hanging hook is abandoned.
    ``library_log_level``: the lowest level at which a third-party library's own ``logging``
    records (code under site-packages or the standard library, e.g. ``pyactiveresource`` logging
    request headers at debug) are judged: the platform's runtime emits library records from
    ``info`` up, so lower ones are dropped from the run's history. ``"debug"`` judges them all.
    """

    properties: frozenset[str] = field(default_factory=lambda: frozenset(IMPLEMENTED_PROPERTIES))
    idempotent_level: IdempotentLevel = "world"
    configure_changes: tuple[ConfigureChange, ...] = ("rotate_token",)
    clean_allowlist: tuple[str, ...] = ()
    hook_budget_seconds: float = 300.0
    hook_wall_seconds: float = 10.0
    library_log_level: str = "info"

    def __post_init__(self) -> None:
        if self.library_log_level not in LIBRARY_LOG_LEVELS:
            raise OptionsError(
                f"unknown library log level {self.library_log_level!r}; valid: "
                f"{', '.join(LIBRARY_LOG_LEVELS)}"
            )
        unknown = sorted(set(self.properties) - set(PROPERTY_IDS))
        if unknown:
            raise OptionsError(
                f"unknown property id(s) {', '.join(unknown)}; valid: {', '.join(PROPERTY_IDS)}"
            )
        if self.idempotent_level not in ("world", "requests"):
            raise OptionsError(
                f"unknown idempotent level {self.idempotent_level!r}; valid: world, requests"
            )
        for change in self.configure_changes:
            if change not in ("rotate_token", "move_shop"):
                raise OptionsError(
                    f"unknown configure change {change!r}; valid: rotate_token, move_shop"
                )

    def enabled(self, property_id: str) -> bool:
        return property_id in self.properties

    def only(self, *property_ids: str) -> Options:
        """A copy checking only ``property_ids``."""
        return replace(self, properties=frozenset(property_ids))

    @classmethod
    def strict(cls) -> Options:
        """Every opt-in level on: request-level idempotence and moving shops."""
        return cls(idempotent_level="requests", configure_changes=("rotate_token", "move_shop"))
