"""What a simulated lifecycle records: one ``StepRecord`` per step.

The records are plain data copied out of the fake and the platform runtime (exchanges, log
lines, outcomes, normalised worlds), so the property functions are pure functions over them,
testable on hand-built histories, and reports can be rendered without the live objects.

Worlds are normalised per bot (property ``idempotent``): a bot's resources are the
subscriptions of its app whose address is under its ``webhook_url``, in any shop its
configuration has named; ids and timestamps are dropped, the shop becomes ``current`` or
``previous``; ids inside its platform states become symbols naming the resource
(``webhook[orders/create]``), and tokens become ``<token:current>`` or ``<token:stale>``.
Everything of the app not owned by a bot under test is ``foreign`` (other bots of the same app,
seeded crowds), as are other apps' subscriptions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Literal

from harness.runtime.events import BotEvents
from harness.steps import Step

LEVELS = ("debug", "info", "warn", "error")
"""Platform log levels, lowest first; ``warning`` and ``critical`` map onto ``warn`` and ``error``."""

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Json = object


def level_rank(level: str) -> int:
    """Order of a log level name (stdlib names accepted)."""
    name = level.lower()
    aliases = {"warning": "warn", "critical": "error", "fatal": "error", "exception": "error"}
    name = aliases.get(name, name)
    return LEVELS.index(name) if name in LEVELS else 0


@dataclass(frozen=True)
class LogLine:
    """One log record of a hook call (platform logger, stdlib ``logging``, or console output:
    ``print``, ``sys.stderr`` and ``warnings``, with ``logger`` naming the stream)."""

    level: str
    message: str
    scope: str = "integration"
    exc_text: str | None = None
    source: Literal["platform", "stdlib", "console"] = "platform"
    logger: str | None = None  # the stdlib logger's name, or the console stream

    @property
    def rank(self) -> int:
        return level_rank(self.level)

    @property
    def text(self) -> str:
        """Message and traceback together, as a reader of the bot's logs sees them."""
        return self.message if not self.exc_text else f"{self.message}\n{self.exc_text}"


@dataclass(frozen=True)
class HttpExchange:
    """One HTTP request made during a hook call, and what came back."""

    method: str
    url: str
    host: str
    request_headers: tuple[tuple[str, str], ...] = ()
    request_body: str = ""
    status: int | None = None
    response_body: str = ""
    error: str | None = None  # the exception raised instead of a response (fault, crash)
    fault_id: str | None = None
    action: str | None = None
    shop: str | None = None  # handle of the fake shop addressed, None for other hosts
    served: bool = True  # False: a host no fake serves; the request was refused
    # The fake answered from its own limits, no armed fault involved: "429" (REST leaky bucket
    # or GraphQL at HTTP 429) or "THROTTLED" (GraphQL cost bucket, HTTP 200). A fault all the
    # same: the step is judged as faulted (docs/decisions.md, "Platform timing").
    limit: str | None = None

    @property
    def mutating(self) -> bool:
        if self.method.upper() in MUTATING_METHODS and self.action != "graphql":
            return True
        # GraphQL carries every operation as a POST; only mutations change the world.
        return self.action == "graphql" and _is_graphql_mutation(self.request_body)

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.request_headers:
            if key.lower() == lowered:
                return value
        return None

    @property
    def line(self) -> str:
        outcome = str(self.status) if self.status is not None else (self.error or "no response")
        if self.limit == "THROTTLED":
            outcome += " THROTTLED"
        return f"{self.method} {self.url} -> {outcome}"

    @property
    def fault_note(self) -> str | None:
        """Why this exchange counts as a fault, for messages: ``fault fault-1`` or the limit."""
        if self.fault_id:
            return f"fault {self.fault_id}"
        if self.limit == "429":
            return "the fake's own rate limit"
        if self.limit == "THROTTLED":
            return "the fake's own GraphQL cost limit"
        return None


def _is_graphql_mutation(body: str) -> bool:
    import json

    try:
        query = json.loads(body).get("query", "")
    except (ValueError, AttributeError):
        return False
    return isinstance(query, str) and query.lstrip().startswith("mutation")


@dataclass(frozen=True)
class CallOutcome:
    """How a hook call ended, as the platform records it."""

    status: str  # registered | registration_failed | unregistered | unregistration_failed
    status_reason: str | None = None
    exception: str | None = None  # "TypeName: message" of an escaped exception
    exc_text: str | None = None  # its traceback
    crashed: bool = False  # aborted by the harness (``crash`` step)
    timed_out: bool = False  # stopped: too long in virtual time or hanging in wall time
    hung: bool = False  # stopped because it hung in wall time (the simulator then stops the run)

    @property
    def ok(self) -> bool:
        return self.status in ("registered", "unregistered") and not (
            self.crashed or self.timed_out
        )


@dataclass
class HookCall:
    """One call of ``register`` or ``unregister`` for one bot."""

    bot: str
    operation: str
    configuration: dict[str, object]
    outcome: CallOutcome
    logs: list[LogLine] = field(default_factory=list)
    exchanges: list[HttpExchange] = field(default_factory=list)
    faults_fired: list[str] = field(default_factory=list)
    platform_faults_fired: int = 0
    faulted: bool = False  # a Shopify or platform fault, or a limit answer, reached this call
    shop: str = ""  # the bot's shop when the call was made
    # Persistent faults in force for this call ("its access token was revoked", ...).
    conditions: tuple[str, ...] = ()
    # A ``crash`` step whose crash point the hook never reached: what it did instead.
    unreached: str | None = None
    # The platform API calls the hook made: "set_state integration/webhooks -> ok".
    platform_calls: list[str] = field(default_factory=list)
    token: str = ""  # the bot's token when the call was made

    @property
    def limited(self) -> list[HttpExchange]:
        """Exchanges the fake answered from its own limits (429, ``THROTTLED``)."""
        return [e for e in self.exchanges if e.limit]

    @property
    def other_hosts(self) -> list[HttpExchange]:
        return [e for e in self.exchanges if not e.served]

    @property
    def max_log_rank(self) -> int:
        return max((line.rank for line in self.logs), default=-1)

    def logged_at_least(self, level: str) -> bool:
        return self.max_log_rank >= level_rank(level)


