"""The data a scenario file holds, and the errors of reading one.

Plain frozen data, independent of the simulator: the loader (``harness.scenarios.loader``) builds
it from YAML, the writer (``harness.scenarios.writer``) turns it back into YAML, and replay
(``harness.scenarios``) turns it into a world, options and steps for the simulator.

Errors::

    ScenarioError                  anything wrong with a scenario file
     ├── ScenarioSyntaxError       not YAML (the parser's own position and message)
     ├── ScenarioSchemaError       YAML, but not a scenario: one ScenarioProblem per mistake
     └── ScenarioVersionError      written for a newer lifecycle-harness than the one installed
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from harness.steps import Step

FORMAT_VERSION = 1
"""The newest scenario-file format this harness reads and the one it writes."""

SUFFIX = ".scenario.yaml"
"""Scenario files are named ``<name>.scenario.yaml``."""

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
"""Property identifiers, in the README's order ("The hook contract"); ``subscribed`` (issue 15)
is judged only when topics are declared."""

STRICTNESS_LEVELS: dict[str, tuple[str, ...]] = {
    # The stricter level ("requests") also demands that a second register sends no
    # mutating request. The first level listed is the default.
    "idempotent": ("world", "requests"),
}
"""Properties that have strictness levels, and their levels (default first)."""

StateType = Literal["integration", "conversation", "user"]
SubscriptionApp = Literal["same", "other"]
MalformedVersion = Literal["not_found", "fall_forward"]
TopicUpdate = Literal["ignore", "reject"]

_SECRET_KEY = re.compile(r"token|secret|password|key", re.IGNORECASE)


def is_secret_key(name: str) -> bool:
    """Whether a configuration key names a secret (property ``no_secret_leak``)."""
    return bool(_SECRET_KEY.search(name))


def placeholder(name: str) -> str:
    """The placeholder written instead of the secret held under ``name``: ``<access_token>``."""
    return f"<{name}>"


def placeholder_value(name: str) -> str:
    """The value a placeholder stands for when a scenario is loaded.

    Deterministic, so that a scenario replays the same way every time, and shaped like the real
    thing (an admin API access token starts with ``shpat_``), so that integrations which check
    the shape accept it. The harness provisions the fake's tokens from the configuration, so this
    value is the token the fake knows."""
    digest = hashlib.sha256(f"lifecycle-harness placeholder {name}".encode()).hexdigest()[:32]
    if "token" in name.lower():
        return f"shpat_{digest}"
    return f"placeholder-{name}-{digest[:16]}"


@dataclass(frozen=True)
class SeedSubscription:
    """A webhook subscription on a shop before the first step.

    ``app: same`` is the integration's own app, as another bot (or an earlier install) left it;
    ``other`` is a different app installed on the shop. ``address`` may name a bot's webhook URL
    as ``<webhook_url:bot1>``."""

    shop: str = "shop1"
    app: SubscriptionApp = "other"
    topic: str = "orders/create"
    address: str = "https://example.com/hooks/other"


@dataclass(frozen=True)
class SeedState:
    """A platform state of a bot before the first step (``id`` defaults to the bot's
    integration id, the convention of every real integration)."""

    name: str
    payload: object
    bot: str = "bot1"
    type: StateType = "integration"
    id: str | None = None


@dataclass(frozen=True)
class WorldDecl:
    """The initial world of a scenario.

    ``bots`` tenants (``bot1`` ... ``botN``) are derived from the configuration; they are spread
    over ``shops`` shops (``shop1`` ... ``shopN``), bot *i* on shop ``((i - 1) mod shops) + 1``.
    ``crowd`` subscriptions of other bots of the same app and ``other_apps`` subscriptions of
    another app are on the first shop (the configuration's own) before the first step, as in
    ``harness.world.default_world``."""

    bots: int = 1
    shops: int = 1
    crowd: int = 0
    other_apps: int = 0
    subscriptions: tuple[SeedSubscription, ...] = ()
    states: tuple[SeedState, ...] = ()
    clock: datetime | None = None

    def bot_names(self) -> tuple[str, ...]:
        return tuple(f"bot{i}" for i in range(1, self.bots + 1))

    def shop_names(self) -> tuple[str, ...]:
        return tuple(f"shop{i}" for i in range(1, self.shops + 1))

    def shop_of(self, bot: str) -> str:
        """The symbolic shop ``bot`` lives on."""
        index = int(bot.removeprefix("bot"))
        return f"shop{(index - 1) % self.shops + 1}"


@dataclass(frozen=True)
class Expect:
    """Which properties are checked (all by default) and which must be violated.

    A property listed in ``violated`` pins a known bug: the scenario passes while the violation
    is there and fails, like a strict xfail, once the bug is fixed."""

    properties: tuple[str, ...] = PROPERTY_IDS
    violated: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScenarioOptions:
    """Strictness levels and the fake's configurable behaviours (facts marked unverified)."""

    strictness: tuple[tuple[str, str], ...] = ()  # (property, level), only non-defaults
    clean_allowlist: tuple[str, ...] = ()  # state names `clean` may leave behind on purpose
    malformed_version: MalformedVersion = "not_found"
    topic_update: TopicUpdate = "ignore"
    # Hooks called back to back at one virtual instant instead of spaced by the platform's
    # gap (harness.options.PlatformTiming): a burst the scenario asks for.
    burst: bool = False

    def level(self, prop: str) -> str:
        return dict(self.strictness).get(prop, STRICTNESS_LEVELS[prop][0])


@dataclass(frozen=True)
class Scenario:
    """A named step sequence with its initial world, configuration and expectations.

    ``configuration is None`` means "the configuration of the run" (the target's, as given to
    ``check`` or ``replay``); ``integration is None`` means the target named on the command line.
    Secrets in ``configuration`` are already mapped from placeholders to their values."""

    name: str
    steps: tuple[Step, ...]
    description: str = ""
    integration: str | None = None
    configuration: dict[str, object] | None = None
    world: WorldDecl = field(default_factory=WorldDecl)
    expect: Expect = field(default_factory=Expect)
    options: ScenarioOptions = field(default_factory=ScenarioOptions)
    source: Path | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ScenarioProblem:
    """One mistake in a scenario file, with its position (1-based line and column)."""

    source: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}: {self.message}"


class ScenarioError(Exception):
    """Anything wrong with a scenario file."""


class ScenarioSyntaxError(ScenarioError):
    """The file is not valid YAML."""

    def __init__(self, problem: ScenarioProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class ScenarioSchemaError(ScenarioError):
    """The file is YAML but does not follow the scenario schema; lists every mistake found."""

    def __init__(self, problems: list[ScenarioProblem]) -> None:
        count = len(problems)
        head = f"{count} problem{'s' if count != 1 else ''} in scenario file {problems[0].source}"
        super().__init__("\n".join([head, *(f"  {p}" for p in problems)]))
        self.problems = problems


class ScenarioVersionError(ScenarioError):
    """The file was written for a newer format than this harness understands."""

    def __init__(self, problem: ScenarioProblem, version: int) -> None:
        super().__init__(str(problem))
        self.problem = problem
        self.version = version
