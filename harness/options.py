"""Which properties a run checks, and how strictly (README, "The hook contract").

``Options`` is plain, frozen data so scenario files and the pytest plugin can carry it; every
strictness level documented as opt-in is off by default.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from typing import Literal

from fake_shopify import topics as fake_topics
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
    "subscribed",
)
"""Stable property identifiers (reports, options, scenario files), in the documented order;
``subscribed`` (issue 15) judges only the topics the user declares (``Options.topics``)."""

IMPLEMENTED_PROPERTIES: tuple[str, ...] = PROPERTY_IDS
"""Every property is checked by default (``exactly_once`` since issue 6, event delivery)."""

IdempotentLevel = Literal["world", "requests"]


LIBRARY_LOG_LEVELS = ("debug", "info", "warn", "error")


class OptionsError(ValueError):
    """An option names something that does not exist (a property id, a level)."""


def normalise_topics(topics: object) -> tuple[str, ...]:
    """Declared topics as sorted REST names; an unknown topic is an ``OptionsError``."""
    if isinstance(topics, str) or not isinstance(topics, list | tuple | frozenset | set):
        raise OptionsError(f"topics must be a list of topic names, found {topics!r}")
    names: set[str] = set()
    for name in topics:
        text = str(name).strip()
        rest = text if fake_topics.topic(text) is not None else fake_topics.rest_topic(text)
        if rest is None:
            raise OptionsError(
                f"unknown webhook topic {text!r} (a REST name like 'orders/create' or a "
                "GraphQL enum value like 'ORDERS_CREATE')"
            )
        names.add(rest)
    return tuple(sorted(names))


@dataclass(frozen=True)
class PlatformTiming:
    """How the platform spaces its top-level calls (enable, configuration save, removal).

    Before every step that calls a hook (``register``, ``unregister``, ``configure``, ``crash``,
    ``concurrently``) the simulator moves the virtual clock by a gap drawn from a log-uniform
    distribution over ``[min_gap, max_gap]`` seconds. The draw is a pure function of ``seed``
    and the ordinal of the hook step, so a lifecycle (and its replay, and its shrunk witness)
    always sees the same gaps.

    UNVERIFIED: the Botpress runtime is closed source; nothing published says how close two
    calls can be (the Botpress docs, https://botpress.com/docs: calls follow an enable, a configuration
    save, a removal, a bot deploy or an hourly-or-slower schedule, each a human action or a
    schedule). The defaults (5 s to 120 s) are an assumption, documented in
    ``docs/decisions.md``; set both to 0 (``burst``) to call hooks back to back, which a
    scenario asks for with ``options: {burst: true}``. Overlapping calls
    (``concurrently``) are a burst by definition: the gap comes before the group, not
    between its calls.
    """

    min_gap: float = 5.0
    max_gap: float = 120.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not (0 <= self.min_gap <= self.max_gap) or math.isinf(self.max_gap):
            raise OptionsError(
                f"platform timing needs 0 <= min_gap <= max_gap < inf, got "
                f"min_gap={self.min_gap!r}, max_gap={self.max_gap!r}"
            )

    @property
    def burst(self) -> bool:
        return self.max_gap == 0

    def gap(self, ordinal: int) -> float:
        """The gap in seconds before hook step number ``ordinal`` (0-based) of a lifecycle."""
        if self.max_gap == 0:
            return 0.0
        if self.min_gap == self.max_gap:
            return self.min_gap
        rng = random.Random(f"platform-gap:{self.seed}:{ordinal}")
        low = math.log(max(self.min_gap, 1e-3))
        high = math.log(self.max_gap)
        return round(math.exp(rng.uniform(low, high)), 3)

    @classmethod
    def bursting(cls) -> PlatformTiming:
        """Hooks called back to back, at one virtual instant (a scenario's ``burst: true``)."""
        return cls(min_gap=0.0, max_gap=0.0)


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
    ``timing``: how far apart the platform calls hooks (:class:`PlatformTiming`).
    ``library_log_level``: the lowest level at which a third-party library's own ``logging``
    records (code under site-packages or the standard library, e.g. ``pyactiveresource`` logging
    request headers at debug) are judged: the platform's runtime emits library records from
    ``info`` up, so lower ones are dropped from the run's history. ``"debug"`` judges them all.
    ``topics``: the webhook topics a fault-free ``register`` must leave subscribed at the bot's
    ``webhook_url`` (REST names, ``orders/create``, or GraphQL enum values, ``ORDERS_CREATE``);
    empty: nothing is required (``subscribed`` then finds nothing).
    """

    properties: frozenset[str] = field(default_factory=lambda: frozenset(IMPLEMENTED_PROPERTIES))
    idempotent_level: IdempotentLevel = "world"
    configure_changes: tuple[ConfigureChange, ...] = ("rotate_token",)
    clean_allowlist: tuple[str, ...] = ()
    hook_budget_seconds: float = 300.0
    hook_wall_seconds: float = 10.0
    timing: PlatformTiming = field(default_factory=PlatformTiming)
    library_log_level: str = "info"
    topics: tuple[str, ...] = ()

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
        object.__setattr__(self, "topics", normalise_topics(self.topics))
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