@dataclass(frozen=True)
class BotWorld:
    """A bot's part of the world, normalised (see the module docstring)."""

    resources: tuple[tuple[tuple[str, Json], ...], ...] = ()
    states: tuple[tuple[str, str], ...] = ()  # (type/id/name, normalised payload as JSON)
    resource_ids: frozenset[str] = frozenset()  # raw ids, for ``tenant_isolation``

    @property
    def empty(self) -> bool:
        return not self.resources and not self.states

    def describe(self) -> list[str]:
        lines = [", ".join(f"{k}={v}" for k, v in r) for r in self.resources]
        lines += [f"state {key} = {payload}" for key, payload in self.states]
        return lines or ["(nothing)"]

    def same_as(self, other: BotWorld) -> bool:
        return self.resources == other.resources and self.states == other.states


@dataclass(frozen=True)
class WorldSnapshot:
    """The world between steps: each bot's part, and everything foreign."""

    bots: Mapping[str, BotWorld] = field(default_factory=dict)
    foreign: tuple[tuple[tuple[str, Json], ...], ...] = ()  # normalised, with raw ids kept

    def bot(self, name: str) -> BotWorld:
        return self.bots.get(name, BotWorld())


@dataclass(frozen=True)
class TenantInfo:
    """What the properties need to know about a bot (copied from ``harness.world.Tenant``)."""

    name: str
    webhook_url: str
    shops: tuple[str, ...]  # every shop its configuration has named, current last
    tokens: tuple[str, ...]  # every token it has held, current last

    @property
    def shop(self) -> str:
        return self.shops[-1]

    @property
    def token(self) -> str:
        return self.tokens[-1]


@dataclass
class StepRecord:
    """One executed step, its hook calls, and the world before and after it."""

    index: int
    step: Step
    before: WorldSnapshot
    world: WorldSnapshot
    calls: list[HookCall] = field(default_factory=list)
    faulted: bool = False  # any fault fired during the step
    tenants: Mapping[str, TenantInfo] = field(default_factory=dict)  # as of the end of the step
    # exactly_once: per bot whose hook call this step judged, what one event per topic did
    # (deliveries reaching its webhook_url), probed right after the step (harness.runtime.events).
    events: Mapping[str, BotEvents] = field(default_factory=dict)

    def calls_of(self, bot: str) -> list[HookCall]:
        return [c for c in self.calls if c.bot == bot]


@dataclass
class History:
    """A lifecycle so far. ``reference`` holds, per bot, the world one fault-free ``register``
    reaches on a fresh copy of the initial world: the target of ``convergent`` and ``reported``."""

    records: list[StepRecord] = field(default_factory=list)
    initial: WorldSnapshot = field(default_factory=WorldSnapshot)
    tenants: dict[str, TenantInfo] = field(default_factory=dict)
    reference: dict[str, BotWorld] = field(default_factory=dict)
    secrets: list[tuple[str, str]] = field(default_factory=list)  # (config key, value), all seen
    cache: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def last(self) -> StepRecord | None:
        return self.records[-1] if self.records else None

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(r.step for r in self.records)

    def tenant_at(self, record: StepRecord, bot: str) -> TenantInfo:
        return record.tenants.get(bot) or self.tenants[bot]


def previous_records(history: History) -> Iterator[StepRecord]:
    """All records before the last one, newest first, lazily: a check that stops at the first
    record it needs reads no further (not a reversed copy of the whole history every step)."""
    return islice(reversed(history.records), 1, None)


@dataclass
class Coverage:
    """What the ``register`` calls of a run did at all (issue 15: a run that checked nothing
    says so). Counted over every step a simulator ran, or over one history."""

    registers: int = 0  # register calls made
    requests: int = 0  # requests those calls sent to Shopify (served by the fake)
    subscribed: int = 0  # register steps after which the bot had a subscription on its shop

    def observe(self, record: StepRecord) -> None:
        for call in record.calls:
            if call.operation != "register":
                continue
            self.registers += 1
            self.requests += sum(1 for ex in call.exchanges if ex.served)
            if record.world.bot(call.bot).resources:
                self.subscribed += 1

    @classmethod
    def of(cls, records: Iterable[StepRecord]) -> Coverage:
        coverage = cls()
        for record in records:
            coverage.observe(record)
        return coverage

    def merge(self, other: Coverage) -> None:
        self.registers += other.registers
        self.requests += other.requests
        self.subscribed += other.subscribed

    def notices(self) -> list[str]:
        """What was not checked, one sentence each (empty when register did its part)."""
        if self.registers == 0:
            return ["nothing was checked: register was never called"]
        if self.requests == 0:
            return [
                f"nothing about Shopify was checked: register ran {self.registers} times and "
                "never made a Shopify request"
            ]
        if self.subscribed == 0:
            return [
                f"little was checked: register ran {self.registers} times and never left a "
                "webhook subscription on the bot's shop (declare the topics it must subscribe "
                "to make that a violation: --topics, [tool.lifecycle-harness] topics)"
            ]
        return []
